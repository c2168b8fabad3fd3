#!/usr/bin/env bash
# elfsd with --backend ceph, end to end with a real client (libnfs, NFSv4.0):
# writes a file and makes directories through elfsd, reads them back, then
# restarts elfsd (a new Ceph mount, nothing cached) and reads them again by
# name. Needs the cluster of run_ceph_tests.sh (ELFS_CEPH_CONF).
# Usage: run_ceph_tests.sh ceph_elfsd_e2e.sh ELFSD_BINARY
set -euo pipefail
elfsd=$1
: "${ELFS_CEPH_CONF:?run through run_ceph_tests.sh}"
command -v nfs-cat >/dev/null || { echo "libnfs-utils missing (scripts/deps.sh test)"; exit 1; }
work=$(mktemp -d)
pid=
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; pid=; fi; }
trap 'stop; rm -rf "$work"' EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start() {
  : >"$work/elfsd.log"
  "$elfsd" --data-dir "$work/data" --listen "127.0.0.1:$port" --api-listen 127.0.0.1:0 \
    --grace-seconds 0 --backend ceph --ceph-conf "$ELFS_CEPH_CONF" --ceph-client-id admin \
    >"$work/elfsd.log" 2>&1 &
  pid=$!
  for _ in $(seq 150); do grep -q "serving file system" "$work/elfsd.log" && return 0; sleep 0.1; done
  echo "elfsd did not start:"; cat "$work/elfsd.log"; return 1
}
url() { echo "nfs://127.0.0.1/$1?version=4&nfsport=$port"; }

passed=0 failed=0
check() {  # check NAME COMMAND...
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then passed=$((passed + 1)); echo "PASS $name"
  else failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/  /' "$work/out"; tail -5 "$work/elfsd.log"; fi
}
head -c 3000 /dev/urandom >"$work/small"
write_small() { nfs-cp "$work/small" "$(url /small)"; }
read_small() { nfs-cp "$(url /small)" "$work/small.back" && cmp "$work/small" "$work/small.back"; }
list_root() { nfs-ls "$(url /)" | grep -q ' small$'; }
missing_file() { ! nfs-cat "$(url /nothing-here)"; }

start
check write_3kb write_small
rm -f "$work/small.back"
check read_back read_small
check ls list_root
check missing_file missing_file
stop
start  # a fresh mount: what was acknowledged is in the cluster
rm -f "$work/small.back"
check read_after_restart read_small
check ls_after_restart list_root
kill -0 "$pid" || { echo "elfsd died"; failed=$((failed + 1)); }
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
