#!/usr/bin/env bash
# A second real client: libnfs (Debian's libnfs-utils, NFSv4.0 only) against
# elfsd over TCP. Reads a 5 MB file the host put in the export, writes a
# small file (libnfs 4.0.0 cannot encode writes of about 4 KB or more) and
# lists directories. Usage: libnfs_test.sh ELFSD_BINARY
set -euo pipefail
elfsd=$1
command -v nfs-cat >/dev/null || { echo "libnfs-utils missing (scripts/deps.sh test)"; exit 1; }
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

fsdir=$work/data/fs/fs-00000000000011b00
mkdir -p "$fsdir/dir/sub"
head -c 5000000 /dev/urandom >"$fsdir/big"
head -c 3000 /dev/urandom >"$work/small"
echo hello >"$fsdir/dir/sub/leaf"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$elfsd" --data-dir "$work/data" --listen "127.0.0.1:$port" --api-listen 127.0.0.1:0 >"$work/elfsd.log" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q "serving file system" "$work/elfsd.log" && break; sleep 0.1; done
url() { echo "nfs://127.0.0.1/$1?version=4&nfsport=$port"; }

passed=0 failed=0
check() {  # check NAME COMMAND...
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then passed=$((passed + 1)); echo "PASS $name"
  else failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/  /' "$work/out"; fi
}
read_big() { [ "$(nfs-cat "$(url /big)" | md5sum)" = "$(md5sum <"$fsdir/big")" ]; }
write_small() { nfs-cp "$work/small" "$(url /small)" && cmp "$work/small" "$fsdir/small"; }
copy_back() { nfs-cp "$(url /big)" "$work/big.copy" && cmp "$fsdir/big" "$work/big.copy"; }
list_root() { nfs-ls "$(url /)" | grep -q ' big$'; }
list_recursive() { nfs-ls -R "$(url /)" | grep -q 'leaf'; }
missing_file() { ! nfs-cat "$(url /nothing-here)"; }

check read_5mb read_big
check write_3kb write_small
check copy_back copy_back
check ls list_root
check ls_recursive list_recursive
check missing_file missing_file
kill -0 "$pid" || { echo "elfsd died"; failed=$((failed + 1)); }
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
