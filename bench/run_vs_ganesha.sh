#!/usr/bin/env bash
# elfs against NFS-Ganesha 4.3, side by side (issue 7). Starts elfsd and
# Ganesha (VFS export) on loopback, each on its own port with its directory
# on the same disk, runs every nfs_load workload against both, alternating
# which goes first, several repetitions, and prints the medians and the
# ratios elfs/Ganesha. Also measures the ceilings in the same run: loopback
# TCP (iperf3, one stream) and the disk: 1 MiB writes with O_DSYNC (dd, one
# stream) and 8 streams of 1 MiB writes each followed by fdatasync (fio), as
# seqwrite_sync's 8 clients write 8 files. nfs_load also reports the CPU time
# each server used per workload (--server-pid).
#
# Usage (as root, after scripts/build.sh):
#   bench/run_vs_ganesha.sh [--reps N] [--seconds S] [--workloads LIST]
#                           [--build DIR] [--work DIR] [--out DIR] [-- NFS_LOAD_ARGS...]
# Results: OUT/results.jsonl (one line per workload, server and repetition),
# OUT/ceilings.json and OUT/summary.md (the table, also printed).
set -euo pipefail
cd "$(dirname "$0")/.."
reps=3 seconds=5 workloads=all build=build work=/var/tmp/elfs-bench out=
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --reps) reps=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --workloads) workloads=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "unknown argument $1"; exit 2 ;;
  esac
done
out=${out:-$work/results-$(date -u +%Y%m%dT%H%M%SZ)}
nfs_load=$build/bench/nfs_load/nfs_load
elfsd=$build/src/server/elfsd
[ -x "$nfs_load" ] && [ -x "$elfsd" ] || { echo "build first: $nfs_load, $elfsd"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "run as root (Ganesha and elfsd serve files as their owners)"; exit 1; }
need=()
for p in nfs-ganesha nfs-ganesha-vfs iperf3 fio python3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

mkdir -p "$work" "$out"
elfs_port=20491 ganesha_port=20492 iperf_port=20493
elfs_pid= ganesha_pid=
cleanup() {
  [ -n "$elfs_pid" ] && kill "$elfs_pid" 2>/dev/null
  [ -n "$ganesha_pid" ] && kill -9 "$ganesha_pid" 2>/dev/null
  wait 2>/dev/null || true
}
trap cleanup EXIT

# --- machine facts ---
{
  echo "date: $(date -u +%FT%TZ)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpu: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "memory: $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "kernel: $(uname -r)"
  echo "disk: $(df -h "$work" | awk 'NR==2{print $1, $2}') ($(findmnt -n -o FSTYPE --target "$work"))"
  echo "ganesha: $(dpkg-query -W -f='${Version}' nfs-ganesha)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/machine.txt"

# --- ceilings ---
echo "== ceilings"
iperf3 -s -B 127.0.0.1 -p $iperf_port -1 >/dev/null 2>&1 &
sleep 0.5
iperf_gbps=$(iperf3 -c 127.0.0.1 -p $iperf_port -t 5 -J |
  python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9, 2))')
wait
dd_out=$(dd if=/dev/zero of="$work/dsync.test" bs=1M count=512 oflag=dsync 2>&1 | tail -1)
rm -f "$work/dsync.test"
disk_mbs=$(echo "$dd_out" | python3 -c '
import re,sys
m = re.search(r"(\d+) bytes .* copied, ([\d.]+) s", sys.stdin.read())
print(round(int(m.group(1)) / float(m.group(2)) / 1e6, 1))')
mkdir -p "$work/fio"
fio_mbs=$(fio --name=dsync --directory="$work/fio" --rw=write --bs=1M --size=128M --numjobs=8 \
  --fdatasync=1 --group_reporting --output-format=json 2>/dev/null |
  python3 -c 'import json,sys; print(round(json.load(sys.stdin)["jobs"][0]["write"]["bw_bytes"]/1e6, 1))')
rm -rf "$work/fio"
echo "{\"loopback_tcp_gbit_per_s\": $iperf_gbps, \"disk_dsync_1mib_mb_per_s\": $disk_mbs, \"disk_fdatasync_8jobs_mb_per_s\": $fio_mbs}" |
  tee "$out/ceilings.json"

# --- servers ---
# elfs: a data directory of its own; the file system's files live under it.
mkdir -p "$work/elfs-data"
"$elfsd" --data-dir "$work/elfs-data" --listen 127.0.0.1:$elfs_port --api-listen "" \
  --grace-seconds 0 >"$out/elfsd.log" 2>&1 &
elfs_pid=$!
# Ganesha: the config of docs TESTING.md section 4, its own port, Graceless.
mkdir -p "$work/ganesha-export" "$work/ganesha"
cat >"$work/ganesha/ganesha.conf" <<EOF
NFS_CORE_PARAM { Protocols = 4; NFS_Port = $ganesha_port; Bind_addr = 127.0.0.1;
                 Enable_NLM = false; Enable_RQUOTA = false; }
NFSv4 { Grace_Period = 5; Lease_Lifetime = 10; Minor_Versions = 0, 1, 2;
        Graceless = true; Only_Numeric_Owners = true; }
EXPORT { Export_Id = 1; Path = $work/ganesha-export; Pseudo = /export; Access_Type = RW;
         Squash = No_Root_Squash; SecType = sys; Protocols = 4; FSAL { Name = VFS; } }
LOG { Default_Log_Level = EVENT; }
EOF
ganesha.nfsd -F -L "$out/ganesha.log" -f "$work/ganesha/ganesha.conf" \
  -p "$work/ganesha/ganesha.pid" &
ganesha_pid=$!
for _ in $(seq 100); do
  grep -q "serving file system" "$out/elfsd.log" 2>/dev/null &&
    (exec 3<>/dev/tcp/127.0.0.1/$ganesha_port) 2>/dev/null && break
  sleep 0.2
done

run_one() {  # run_one SERVER REP
  local args=(--workloads "$workloads" --seconds "$seconds" --label "$1")
  if [ "$1" = elfs ]; then args+=(--server 127.0.0.1:$elfs_port --server-pid "$elfs_pid")
  else args+=(--server 127.0.0.1:$ganesha_port --export /export --server-pid "$ganesha_pid"); fi
  echo "== $1, repetition $2 (load $(cut -d' ' -f1 /proc/loadavg))"
  "$nfs_load" "${args[@]}" "${extra[@]}" |
    python3 -c 'import json,sys
rep = int(sys.argv[1])
for line in sys.stdin:
    d = json.loads(line); d["rep"] = rep; print(json.dumps(d), flush=True)' "$2" >>"$out/results.jsonl" ||
    echo "nfs_load failed against $1 (see above)"
}

: >"$out/results.jsonl"
for rep in $(seq "$reps"); do
  if [ $((rep % 2)) = 1 ]; then order="elfs ganesha"; else order="ganesha elfs"; fi
  for s in $order; do run_one "$s" "$rep"; done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/machine.txt"

python3 bench/summarize.py "$out" | tee "$out/summary.md"
