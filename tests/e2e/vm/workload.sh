#!/bin/sh
# The e2e workload. Runs INSIDE the VM (busybox sh, as root) after init.sh brought up the network.
#
# Parameters come from the kernel command line (set by run_vm_suite.sh):
#   e2e_vers=4.1|4.0         NFS minor version to mount with
#   e2e_port=N               server port (on the host's loopback, seen as 10.0.2.2 here)
#   e2e_path=/export         path to mount on the server
#   e2e_scen=a,b,c           scenarios to run, in order (see the sc_* functions below)
#   e2e_server=10.0.2.2      server address (default: the host through qemu's user network)
#   e2e_role=a|b|crash       for the state scenarios that run two VMs at once or with the host
#                            killing the server (see run_vm_suite.sh); also names the work dir
#
# Output, on the console, one line per check (this is what the host parses):
#   E2E BEGIN <name>                         a check starts (tells where a hang happened)
#   E2E RESULT <name> PASS|FAIL <detail>     its outcome; detail is one line
#   E2E LOG <name>| <line>                   last lines of a failed check's own output
#   E2E DONE                                 the workload ran to the end
# Checks always run: "mount" first and "umount" last; the scenarios in between.
#
# Two mounts of the same export are used. /mnt is the normal mount that the scenarios write
# through. /verify is a second, separate client view (nosharecache, noac, lookupcache=none): it
# shares no page, attribute or dentry cache with /mnt, so what a check reads there is what the
# server stores, not what the writing mount remembers.
set -u
export PATH=/bin

VERS=4.1
PORT=2049
EXPORT_PATH=/
SERVER=10.0.2.2
SCEN=""
ROLE=""
for w in $(cat /proc/cmdline); do
  case "$w" in
    e2e_vers=*) VERS=${w#*=} ;;
    e2e_port=*) PORT=${w#*=} ;;
    e2e_path=*) EXPORT_PATH=${w#*=} ;;
    e2e_server=*) SERVER=${w#*=} ;;
    e2e_scen=*) SCEN=$(echo "${w#*=}" | tr ',' ' ') ;;
    e2e_bigdir_n=*) E2E_BIGDIR_N=${w#*=} ;;
    e2e_role=*) ROLE=${w#*=} ;;
  esac
done

MNT=/mnt
VFY=/verify
OPTS="vers=$VERS,addr=$SERVER,clientaddr=10.0.2.15,port=$PORT"
VOPTS="$OPTS,nosharecache,noac,lookupcache=none"
W=$MNT/e2e-v$VERS${ROLE:+-$ROLE}  # this VM's working directory on the export ...
V=$VFY/e2e-v$VERS${ROLE:+-$ROLE}  # ... and the same directory through the uncached view

# --------------------------------------------------------------------------------------------
# Check framework. A check runs in a subshell; inside it, each sub-check calls ok or bad, and
# the check ends with finish (all sub-checks passed → PASS). Failing sub-checks do not stop the
# check (so one run shows every problem), except fatal, which ends it at once.
# --------------------------------------------------------------------------------------------
NSUB=0
NBAD=0
BADS=""
INFO=""
ok() { NSUB=$((NSUB + 1)); }
bad() {
  NSUB=$((NSUB + 1)); NBAD=$((NBAD + 1))
  BADS="$BADS [$*]"
  echo "SUBFAIL: $*"
}
info() { INFO="$INFO $*"; }
finish() {
  if [ "$NBAD" = 0 ]; then
    echo "checks=$NSUB$INFO" >/tmp/e2e.detail
    exit 0
  fi
  echo "failed=$NBAD/$NSUB$BADS" >/tmp/e2e.detail
  exit 1
}
fatal() { bad "$*"; finish; }

# eq DESC GOT WANT
eq() {
  if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2' want '$3'"; fi
}
# must DESC CMD...: the command must succeed.
must() {
  _d=$1; shift
  if _out=$("$@" 2>&1); then ok; return 0; fi
  bad "$_d: failed: $(echo "$_out" | tail -n1)"
  return 1
}
# deny DESC ERRTEXT CMD...: the command must fail with ERRTEXT (strerror text) in its output.
deny() {
  _d=$1; _e=$2; shift 2
  if _out=$("$@" 2>&1); then bad "$_d: succeeded, want '$_e'"; return 1; fi
  case "$_out" in
    *"$_e"*) ok ;;
    *) bad "$_d: got '$(echo "$_out" | tail -n1)' want '$_e'" ;;
  esac
}
# as USER CMDLINE: run a shell command line as an unprivileged user (busybox su, run by root,
# asks no password; it sets uid, gid and the supplementary groups from /etc/group).
as() { _u=$1; shift; su -s /bin/sh "$_u" -c "$*"; }

hsh() { md5sum <"$1" | cut -d' ' -f1; }
# slice FILE OFFSET LENGTH: md5 of a byte range.
slice() {
  dd if="$1" bs=65536 skip="$2" count="$3" iflag=skip_bytes,count_bytes 2>/dev/null |
    md5sum | cut -d' ' -f1
}
# mkdata FILE BYTES: random content (the reference copy lives in the VM's tmpfs).
mkdata() { dd if=/dev/urandom of="$1" bs=65536 count="$2" iflag=count_bytes,fullblock 2>/dev/null; }
# Drop the client's clean page cache, dentries and inodes, so the next read asks the server.
dropc() { sync; echo 3 >/proc/sys/vm/drop_caches; }
now_cs() { read -r _up _rest </proc/uptime; echo "${_up%.*}${_up#*.}"; }  # centiseconds
secs() { echo "$(($1 / 100)).$(printf '%02d' $(($1 % 100)))"; }
# mibps BYTES CENTISECONDS → "N MiB/s" (integer)
mibps() { if [ "$2" -gt 0 ]; then echo "$(($1 * 100 / 1048576 / $2))MiB/s"; else echo "n/a"; fi; }
# size_of 1k|4097|64m → bytes
size_of() {
  case "$1" in
    *[kK]) echo $((${1%?} * 1024)) ;;
    *[mM]) echo $((${1%?} * 1048576)) ;;
    *[!0-9]* | "") return 1 ;;
    *) echo "$1" ;;
  esac
}
# mount_nfs DIR OPTIONS: a few tries, because the very first mount of a server may race its
# startup; the number of tries is reported by the mount check.
MOUNT_TRIES=0
mount_nfs() {
  MOUNT_TRIES=0
  while :; do
    MOUNT_TRIES=$((MOUNT_TRIES + 1))
    if _out=$(mount -t nfs4 -o "$2" "$SERVER:$EXPORT_PATH" "$1" 2>&1); then return 0; fi
    if [ "$MOUNT_TRIES" -ge 5 ]; then echo "$_out"; return 1; fi
    sleep 2
  done
}
is_mounted() { grep -q " $1 nfs4 " /proc/mounts; }

