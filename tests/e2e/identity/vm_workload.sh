#!/bin/sh
# The Linux kernel NFS client through the security layers: runs INSIDE the e2e
# VM (busybox sh, as root) in place of tests/e2e/vm/workload.sh (vm_identity.py
# overlays it on the VM's initramfs). Each mount reaches one door that the
# host opened on its loopback (10.0.2.2 here): a plain-TCP relay to a mount
# target, or stunnel with an elfs-client-cert certificate in front of one.
#
# Kernel command line: e2e_<door>=PORT for each door below.
#   anon     plain TCP, file system with the prevent-anonymous policy: refused
#   iam      TLS + alice's certificate, same file system: mounts, root writes as 0:0
#   ap       TLS + alice + access point /app (PosixUser 1000:1000): writes as 1000:1000,
#            /app is the root, nothing outside it is visible
#   ro       TLS + alice + a read-only access point (AccessPointArn condition):
#            reads work, writes fail with "Read-only file system"
#   squash   plain TCP, file system without ClientRootAccess: root's file is 65534:65534
# Output: "E2E RESULT <door> PASS|FAIL <detail>" per door, then "E2E DONE".
export PATH=/bin
SERVER=10.0.2.2
VERS=4.1
for w in $(cat /proc/cmdline); do
  case "$w" in
    e2e_*=*) k=${w%%=*}; eval "PORT_${k#e2e_}=${w#*=}" ;;
  esac
done

result() { echo "E2E RESULT $1 $2 $3"; }
mnt() {  # mnt DOOR → mounts the door's port on /mnt/DOOR; prints mount's error on failure
  _p=$(eval echo "\$PORT_$1")
  mkdir -p "/mnt/$1"
  timeout 60 mount -t nfs4 -o "vers=$VERS,addr=$SERVER,clientaddr=10.0.2.15,port=$_p,soft,timeo=50,retrans=2" \
    "$SERVER:/" "/mnt/$1" 2>&1
}
owner() { stat -c %u:%g "$1"; }

# anon: the prevent-anonymous policy refuses the mount ("access denied").
if out=$(mnt anon); then
  result anon FAIL "anonymous plain mount succeeded"
  umount /mnt/anon
else
  case "$out" in
    *denied* | *"Permission denied"*) result anon PASS "refused: $out" ;;
    *) result anon FAIL "refused, but not as access denied: $out" ;;
  esac
fi

# iam: an IAM identity mounts and writes as root.
if out=$(mnt iam); then
  echo data >/mnt/iam/by-iam && [ "$(owner /mnt/iam/by-iam)" = 0:0 ] &&
    [ "$(cat /mnt/iam/by-iam)" = data ] &&
    result iam PASS "mounted over TLS as alice, root wrote as 0:0" ||
    result iam FAIL "write or ownership: $(ls -ln /mnt/iam 2>&1 | tr '\n' ' ')"
  umount /mnt/iam
else
  result iam FAIL "mount: $out"
fi

# ap: PosixUser replaces root; the access point's directory is the root.
if out=$(mnt ap); then
  detail=""
  echo data >/mnt/ap/by-root || detail="$detail write-failed"
  [ "$(owner /mnt/ap/by-root)" = 1000:1000 ] || detail="$detail owner=$(owner /mnt/ap/by-root)"
  [ "$(owner /mnt/ap)" = 1000:1000 ] || detail="$detail root-owner=$(owner /mnt/ap)"
  [ -e /mnt/ap/outside ] && detail="$detail outside-visible"
  [ -e /mnt/ap/app ] && detail="$detail parent-visible"
  [ "$(ls -A /mnt/ap | tr '\n' ' ')" = "by-root " ] || detail="$detail listing=$(ls -A /mnt/ap | tr '\n' ',')"
  if [ -z "$detail" ]; then result ap PASS "root wrote as 1000:1000 inside /app only"
  else result ap FAIL "$detail"; fi
  umount /mnt/ap
else
  result ap FAIL "mount: $out"
fi

# ro: AccessPointArn condition: read-only through this access point.
if out=$(mnt ro); then
  got=$(cat /mnt/ro/dataset 2>&1)
  err=$(echo x 2>&1 >/mnt/ro/new)
  case "$got|$err" in
    "rows|"*"Read-only file system"*) result ro PASS "read works, write: $err" ;;
    *) result ro FAIL "read '$got', write '$err'" ;;
  esac
  umount /mnt/ro
else
  result ro FAIL "mount: $out"
fi

# squash: no ClientRootAccess, root is 65534:65534.
if out=$(mnt squash); then
  if echo data >/mnt/squash/open/by-root && [ "$(owner /mnt/squash/open/by-root)" = 65534:65534 ]; then
    err=$(echo x 2>&1 >/mnt/squash/by-root-in-755)
    case "$err" in
      *"Permission denied"*) result squash PASS "root squashed to 65534:65534; 755 root dir refused" ;;
      *) result squash FAIL "write into the 755 root directory: '$err'" ;;
    esac
  else
    result squash FAIL "write or ownership: $(ls -ln /mnt/squash/open 2>&1 | tr '\n' ' ')"
  fi
  umount /mnt/squash
else
  result squash FAIL "mount: $out"
fi
echo "E2E DONE"
