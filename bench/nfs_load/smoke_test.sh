#!/usr/bin/env bash
# Smoke test of nfs_load (ctest label "bench"): starts elfsd on a free port
# with a fresh data directory and runs every workload once with tiny sizes.
# Not a timed test: it fails only if a workload fails (a wrong status, a short
# write, data read back that differs from what was written, a wrong READDIR
# count...) or reports nothing. Usage: smoke_test.sh NFS_LOAD ELFSD
set -euo pipefail
nfs_load=$1
elfsd=$2
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$elfsd" --data-dir "$work/data" --listen "127.0.0.1:$port" --api-listen "" \
  --grace-seconds 0 >"$work/elfsd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "serving file system" "$work/elfsd.log" && break; sleep 0.1; done
grep -q "serving file system" "$work/elfsd.log" || { cat "$work/elfsd.log"; exit 1; }

"$nfs_load" --server "127.0.0.1:$port" --label elfs --workloads all --verify-all \
  --conns 2 --clients 3 --depth 2 --seconds 0.3 --io-size 64K --seq-size 1M --rand-size 1M \
  --commit-every 256K --stat-files 20 --remove-files 30 --readdir-entries 250 \
  --readdir-maxcount 4096 --hold-conns 5 --server-pid "$pid" >"$work/out.jsonl" || { cat "$work/out.jsonl"; tail -20 "$work/elfsd.log"; exit 1; }
cat "$work/out.jsonl"
n=$(grep -c '"ok":true' "$work/out.jsonl")
want=12  # every workload of `all`
[ "$n" = "$want" ] || { echo "expected $want workloads to report, got $n"; exit 1; }
kill -0 "$pid" || { echo "elfsd died"; exit 1; }
echo "1 passed, 0 failed"