# --------------------------------------------------------------------------------------------
# Scenarios. Each is sc_<name> (rw_<size> → sc_rw), works in its own directory under $W and
# checks what the server stored through $V.
# --------------------------------------------------------------------------------------------

sc_mount() {
  mkdir -p "$MNT" "$VFY"
  mount_nfs "$MNT" "$OPTS" || fatal "mount $SERVER:$EXPORT_PATH vers=$VERS: $_out"
  info "tries=$MOUNT_TRIES"
  mount_nfs "$VFY" "$VOPTS" || fatal "second mount (verify view): $_out"
  _m=$(grep " $MNT nfs4 " /proc/mounts)
  case "$_m" in
    *"vers=$VERS,"* | *"vers=$VERS") ok ;;
    *) bad "negotiated version is not $VERS: $_m" ;;
  esac
  must "statfs (df)" df -k "$MNT"
  rm -rf "$W"
  must "mkdir work dir" mkdir -p "$W"
  chmod 0755 "$W"
  eq "work dir seen through verify view" "$(stat -c %F "$V")" "directory"
  finish
}

sc_umount() {
  must "umount verify view" umount "$VFY"
  must "umount $MNT" umount "$MNT"
  if is_mounted "$MNT" || is_mounted "$VFY"; then bad "still listed in /proc/mounts"; else ok; fi
  finish
}

# rw_<size>: write a file of that size, read it back after dropping caches, through the other
# view, with O_DIRECT, an unaligned slice, then overwrite a range in the middle and compare again.
sc_rw() {
  _n=$(size_of "${1#rw_}") || fatal "bad size in scenario name $1"
  f=$W/$1
  vf=$V/$1
  src=/tmp/rw.src
  mkdata "$src" "$_n" || fatal "cannot make $_n bytes of test data in tmpfs"
  want=$(hsh "$src")
  t0=$(now_cs)
  must "write $_n bytes" dd if="$src" of="$f" bs=1M || finish
  t1=$(now_cs)
  dropc
  t2=$(now_cs)
  eq "read back after drop_caches" "$(hsh "$f")" "$want"
  t3=$(now_cs)
  eq "size on server" "$(stat -c %s "$vf")" "$_n"
  # Files up to 64 MiB are also read whole through the other view and with O_DIRECT; bigger
  # ones only in slices there (the emulated VM hashes ~35 MiB/s).
  big=0; [ "$_n" -gt 67108864 ] && big=1
  if [ "$big" = 0 ]; then
    eq "read through verify view" "$(hsh "$vf")" "$want"
    eq "O_DIRECT read" "$(dd if="$f" bs=1M iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)" "$want"
  else
    eq "first MiB through verify view" "$(slice "$vf" 0 1048576)" "$(slice "$src" 0 1048576)"
    k=$((_n / 1048576 - 1))
    eq "tail from the last full MiB, O_DIRECT" \
      "$(dd if="$f" bs=1M skip=$k iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)" \
      "$(slice "$src" $((k * 1048576)) $((_n - k * 1048576)))"
  fi
  off=$((_n / 3)); len=$((_n - off)); [ "$len" -gt 100003 ] && len=100003
  eq "unaligned slice @$off+$len" "$(slice "$vf" "$off" "$len")" "$(slice "$src" "$off" "$len")"
  if [ "$_n" -ge 2 ]; then
    poff=$((_n / 4)); plen=$((_n / 2)); [ "$plen" -gt 70001 ] && plen=70001
    mkdata /tmp/rw.patch "$plen"
    dd if=/tmp/rw.patch of="$src" bs=65536 seek="$poff" oflag=seek_bytes conv=notrunc 2>/dev/null
    must "overwrite $plen bytes @$poff" \
      dd if=/tmp/rw.patch of="$f" bs=65536 seek="$poff" oflag=seek_bytes conv=notrunc
    dropc
    if [ "$big" = 0 ]; then
      eq "content after overwrite" "$(hsh "$vf")" "$(hsh "$src")"
    else
      eq "overwritten range and its edges" "$(slice "$vf" $((poff - 4096)) $((plen + 8192)))" \
        "$(slice "$src" $((poff - 4096)) $((plen + 8192)))"
    fi
    eq "size after overwrite" "$(stat -c %s "$vf")" "$_n"
  fi
  if [ "$_n" -ge 1048576 ]; then
    info "write=$(mibps "$_n" $((t1 - t0))) read=$(mibps "$_n" $((t3 - t2)))"
  fi
  rm -f "$src" /tmp/rw.patch
  # Big files are removed again (disk space on the host); small ones stay for the remount check.
  if [ "$_n" -gt 4194304 ]; then
    must "remove" rm "$f"
    if [ -e "$vf" ]; then bad "removed file still visible on server"; else ok; fi
  fi
  finish
}

