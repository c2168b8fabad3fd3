#!/bin/sh
# The Linux kernel NFS client on two elfs nodes: runs INSIDE the e2e VM
# (busybox sh, as root) in place of tests/e2e/vm/workload.sh; vm_two_nodes.py
# overlays it on the VM's initramfs and boots it once per role, each time
# mounting one node's mount target through a relay on the host's loopback
# (10.0.2.2 here).
#
# Kernel command line: e2e_port=PORT e2e_role=write|read|check|live e2e_vers=4.1|4.0
#   write  (through node A) a 1 MiB random file, a small file and a file in
#          a directory, then sync; prints their checksums
#   read   (through node B) prints the checksums of what "write" made, then
#          renames one file, removes another and writes a new one (sync)
#   check  (through node A again) prints what it sees after "read"
#   live   runs the commands the host types on the console (two such VMs at
#          once, one per node: the host interleaves their steps)
# Output: "E2E SUM <name> <md5|missing>" lines, "E2E RESULT <role> PASS|FAIL
# <detail>", then "E2E DONE". The host compares the sums across roles.
export PATH=/bin
SERVER=10.0.2.2
VERS=4.1
for w in $(cat /proc/cmdline); do
  case "$w" in
    e2e_port=*) PORT=${w#*=} ;;
    e2e_role=*) ROLE=${w#*=} ;;
    e2e_vers=*) VERS=${w#*=} ;;
  esac
done

sum() {  # sum NAME: the md5 of /mnt/NAME, or "missing"
  if [ -e "/mnt/$1" ]; then
    echo "E2E SUM $1 $(md5sum "/mnt/$1" | cut -d' ' -f1)"
  else
    echo "E2E SUM $1 missing"
  fi
}
result() { echo "E2E RESULT $ROLE $1 $2"; }

mkdir -p /mnt
if ! out=$(timeout 120 mount -t nfs4 \
    -o "vers=$VERS,addr=$SERVER,clientaddr=10.0.2.15,port=$PORT,soft,timeo=100,retrans=3" \
    "$SERVER:/" /mnt 2>&1); then
  result FAIL "mount: $out"
  echo "E2E DONE"
  exit 0
fi

case "$ROLE" in
  write)
    dd if=/dev/urandom of=/mnt/big bs=64k count=16 2>/dev/null &&
      echo "small through A" >/mnt/small &&
      mkdir /mnt/dir && echo "in a directory" >/mnt/dir/inner &&
      sync && ok=1 || ok=0
    for n in big small dir/inner; do sum "$n"; done
    [ "$ok" = 1 ] && result PASS "wrote big, small, dir/inner and synced" || result FAIL "a write failed"
    ;;
  read)
    for n in big small dir/inner; do sum "$n"; done
    mv /mnt/big /mnt/big-renamed && rm /mnt/small &&
      echo "new through B" >/mnt/dir/from-b && sync && ok=1 || ok=0
    sum dir/from-b
    [ "$ok" = 1 ] && result PASS "renamed big, removed small, wrote dir/from-b" ||
      result FAIL "rename, remove or write failed: $(ls -la /mnt /mnt/dir 2>&1 | tr '\n' ' ')"
    ;;
  check)
    for n in big big-renamed small dir/inner dir/from-b; do sum "$n"; done
    result PASS "listed: $(ls /mnt /mnt/dir 2>&1 | tr '\n' ' ')"
    ;;
  live)
    # The host drives this VM through its console while another VM runs on
    # the other node: one shell command a line, answered with its output
    # on one line and its exit status; "quit" ends.
    stty -echo 2>/dev/null
    echo "E2E READY"
    while read -r cmd; do
      [ "$cmd" = quit ] && break
      out=$(eval "$cmd" 2>&1)
      rc=$?
      echo "E2E OUT $(echo "$out" | tr '\n' ' ')"
      echo "E2E END $rc"
    done
    result PASS "commands done"
    ;;
  *) result FAIL "unknown role $ROLE" ;;
esac
cd /
umount /mnt || result FAIL "umount failed"
echo "E2E DONE"