sc_append() {
  d=$W/append; vd=$V/append
  mkdir -p "$d"
  f=$d/log; ref=/tmp/append.ref
  : >"$f"; : >"$ref"
  i=1
  while [ $i -le 20 ]; do
    line="line $i $(head -c 16 /dev/urandom | md5sum | cut -c1-12)"
    echo "$line" >>"$f"; echo "$line" >>"$ref"
    i=$((i + 1))
  done
  mkdata /tmp/append.chunk 100000
  must "append 100000 bytes (O_APPEND)" \
    dd if=/tmp/append.chunk of="$f" bs=65536 oflag=append conv=notrunc
  cat /tmp/append.chunk >>"$ref"
  dropc
  eq "content after 21 appends" "$(hsh "$vd/log")" "$(hsh "$ref")"
  eq "size after appends" "$(stat -c %s "$vd/log")" "$(stat -c %s "$ref")"
  # Two descriptors: one opened O_APPEND before another writer appends; each write must still
  # land at the current end of the file.
  exec 3>>"$f"
  echo A >&3
  echo B >>"$f"
  echo C >&3
  exec 3>&-
  printf 'A\nB\nC\n' >>"$ref"
  eq "interleaved O_APPEND writers" "$(hsh "$vd/log")" "$(hsh "$ref")"
  # Append through the other view, then through /mnt: /mnt must see the new size on open
  # (close-to-open) and append after it, not over it.
  echo X >>"$vd/log"
  echo Y >>"$f"
  printf 'X\nY\n' >>"$ref"
  eq "append after another client appended" "$(hsh "$vd/log")" "$(hsh "$ref")"
  eq "tail" "$(tail -c 4 "$vd/log" | tr '\n' ,)" "X,Y,"
  rm -f "$ref" /tmp/append.chunk
  finish
}

sc_truncate() {
  d=$W/truncate; vd=$V/truncate
  mkdir -p "$d"
  ref=/tmp/trunc.ref
  mkdata "$ref" 300000
  cp "$ref" "$d/t"
  for s in 100000 5000000 4097 0 12345 65536; do
    truncate -s "$s" "$ref"
    must "truncate -s $s" truncate -s "$s" "$d/t"
    dropc
    eq "size after truncate to $s" "$(stat -c %s "$vd/t")" "$s"
    eq "content after truncate to $s" "$(hsh "$vd/t")" "$(hsh "$ref")"
  done
  # Write past the end after a shrink: the gap reads as zeros.
  printf 'tail' | dd of="$ref" bs=1 seek=70000 conv=notrunc 2>/dev/null
  printf 'tail' >/tmp/trunc.tail
  must "write past EOF" dd if=/tmp/trunc.tail of="$d/t" bs=1 seek=70000 conv=notrunc
  eq "content after write past EOF" "$(hsh "$vd/t")" "$(hsh "$ref")"
  # O_TRUNC on open (shell >) of a file with content.
  echo hello >"$d/t"
  eq "O_TRUNC open: size" "$(stat -c %s "$vd/t")" "6"
  eq "O_TRUNC open: content" "$(cat "$vd/t")" "hello"
  # ftruncate through the other view, seen by /mnt after its attribute cache is dropped.
  truncate -s 3 "$vd/t"
  dropc
  eq "truncate through other view" "$(cat "$d/t")" "hel"
  rm -f "$ref" /tmp/trunc.tail
  finish
}

sc_sparse() {
  d=$W/sparse; vd=$V/sparse
  mkdir -p "$d"
  f=$d/holes; ref=/tmp/sparse.ref
  mkdata /tmp/sparse.blk 4096
  rm -f "$ref"
  # 4 KiB of data at 32 MiB, then a hole up to 40 MiB; the same in a tmpfs reference file.
  for t in "$ref" "$f"; do
    dd if=/tmp/sparse.blk of="$t" bs=4096 seek=8192 conv=notrunc 2>/dev/null
    truncate -s 41943040 "$t"
  done
  dropc
  eq "size" "$(stat -c %s "$vd/holes")" "41943040"
  zero=$(dd if=/dev/zero bs=1048576 count=1 2>/dev/null | md5sum | cut -d' ' -f1)
  eq "leading hole reads zeros" "$(slice "$vd/holes" 0 1048576)" "$zero"
  eq "hole at 16 MiB reads zeros" "$(slice "$vd/holes" 16777216 1048576)" "$zero"
  eq "trailing hole reads zeros" "$(slice "$vd/holes" 40894464 1048576)" "$zero"
  eq "data block at 32 MiB" "$(slice "$vd/holes" 33554432 4096)" "$(hsh /tmp/sparse.blk)"
  eq "whole file" "$(hsh "$vd/holes")" "$(hsh "$ref")"
  # Holes must not be stored: the server reports space_used well below the size.
  used=$(($(stat -c %b "$vd/holes") * $(stat -c %B "$vd/holes")))
  if [ "$used" -lt 4194304 ]; then ok; else bad "space used $used bytes for a 40 MiB file with 4 KiB of data"; fi
  info "space_used=$used"
  # Fill a hole in the middle; the rest stays zeros.
  for t in "$ref" "$f"; do
    dd if=/tmp/sparse.blk of="$t" bs=4096 seek=2000 conv=notrunc 2>/dev/null
  done
  dropc
  eq "after filling a hole" "$(hsh "$f")" "$(hsh "$ref")"
  rm -f "$ref" /tmp/sparse.blk
  must "remove" rm "$f"
  finish
}

# fallocate(2) (busybox calls posix_fallocate): on a 4.2 mount the client sends ALLOCATE
# (RFC 7862 section 15.1); 4.0 and 4.1 have no such operation and glibc writes zeros
# instead. Either way the range is reserved, the size grows past the end and the data stays.
sc_allocate() {
  d=$W/allocate; vd=$V/allocate
  mkdir -p "$d"
  f=$d/f
  printf 'data' >"$f"
  must "fallocate inside the file" fallocate -l 2 "$f"
  must "fallocate past the end" fallocate -o 8192 -l 1048576 "$f"
  dropc
  eq "size" "$(stat -c %s "$vd/f")" "$((8192 + 1048576))"
  eq "data kept" "$(slice "$vd/f" 0 4)" "$(printf data | md5sum | cut -d' ' -f1)"
  zero=$(dd if=/dev/zero bs=1048576 count=1 2>/dev/null | md5sum | cut -d' ' -f1)
  eq "allocated range reads zeros" "$(slice "$vd/f" 8192 1048576)" "$zero"
  used=$(($(stat -c %b "$vd/f") * $(stat -c %B "$vd/f")))
  if [ "$used" -ge 1048576 ]; then ok; else bad "space used $used bytes after allocating 1 MiB"; fi
  info "space_used=$used"
  must "remove" rm "$f"
  finish
}

sc_mkdir_deep() {
  d=$W/deep; vd=$V/deep
  mkdir -p "$d"
  long=$(printf '%0255d' 0 | tr 0 x)   # NAME_MAX
  rel=""
  i=1
  while [ $i -le 40 ]; do rel="$rel/level$i"; i=$((i + 1)); done
  rel="$rel/$long"
  must "mkdir -p 41 levels" mkdir -p "$d$rel" || finish
  must "mkdir -p again (all exist)" mkdir -p "$d$rel"
  echo leaf >"$d$rel/leaf"
  dropc
  eq "leaf at the bottom" "$(cat "$vd$rel/leaf" 2>&1)" "leaf"
  eq "directories found" "$(find "$vd" -type d | wc -l)" "42"
  eq "deepest dir type" "$(stat -c %F "$vd$rel")" "directory"
  must "cd to the bottom" sh -c "cd '$vd$rel' && [ -f leaf ]"
  must "rm -rf the tree" rm -rf "$d/level1"
  eq "tree gone" "$(ls -A "$vd" | wc -l)" "0"
  finish
}

# glob_names DIR: the names in DIR from readdir alone (the shell's glob; no stat per entry).
glob_names() {
  for _p in "$1"/* "$1"/.[!.]*; do
    # A pattern that matched nothing stays as it is; only then is a stat needed.
    case "$_p" in "$1/*" | "$1/.[!.]*") [ -e "$_p" ] || [ -L "$_p" ] || continue ;; esac
    echo "${_p##*/}"
  done
}
sc_bigdir() {
  n=${E2E_BIGDIR_N:-10000}
  d=$W/bigdir; vd=$V/bigdir
  mkdir -p "$d"
  # Names of two lengths so READDIR replies do not all break at the same place.
  seq 1 "$n" | awk '{ if ($1 % 7 == 0) printf "entry-%d-with-a-longer-name-to-vary-the-size-of-readdir-entries\n", $1; else printf "entry-%d\n", $1 }' >/tmp/names
  sort /tmp/names >/tmp/names.sorted
  t0=$(now_cs)
  # One touch / rm process for all names (busybox xargs mangled some long names in this VM).
  # shellcheck disable=SC2046  # the names have no blanks
  (cd "$d" && touch -- $(cat /tmp/names)) || fatal "creating $n files failed"
  t1=$(now_cs)
  info "create=$(secs $((t1 - t0)))s"
  # A plain READDIR listing through the uncached view ...
  glob_names "$vd" | sort >/tmp/listed
  eq "entries listed (verify view)" "$(wc -l </tmp/listed)" "$n"
  eq "names listed (verify view)" "$(hsh /tmp/listed)" "$(hsh /tmp/names.sorted)"
  t2=$(now_cs)
  info "readdir=$(secs $((t2 - t1)))s"
  # ... and ls -l through /mnt after dropping its caches (READDIR with attributes).
  dropc
  ls -ln "$d" >/tmp/lsl
  eq "ls -l regular files" "$(grep -c '^-' /tmp/lsl)" "$n"
  eq "ls -l names" "$(awk '/^-/ {print $NF}' /tmp/lsl | sort | md5sum | cut -d' ' -f1)" "$(hsh /tmp/names.sorted)"
  t3=$(now_cs)
  info "ls-l=$(secs $((t3 - t2)))s"
  # shellcheck disable=SC2046
  (cd "$d" && rm -- $(cat /tmp/names)) >/tmp/rm.err 2>&1 ||
    bad "removing $n files failed: $(grep -c . /tmp/rm.err) errors, first: $(head -n1 /tmp/rm.err)"
  t4=$(now_cs)
  info "remove=$(secs $((t4 - t3)))s"
  eq "empty after removing all" "$(glob_names "$vd" | wc -l)" "0"
  glob_names "$vd" | head -n 5
  must "rmdir" rmdir "$d"
  rm -f /tmp/names /tmp/names.sorted /tmp/listed /tmp/lsl /tmp/rm.err
  finish
}

sc_rename() {
  d=$W/rename; vd=$V/rename
  mkdir -p "$d"
  echo AAA >"$d/a"; echo BBB >"$d/b"
  ino=$(stat -c %i "$vd/a")
  must "rename over existing file" mv -f "$d/a" "$d/b"
  if [ -e "$vd/a" ]; then bad "source still exists after rename"; else ok; fi
  eq "target has source's content" "$(cat "$vd/b")" "AAA"
  eq "target has source's fileid" "$(stat -c %i "$vd/b")" "$ino"
  eq "entries after rename" "$(ls -A "$vd" | tr '\n' ' ')" "b "
  # Across directories, onto a new name and over an existing one.
  mkdir "$d/d1" "$d/d2"
  echo CCC >"$d/d1/c"; echo DDD >"$d/d2/x"; echo EEE >"$d/d1/x"
  must "rename across directories" mv "$d/d1/c" "$d/d2/c"
  eq "moved file" "$(cat "$vd/d2/c")" "CCC"
  must "rename over existing file in another directory" mv -f "$d/d1/x" "$d/d2/x"
  eq "replaced file" "$(cat "$vd/d2/x")" "EEE"
  eq "source dir empty" "$(ls -A "$vd/d1" | wc -l)" "0"
  # Directories: over an empty directory works, over a non-empty one fails.
  mkdir "$d/e1" "$d/e2" "$d/full"
  echo in >"$d/e1/f"; echo keep >"$d/full/k"
  must "rename dir over empty dir" mv -T "$d/e1" "$d/e2"
  eq "renamed dir content" "$(cat "$vd/e2/f")" "in"
  deny "rename dir over non-empty dir" "Directory not empty" mv -T "$d/e2" "$d/full"
  eq "non-empty dir untouched" "$(cat "$vd/full/k")" "keep"
  deny "rename dir over a file" "Not a directory" mv -T "$d/e2" "$d/b"
  # A rename seen by a client that has the old name cached.
  ls -l "$d/d2" >/dev/null
  mv "$vd/d2/c" "$vd/d2/c2"
  dropc
  eq "rename by the other view seen" "$(ls "$d/d2" | tr '\n' ' ')" "c2 x "
  finish
}

sc_unlink_open() {
  d=$W/unlink_open; vd=$V/unlink_open
  mkdir -p "$d"
  echo still-here >"$d/f"
  exec 4<"$d/f"
  must "unlink an open file" rm "$d/f"
  if [ -e "$d/f" ]; then bad "name still visible after unlink"; else ok; fi
  eq "read through the open descriptor" "$(cat <&4)" "still-here"
  exec 4<&-
  # The client's temporary .nfs* name (silly rename) must go away once the file is closed.
  i=0
  while [ $i -lt 20 ] && [ "$(ls -A "$vd" | wc -l)" != 0 ]; do sleep 0.2; i=$((i + 1)); done
  eq "directory empty after close" "$(ls -A "$vd" | tr '\n' ' ')" ""
  finish
}

sc_hardlink() {
  d=$W/hardlink; vd=$V/hardlink
  mkdir -p "$d/sub"
  echo one >"$d/h1"
  must "link" ln "$d/h1" "$d/h2"
  eq "link count 2" "$(stat -c %h "$vd/h1")" "2"
  eq "same fileid" "$(stat -c %i "$vd/h2")" "$(stat -c %i "$vd/h1")"
  echo two >>"$d/h2"
  eq "write via one name, read via the other" "$(cat "$vd/h1" | tr '\n' ,)" "one,two,"
  must "link into another directory" ln "$d/h1" "$d/sub/h3"
  eq "link count 3" "$(stat -c %h "$vd/h2")" "3"
  chmod 0600 "$d/h2"
  eq "chmod via one name, seen via another" "$(stat -c %a "$vd/sub/h3")" "600"
  must "unlink one name" rm "$d/h1"
  eq "link count back to 2" "$(stat -c %h "$vd/h2")" "2"
  eq "content intact" "$(cat "$vd/sub/h3" | tr '\n' ,)" "one,two,"
  deny "hard link to a directory" "Operation not permitted" ln "$d/sub" "$d/sublink"
  deny "hard link onto an existing name" "File exists" ln "$d/h2" "$d/sub/h3"
  finish
}

sc_symlink() {
  d=$W/symlink; vd=$V/symlink
  mkdir -p "$d/dir"
  echo target-data >"$d/target"; echo inner >"$d/dir/f"
  must "symlink" ln -s target "$d/s1"
  eq "readlink" "$(readlink "$vd/s1")" "target"
  eq "type" "$(stat -c %F "$vd/s1")" "symbolic link"
  eq "size is target length" "$(stat -c %s "$vd/s1")" "6"
  eq "read through symlink" "$(cat "$vd/s1")" "target-data"
  must "symlink to a directory" ln -s dir "$d/sd"
  eq "path through a dir symlink" "$(cat "$vd/sd/f")" "inner"
  must "relative symlink with .." ln -s ../target "$d/dir/up"
  eq "read through ../ symlink" "$(cat "$vd/dir/up")" "target-data"
  must "dangling symlink" ln -s nowhere "$d/dangling"
  if [ -L "$vd/dangling" ] && [ ! -e "$vd/dangling" ]; then ok; else bad "dangling symlink state"; fi
  deny "open dangling symlink" "No such file or directory" cat "$vd/dangling"
  long=$(printf '%01000d' 0 | tr 0 y)
  must "1000-byte target" ln -s "/abs/$long" "$d/long"
  eq "long target round trip" "$(readlink "$vd/long")" "/abs/$long"
  must "remove symlink" rm "$d/s1"
  eq "target survives" "$(cat "$vd/target")" "target-data"
  deny "symlink onto an existing name" "File exists" ln -s x "$d/target"
  finish
}

sc_chmod() {
  d=$W/chmod; vd=$V/chmod
  mkdir -p "$d"
  : >"$d/f"
  for m in 600 644 755 700 400 000 640 4755 2755 6711 777; do
    must "chmod $m file" chmod "$m" "$d/f"
    eq "file mode $m on server" "$(stat -c %a "$vd/f")" "$(echo "$m" | sed 's/^0*//; s/^$/0/')"
  done
  mkdir "$d/dir"
  for m in 700 755 1777 2775 311; do
    must "chmod $m dir" chmod "$m" "$d/dir"
    eq "dir mode $m on server" "$(stat -c %a "$vd/dir")" "$m"
  done
  chmod 0755 "$d/dir"
  # The mode asked for at create time (after the umask) is the mode stored.
  (umask 022 && : >"$d/u022" && mkdir "$d/du022")
  (umask 077 && : >"$d/u077" && mkdir "$d/du077")
  (umask 027 && : >"$d/u027" && mkdir "$d/du027")
  eq "create with umask 022" "$(stat -c %a "$vd/u022")" "644"
  eq "create with umask 077" "$(stat -c %a "$vd/u077")" "600"
  eq "create with umask 027" "$(stat -c %a "$vd/u027")" "640"
  eq "mkdir with umask 022" "$(stat -c %a "$vd/du022")" "755"
  eq "mkdir with umask 077" "$(stat -c %a "$vd/du077")" "700"
  eq "mkdir with umask 027" "$(stat -c %a "$vd/du027")" "750"
  # chmod seen by the writing mount after its attribute cache expires.
  chmod 0604 "$vd/f"
  dropc
  eq "chmod by other view seen" "$(stat -c %a "$d/f")" "604"
  finish
}

# Owner strings: the Linux client sends and expects numeric ids ("1000") for AUTH_SYS; a server
# that answers with names the client cannot map makes every owner show as 4294967294 / 65534.
owner_hint() {
  case "$1" in *4294967294* | *65534*) echo " (server sent owner names the client cannot map: send numeric owner strings)" ;; esac
}
sc_chown() {
  d=$W/chown; vd=$V/chown
  mkdir -p "$d"
  chmod 0777 "$d"
  : >"$d/f"
  got=$(stat -c '%u:%g' "$vd/f")
  eq "new file owned by root$(owner_hint "$got")" "$got" "0:0"
  for o in 1000:1000 1001:1000 1001:1002 0:1002 4242:4343 0:0; do
    must "chown $o" chown "$o" "$d/f"
    got=$(stat -c '%u:%g' "$vd/f")
    eq "owner $o on server$(owner_hint "$got")" "$got" "$o"
  done
  must "chgrp 1002" chgrp 1002 "$d/f"
  eq "group after chgrp" "$(stat -c '%u:%g' "$vd/f")" "0:1002"
  as e2e ": > $d/byuser; mkdir $d/dirbyuser"
  got=$(stat -c '%u:%g' "$vd/byuser")
  eq "file created by uid 1000$(owner_hint "$got")" "$got" "1000:1000"
  eq "dir created by uid 1000" "$(stat -c '%u:%g' "$vd/dirbyuser")" "1000:1000"
  # setgid directory: new entries inherit its group, new subdirectories also the setgid bit.
  mkdir "$d/sg"
  chown 0:1002 "$d/sg"
  chmod 2775 "$d/sg"
  : >"$d/sg/file"
  mkdir "$d/sg/sub"
  eq "file in setgid dir inherits group" "$(stat -c %g "$vd/sg/file")" "1002"
  eq "dir in setgid dir inherits group" "$(stat -c %g "$vd/sg/sub")" "1002"
  case "$(stat -c %a "$vd/sg/sub")" in 2*) ok ;; *) bad "subdir of setgid dir lost setgid: $(stat -c %a "$vd/sg/sub")" ;; esac
  # ls -ln shows numeric ids through the writing mount too.
  eq "ls -ln owner" "$(ls -ln "$d/byuser" | awk '{print $3":"$4}')" "1000:1000"
  finish
}

# Permission checks as unprivileged users: e2e (uid 1000, groups 1000 and 1002) and e2e2 (1001).
# Errors expected are the ones a local Linux file system gives.
sc_perms() {
  d=$W/perms; vd=$V/perms
  EACCES="Permission denied"
  EPERM="Operation not permitted"
  eq "identity of e2e" "$(as e2e 'id -u; id -G' | tr '\n' ' ')" "1000 1000 1002 "
  [ "$NBAD" = 0 ] || fatal "cannot switch to the unprivileged user (busybox su)"
  mkdir -p "$d"
  chmod 0755 "$d"
  echo secret >"$d/secret"; chmod 0600 "$d/secret"
  echo public >"$d/public"; chmod 0644 "$d/public"
  echo trunc >"$d/trunc"; chmod 0644 "$d/trunc"
  mkdir "$d/rootdir"; chmod 0755 "$d/rootdir"; echo x >"$d/rootdir/file"
  mkdir "$d/private"; echo p >"$d/private/file"; chmod 0700 "$d/private"
  mkdir "$d/xonly"; echo known >"$d/xonly/known"; chmod 0711 "$d/xonly"
  echo grp >"$d/grpfile"; chown 0:1002 "$d/grpfile"; chmod 0640 "$d/grpfile"
  mkdir "$d/home"; chown 1000:1000 "$d/home"; chmod 0755 "$d/home"
  mkdir "$d/sticky"; chmod 1777 "$d/sticky"; echo r >"$d/sticky/rootfile"; chmod 0666 "$d/sticky/rootfile"
  echo zero >"$d/zero"; chown 1000:1000 "$d/zero"; chmod 0000 "$d/zero"

  deny "read a 0600 root file" "$EACCES" as e2e "cat $d/secret"
  must "read a 0644 root file" as e2e "cat $d/public"
  deny "append to a 0644 root file" "$EACCES" as e2e "echo x >> $d/public"
  deny "truncate a 0644 root file" "$EACCES" as e2e "truncate -s 0 $d/trunc"
  deny "create in a root 0755 dir" "$EACCES" as e2e "echo x > $d/rootdir/new"
  deny "mkdir in a root 0755 dir" "$EACCES" as e2e "mkdir $d/rootdir/sub"
  deny "unlink in a root 0755 dir" "$EACCES" as e2e "rm -f $d/rootdir/file"
  deny "rename in a root 0755 dir" "$EACCES" as e2e "mv $d/rootdir/file $d/rootdir/file2"
  deny "symlink in a root 0755 dir" "$EACCES" as e2e "ln -s x $d/rootdir/link"
  deny "list a 0700 root dir" "$EACCES" as e2e "ls $d/private"
  deny "open through a 0700 root dir" "$EACCES" as e2e "cat $d/private/file"
  deny "list a 0711 dir" "$EACCES" as e2e "ls $d/xonly"
  must "open a known name in a 0711 dir" as e2e "cat $d/xonly/known"
  must "group member reads a 0640 file" as e2e "cat $d/grpfile"
  deny "non-member reads a 0640 file" "$EACCES" as e2e2 "cat $d/grpfile"
  deny "non-member writes a 0640 file" "$EACCES" as e2e2 "echo x >> $d/grpfile"
  must "create in own dir" as e2e "echo mine > $d/home/mine"
  must "mkdir in own dir" as e2e "mkdir $d/home/sub"
  must "read own file" as e2e "cat $d/home/mine"
  deny "other user creates in a 0755 dir of e2e" "$EACCES" as e2e2 "echo x > $d/home/intruder"
  must "chmod own file" as e2e "chmod 0400 $d/home/mine"
  deny "write own 0400 file" "$EACCES" as e2e "echo more >> $d/home/mine"
  deny "chmod a root file" "$EPERM" as e2e "chmod 0777 $d/public"
  deny "chown own file to another uid" "$EPERM" as e2e "chown 1001 $d/home/mine"
  deny "chgrp own file to a group not a member of" "$EPERM" as e2e "chgrp 1001 $d/home/mine"
  must "chgrp own file to own supplementary group" as e2e "chgrp 1002 $d/home/mine"
  deny "unlink another user's file in a sticky dir" "$EPERM" as e2e "rm -f $d/sticky/rootfile"
  must "write a 0666 file in a sticky dir" as e2e "echo w >> $d/sticky/rootfile"
  must "create and unlink own file in a sticky dir" as e2e "echo m > $d/sticky/m && rm $d/sticky/m"
  deny "owner reads own 0000 file" "$EACCES" as e2e "cat $d/zero"
  must "root reads a 0000 file (no root squash)" cat "$d/zero"
  # Nothing the denied calls tried may have reached the disk.
  eq "secret intact" "$(cat "$vd/secret")" "secret"
  eq "public intact" "$(cat "$vd/public")" "public"
  eq "trunc intact" "$(cat "$vd/trunc")" "trunc"
  eq "root dir unchanged" "$(ls -A "$vd/rootdir" | tr '\n' ' ')" "file "
  eq "sticky file kept" "$(cat "$vd/sticky/rootfile" | tr '\n' ,)" "r,w,"
  eq "modes unchanged" "$(stat -c %a "$vd/public") $(stat -c %u "$vd/home/mine")" "644 1000"
  finish
}

sc_errors() {
  d=$W/errors; vd=$V/errors
  mkdir -p "$d/dir"
  echo f >"$d/file"; echo x >"$d/dir/inner"
  deny "mkdir an existing name" "File exists" mkdir "$d/dir"
  deny "rmdir a non-empty dir" "Directory not empty" rmdir "$d/dir"
  deny "open a missing file" "No such file or directory" cat "$d/missing"
  deny "rmdir a file" "Not a directory" rmdir "$d/file"
  deny "path through a file" "Not a directory" cat "$d/file/x"
  deny "unlink(2) a directory" "Is a directory" unlink "$d/dir"
  deny "write a directory" "Is a directory" sh -c "echo x > $d/dir"
  long=$(printf '%0255d' 0 | tr 0 z)
  must "255-byte name" touch "$d/$long"
  # shellcheck disable=SC2010  # the names here are plain
  eq "255-byte name listed" "$(ls "$vd" | grep -c "^$long\$")" "1"
  deny "256-byte name" "File name too long" touch "$d/${long}z"
  deny "exclusive create of an existing file" "File exists" sh -c "set -C; echo x > $d/file"
  must "exclusive create of a new file" sh -c "set -C; echo x > $d/newfile"
  finish
}

# Write a small tree, unmount both views, mount again, and compare everything: data, types,
# sizes, modes, owners, link counts, fileids, symlink targets.
manifest() {
  (cd "$1" && find . | sort | while read -r p; do
    stat -c '%n %F %s %a %u %g %h %i' "$p"
    if [ -L "$p" ]; then readlink "$p"; elif [ -f "$p" ]; then hsh "$p"; fi
  done)
}
sc_remount() {
  d=$W/remount
  mkdir -p "$d/a/b/c"
  mkdata "$d/small" 1024
  mkdata "$d/a/odd" 1048583
  mkdata "$d/a/b/c/deep" 77777
  echo hello >"$d/a/hello"
  ln "$d/a/hello" "$d/hardlink"
  ln -s a/b/c/deep "$d/symlink"
  truncate -s 10000000 "$d/a/b/sparse"
  chmod 0640 "$d/small"; chown 1000:1002 "$d/small"
  chmod 2750 "$d/a/b"
  before=$(manifest "$d")
  # Everything written so far by other scenarios in this VM must survive too.
  all_before=$(cd "$W" && find . | sort | md5sum)
  must "umount verify view" umount "$VFY"
  must "umount" umount "$MNT" || fatal "cannot unmount"
  is_mounted "$MNT" && fatal "still mounted after umount"
  mount_nfs "$MNT" "$OPTS" || fatal "mount again: $_out"
  mount_nfs "$VFY" "$VOPTS" || fatal "verify view again: $_out"
  after=$(manifest "$d")
  eq "tree lines" "$(echo "$after" | wc -l)" "$(echo "$before" | wc -l)"
  if [ "$before" = "$after" ]; then ok; else
    bad "tree differs after remount"
    echo "$before" >/tmp/before; echo "$after" >/tmp/after
    diff /tmp/before /tmp/after | head -n 20
  fi
  eq "all names in the work dir" "$(cd "$W" && find . | sort | md5sum)" "$all_before"
  finish
}

# --------------------------------------------------------------------------------------------
# State scenarios (run_vm_suite.sh's state phase): two VMs, "a" and "b", share a lock file in
# $MNT/e2e-locks and tell each other where they are with marker files created and polled
# through the uncached view; the host kills and restarts the server around "crash".
# --------------------------------------------------------------------------------------------
LK=$MNT/e2e-locks
LKV=$VFY/e2e-locks
# await FILE SECS: wait until FILE exists (seen through the uncached view).
await() {
  _i=0
  while [ ! -e "$1" ]; do
    _i=$((_i + 1))
    [ "$_i" -gt $(($2 * 5)) ] && return 1
    sleep 0.2
  done
}

# a: holds a flock, then an fcntl range, each until b says it was refused; then takes one more
# range and powers the VM off with it held (b sees it freed when a's lease expires).
sc_lock_hold() {
  mkdir -p "$LK"
  f=$LK/file
  must "create lock file" touch "$f"
  eq "flock held until b was refused" \
    "$(lockhelper flock "$f" 0 0 hold "$LKV/a-flock-held" "$LKV/b-flock-refused" 240; echo $?)" 0
  # A flock and an fcntl lock have different lock owners and do conflict: wait until b's
  # blocked flock went through before taking the range.
  await "$LKV/b-flock-got" 240 && ok || bad "b never got the released flock"
  eq "fcntl range held until b was refused" \
    "$(lockhelper fcntl "$f" 100 10 hold "$LKV/a-fcntl-held" "$LKV/b-fcntl-refused" 240; echo $?)" 0
  await "$LKV/b-got-both" 240 && ok || bad "b never got the released locks"
  finish
}
sc_lock_vanish() {
  f=$LK/file
  lockhelper fcntl "$f" 500 10 hold "$LKV/a-vanish-held" - &
  await "$LKV/a-vanish-held" 60 || fatal "could not take the last lock"
  sync
  # No unlock, no unmount, no more lease renewals: the server must expire this client.
  echo "E2E RESULT lock_vanish PASS holding 500-509, powering off" >/dev/console
  echo "E2E DONE vanished" >/dev/console
  poweroff -f
}

# b: refused while a holds, granted once a releases (blocking waits: the Linux client polls).
sc_lock_wait() {
  f=$LK/file
  await "$LKV/a-flock-held" 240 || fatal "a never took the flock"
  eq "flock refused while a holds it" "$(lockhelper flock "$f" 0 0 try; echo $?)" 1
  must "signal b-flock-refused" touch "$LKV/b-flock-refused"
  _t0=$(now_cs)
  eq "flock granted after a released it" "$(lockhelper flock "$f" 0 0 wait 120; echo $?)" 0
  info "flock_wait=$(secs $(($(now_cs) - _t0)))s"
  must "signal b-flock-got" touch "$LKV/b-flock-got"
  await "$LKV/a-fcntl-held" 240 || fatal "a never took the fcntl lock"
  eq "overlapping range refused" "$(lockhelper fcntl "$f" 105 1 try; echo $?)" 1
  eq "disjoint range granted" "$(lockhelper fcntl "$f" 200 10 try; echo $?)" 0
  must "signal b-fcntl-refused" touch "$LKV/b-fcntl-refused"
  _t0=$(now_cs)
  eq "range granted after a released it" "$(lockhelper fcntl "$f" 100 10 wait 120; echo $?)" 0
  info "fcntl_wait=$(secs $(($(now_cs) - _t0)))s"
  must "signal b-got-both" touch "$LKV/b-got-both"
  finish
}
# b, after a powered off holding 500-509: refused at first, granted once the server expired
# a's lease (elfsd runs with a short lease in the state phase).
sc_lock_expired() {
  f=$LK/file
  await "$LKV/a-vanish-held" 240 || fatal "a never took its last lock"
  eq "refused while a's lease runs" "$(lockhelper fcntl "$f" 500 10 try; echo $?)" 1
  _t0=$(now_cs)
  eq "granted after a's lease expired" "$(lockhelper fcntl "$f" 500 10 wait 180; echo $?)" 0
  info "after=$(secs $(($(now_cs) - _t0)))s"
  finish
}

# crash: write a large file with fsync while the host kill -9s the server and restarts it; the
# write must finish without an I/O error and the stored bytes must match.
sc_crash_write() {
  d=$W/crash
  mkdir -p "$d"
  mkdata /tmp/crash.ref $((48 * 1048576)) || fatal "no test data"
  want=$(hsh /tmp/crash.ref)
  echo "E2E CRASHPOINT writing" >/dev/console
  if _out=$(dd if=/tmp/crash.ref of="$d/big" bs=1048576 conv=fsync 2>&1); then ok; else
    bad "dd: $(echo "$_out" | tail -n1)"
  fi
  must "sync" sync
  dropc
  eq "checksum through this mount" "$(hsh "$d/big")" "$want"
  eq "checksum through the uncached view" "$(hsh "$V/crash/big")" "$want"
  # A second file written after the restart, unstable then committed.
  must "write after restart" cp /tmp/crash.ref "$d/again"
  must "sync again" sync
  eq "second file" "$(hsh "$V/crash/again")" "$want"
  rm -f /tmp/crash.ref
  finish
}

# --------------------------------------------------------------------------------------------
run_check() {
  _name=$1; _fn=$2
  echo "E2E BEGIN $_name"
  : >/tmp/e2e.detail
  _t0=$(now_cs)
  (cd / && "$_fn" "$_name"; finish) >/tmp/e2e.log 2>&1
  _rc=$?
  _t1=$(now_cs)
  _detail=$(head -c 1500 /tmp/e2e.detail | tr '\n' ' ')
  if [ "$_rc" = 0 ]; then
    _st=PASS
  else
    _st=FAIL
    FAILED=$((FAILED + 1))
    tail -n 25 /tmp/e2e.log | sed "s/^/E2E LOG $_name| /"
  fi
  echo "E2E RESULT $_name $_st time=$(secs $((_t1 - _t0)))s $_detail"
}

FAILED=0
echo "E2E START vers=$VERS server=$SERVER:$PORT path=$EXPORT_PATH scenarios=$SCEN"
run_check mount sc_mount
if is_mounted "$MNT" && [ -d "$W" ]; then
  for s in $SCEN; do
    case "$s" in
      rw_*) fn=sc_rw ;;
      *) fn=sc_$s ;;
    esac
    if type "$fn" >/dev/null 2>&1; then
      run_check "$s" "$fn"
    else
      echo "E2E RESULT $s FAIL unknown scenario"
      FAILED=$((FAILED + 1))
    fi
  done
else
  for s in $SCEN; do echo "E2E RESULT $s FAIL skipped: mount failed"; done
fi
run_check umount sc_umount
if [ "$FAILED" != 0 ]; then dmesg | tail -n 40 | sed 's/^/E2E DMESG| /'; fi
echo "E2E DONE failed=$FAILED"
