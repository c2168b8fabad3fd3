#!/usr/bin/env bash
# End-to-end suite: the Linux kernel NFS client (in a qemu VM) against an NFS server on this
# machine's loopback.
#
#   run_vm_suite.sh [--server ganesha|elfs] [--vers 4.1,4.0] [--elfsd PATH]
#                   [--scenarios a,b,c] [--results DIR] [--timeout SECS] [--keep]
#
# Builds the VM if needed (vm/build-vm.sh), starts the server on 127.0.0.1 at a free port over a
# fresh export directory, boots one VM per NFS version (the workload inside prints one
# "E2E RESULT <name> PASS|FAIL <detail>" line per check), stops the server, and reports.
# The last line is exactly "N passed, M failed" (read by CI). Exit status is non-zero on any
# FAIL, a missing result, a missing "E2E DONE", a VM timeout or a server that died.
#
# Environment:
#   ELFSD                 elfsd binary (same as --elfsd)
#   ELFS_SERVER_CMD       override the whole elfs start command (see start_server_elfs)
#   ELFS_FS_ID            file system id; its directory is DATA_DIR/fs/<id> (default fs-0000000000000e2e0)
#   ELFS_MOUNT_PATH       NFS path the client mounts on elfs (default /)
#   ELFS_E2E_VM_CACHE     VM cache dir (default /var/tmp/elfs-e2e-vm)
#   ELFS_E2E_RESULTS      results root (default /var/tmp/elfs-e2e-results)
#   ELFS_E2E_ACCEL        kvm|tcg|auto (default auto: KVM when /dev/kvm works, else emulation)
#   ELFS_E2E_VM_MEM       VM memory in MiB (default 1024)
#   ELFS_E2E_VM_TIMEOUT   hard limit per VM boot in seconds (default 600, same as --timeout)
#   ELFS_E2E_BIGDIR_N     entries in the bigdir scenario (default 10000; smaller for quick runs)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

SERVER=elfs
VERSIONS=4.1,4.0
SCENARIOS=""
RESULTS_ROOT=${ELFS_E2E_RESULTS:-/var/tmp/elfs-e2e-results}
VM_TIMEOUT=${ELFS_E2E_VM_TIMEOUT:-600}
KEEP=0
ELFSD=${ELFSD:-}

usage() { sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --server) SERVER=$2; shift 2 ;;
    --vers) VERSIONS=$2; shift 2 ;;
    --elfsd) ELFSD=$2; shift 2 ;;
    --scenarios) SCENARIOS=$2; shift 2 ;;
    --results) RESULTS_ROOT=$2; shift 2 ;;
    --timeout) VM_TIMEOUT=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h | --help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 ;;
  esac
done

# Scenarios per version when --scenarios is not given. Every listed check runs for each
# version; the 256 MiB file runs once (4.1), 4.0 gets 64 MiB instead, to keep the run short.
COMMON_SCENARIOS="rw_1k,rw_4097,rw_1m,rw_1048577,rw_5m,append,truncate,sparse,mkdir_deep,bigdir,rename,unlink_open,hardlink,symlink,chmod,chown,perms,errors,remount"
default_scenarios() {
  case "$1" in
    4.1) echo "$COMMON_SCENARIOS,rw_256m" ;;
    *) echo "$COMMON_SCENARIOS,rw_64m" ;;
  esac
}

log() { echo "e2e: $*" >&2; }
# A setup error still ends with the closing line that CI reads.
die() { echo "e2e: ERROR: $*" >&2; echo "0 passed, 1 failed"; exit 2; }
server_log_tail() { tail -n 30 "$RUN"/server.log "$RUN"/*.stdout >&2 2>/dev/null || true; }

[ "$(id -u)" = 0 ] || die "must run as root (apt-get, NFS server, qemu)"

# ------------------------------------------------------------------------------------------
# Server hooks. A server kind K provides:
#   prepare_export_K RUN_DIR      create a fresh, empty directory tree to serve; set EXPORT_DIR
#   start_server_K RUN_DIR PORT   start it in the background on 127.0.0.1:PORT; set SERVER_PID
#                                 and MOUNT_PATH (the path the client mounts); log to RUN_DIR
#   stop_server_K                 stop it (must not leave a process behind)
# ------------------------------------------------------------------------------------------

# --- NFS-Ganesha (VFS FSAL): the reference server the harness is validated against. ---------
prepare_export_ganesha() {
  EXPORT_DIR=$1/export
  CLEANUP_DIR=$EXPORT_DIR
  mkdir -p "$EXPORT_DIR"
  chmod 0755 "$EXPORT_DIR"
}
start_server_ganesha() {
  local run=$1 port=$2
  command -v ganesha.nfsd >/dev/null ||
    die "ganesha.nfsd not found: apt-get install nfs-ganesha nfs-ganesha-vfs"
  mkdir -p "$run/ganesha-recovery"
  # Only_Numeric_Owners: owners go over the wire as "1000", as the Linux server sends them to
  # AUTH_SYS clients. Graceless: no grace period after start. RecoveryRoot: our own, so that
  # ganesha instances of other people on this machine do not share client records with us.
  cat >"$run/ganesha.conf" <<EOF
NFS_CORE_PARAM { Protocols = 4; NFS_Port = $port; Bind_addr = 127.0.0.1;
                 Enable_NLM = false; Enable_RQUOTA = false; }
NFSv4 { Graceless = true; Grace_Period = 5; Lease_Lifetime = 10; Minor_Versions = 0, 1;
        Only_Numeric_Owners = true; RecoveryRoot = "$run/ganesha-recovery"; }
EXPORT { Export_Id = 1; Path = "$EXPORT_DIR"; Pseudo = /export; Access_Type = RW;
         Squash = No_Root_Squash; SecType = sys; Protocols = 4; FSAL { Name = VFS; } }
LOG { Default_Log_Level = EVENT; }
EOF
  ganesha.nfsd -F -L "$run/server.log" -f "$run/ganesha.conf" -p "$run/ganesha.pid" \
    </dev/null >"$run/ganesha.stdout" 2>&1 &
  SERVER_PID=$!
  MOUNT_PATH=/export
}
stop_server_ganesha() {
  # SIGKILL: ganesha 4.3 hangs on SIGTERM.
  kill -9 "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

# --- elfs ------------------------------------------------------------------------------------
# >>>>>>>>>>>>>>>>>>>>>>>>>>>>>> THE ONE PLACE THAT KNOWS HOW TO START elfsd <<<<<<<<<<<<<<<<<<<<
# elfsd serves the one file system it finds at DATA_DIR/fs/<fs-id>/ (an EFS id: "fs-" and 8 to
# 17 lowercase hex digits) on the listen address; we create that directory empty beforehand.
# When its command line or layout changes, change ELFS_DEFAULT_CMD / prepare_export_elfs (or
# set ELFS_SERVER_CMD in the environment: it is run by bash with ELFSD, DATA_DIR, PORT and
# FS_ID exported).
ELFS_FS_ID=${ELFS_FS_ID:-fs-0000000000000e2e0}
ELFS_MOUNT_PATH=${ELFS_MOUNT_PATH:-/}
# shellcheck disable=SC2016  # expanded later, by the bash that runs it
ELFS_DEFAULT_CMD='exec "$ELFSD" --data-dir "$DATA_DIR" --listen "127.0.0.1:$PORT" --api-listen 127.0.0.1:0'
prepare_export_elfs() {
  EXPORT_DIR=$1/elfs-data/fs/$ELFS_FS_ID
  CLEANUP_DIR=$1/elfs-data   # with elfsd's own state (secrets, client records)
  mkdir -p "$EXPORT_DIR"
  chmod 0700 "$1/elfs-data"
  chmod 0755 "$EXPORT_DIR"
}
start_server_elfs() {
  local run=$1 port=$2
  ELFSD=$ELFSD DATA_DIR=$run/elfs-data PORT=$port FS_ID=$ELFS_FS_ID \
    bash -c "${ELFS_SERVER_CMD:-$ELFS_DEFAULT_CMD}" </dev/null >>"$run/server.log" 2>&1 &
  SERVER_PID=$!
  MOUNT_PATH=$ELFS_MOUNT_PATH
}
stop_server_elfs() {
  # A clean stop first (elfsd should exit on SIGTERM), then SIGKILL if it does not.
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}
# >>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>><<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<

# Check the arguments before building or starting anything.
case "$SERVER" in
  ganesha) ;;
  elfs)
    [ -n "$ELFSD" ] || die "--server elfs needs --elfsd PATH (or ELFSD=...)"
    [ -x "$ELFSD" ] || die "elfsd binary not executable: $ELFSD"
    ELFSD=$(realpath "$ELFSD") ;;
  *) die "unknown server '$SERVER' (ganesha|elfs)" ;;
esac

# A free TCP port on loopback: nothing answers a connect() there. Random, so parallel runs of
# other people on this machine do not collide.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  return 1
}

# ------------------------------------------------------------------------------------------
# Build the VM (cached), make the run dir.
# ------------------------------------------------------------------------------------------
VM_CACHE=${ELFS_E2E_VM_CACHE:-/var/tmp/elfs-e2e-vm}
export ELFS_E2E_VM_CACHE=$VM_CACHE
T_START=$(date +%s)
"$HERE/vm/build-vm.sh" || die "building the VM failed"
T_BUILT=$(date +%s)

mkdir -p "$RESULTS_ROOT"
RUN=$(mktemp -d "$RESULTS_ROOT/run-$(date +%Y%m%d-%H%M%S)-$SERVER-XXXX")
ln -sfn "$(basename "$RUN")" "$RESULTS_ROOT/latest"
log "results in $RUN"

SERVER_PID=""
QEMU_PID=""
cleanup() {
  # QEMU_PID is the `timeout` wrapper; TERM makes it pass the signal on to qemu, and the
  # pidfile names qemu itself in case it is still there.
  if [ -n "$QEMU_PID" ]; then
    kill -TERM "$QEMU_PID" 2>/dev/null || true
    if [ -s "$RUN/qemu.pid" ]; then kill -9 "$(cat "$RUN/qemu.pid")" 2>/dev/null || true; fi
  fi
  if [ -n "$SERVER_PID" ]; then "stop_server_$SERVER"; SERVER_PID=""; fi
  # The export can hold hundreds of MiB; keep it only when asked.
  if [ "$KEEP" = 0 ] && [ -n "${CLEANUP_DIR:-}" ]; then rm -rf "$CLEANUP_DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------------------------------
# Start the server and wait until it accepts connections.
# ------------------------------------------------------------------------------------------
"prepare_export_$SERVER" "$RUN"
PORT=$(pick_port) || die "no free port found"
log "starting $SERVER on 127.0.0.1:$PORT (export $EXPORT_DIR)"
"start_server_$SERVER" "$RUN" "$PORT"
for _ in $(seq 1 300); do
  port_in_use "$PORT" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { server_log_tail; die "$SERVER exited at startup"; }
  sleep 0.1
done
port_in_use "$PORT" || { server_log_tail; die "$SERVER not listening after 30 s"; }

# ------------------------------------------------------------------------------------------
# One VM per NFS version.
# ------------------------------------------------------------------------------------------
ACCEL=${ELFS_E2E_ACCEL:-auto}
# shellcheck disable=SC2054  # commas inside qemu option values
QEMU_BASE=(qemu-system-x86_64 -m "${ELFS_E2E_VM_MEM:-1024}" -smp 1 -nographic -no-reboot
           -nodefaults -serial stdio -kernel "$VM_CACHE/vmlinuz" -initrd "$VM_CACHE/initrd.gz"
           -netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile=)

# Does KVM really work here? /dev/kvm can exist and still fail: on this project's (nested)
# machines the guest kernel dies with "KVM internal error ... emulation failure" or hangs.
# So boot the VM once in probe mode (init stops right after loading the modules) and look for
# "E2E PROBE OK" within 20 s. The answer is cached per host kernel, CPU and qemu version.
kvm_works() {
  [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
  local key cache=$VM_CACHE/kvm-probe log=$RUN/kvm-probe.log pid verdict=no
  key="$(uname -r)|$(grep -m1 'model name' /proc/cpuinfo)|$(qemu-system-x86_64 --version | head -n1)"
  if [ -f "$cache" ] && [ "$(head -n1 "$cache")" = "$key" ]; then
    [ "$(sed -n 2p "$cache")" = yes ]
    return
  fi
  "${QEMU_BASE[@]}" -machine accel=kvm -cpu host -append "console=ttyS0 panic=-1 quiet e2e_probe=1" \
    -pidfile "$RUN/kvm-probe.pid" </dev/null >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    if grep -a -q "E2E PROBE OK" "$log"; then verdict=yes; break; fi
    grep -a -q "KVM internal error" "$log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  printf '%s\n%s\n' "$key" "$verdict" >"$cache"
  [ "$verdict" = yes ]
}
case "$ACCEL" in
  kvm) ACCEL_ARGS=(-machine accel=kvm -cpu host) ;;
  tcg) ACCEL_ARGS=(-machine accel=tcg -cpu max) ;;
  *)
    if kvm_works; then ACCEL=kvm; ACCEL_ARGS=(-machine accel=kvm -cpu host)
    else ACCEL=tcg; ACCEL_ARGS=(-machine accel=tcg -cpu max); fi ;;
esac
log "accelerator: $ACCEL"

declare -A VM_SECS VM_STATUS
IFS=, read -r -a VERS_LIST <<<"$VERSIONS"
for vers in "${VERS_LIST[@]}"; do
  case "$vers" in 4.0 | 4.1 | 4.2) ;; *) die "unsupported NFS version '$vers'" ;; esac
  scen=${SCENARIOS:-$(default_scenarios "$vers")}
  echo "$scen" >"$RUN/scenarios-v$vers"
  console=$RUN/console-v$vers.log
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    VM_STATUS[$vers]="not run: $SERVER had died"; VM_SECS[$vers]=0; : >"$console"
    continue
  fi
  # A unique NFSv4 client id per VM: two boots must never look like one client to the server.
  uniq=$(cat /proc/sys/kernel/random/uuid)
  cmdline="console=ttyS0 panic=-1 quiet nfs.nfs4_unique_id=$uniq"
  cmdline+=" e2e_vers=$vers e2e_port=$PORT e2e_path=$MOUNT_PATH e2e_scen=$scen"
  [ -n "${ELFS_E2E_BIGDIR_N:-}" ] && cmdline+=" e2e_bigdir_n=$ELFS_E2E_BIGDIR_N"
  log "booting VM for vers=$vers (timeout ${VM_TIMEOUT}s, console $console)"
  t0=$(date +%s)
  set +e
  rm -f "$RUN/qemu.pid"
  timeout --signal=KILL "$VM_TIMEOUT" "${QEMU_BASE[@]}" "${ACCEL_ARGS[@]}" -append "$cmdline" \
    -pidfile "$RUN/qemu.pid" \
    </dev/null >"$console" 2>"$RUN/qemu-v$vers.stderr" &
  QEMU_PID=$!
  # If the server dies, the client's hard mount would hang until the timeout: stop the VM at
  # once instead.
  server_died=0
  while kill -0 "$QEMU_PID" 2>/dev/null; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      server_died=1
      kill -TERM "$QEMU_PID" 2>/dev/null
      break
    fi
    sleep 1
  done
  wait "$QEMU_PID"
  rc=$?
  QEMU_PID=""
  set -e
  VM_SECS[$vers]=$(($(date +%s) - t0))
  if [ "$server_died" = 1 ]; then
    VM_STATUS[$vers]="$SERVER died while the VM ran; VM stopped"
  elif [ "$rc" = 137 ] || [ "$rc" = 124 ]; then
    VM_STATUS[$vers]="timeout after ${VM_TIMEOUT}s"
  elif [ "$rc" != 0 ]; then
    VM_STATUS[$vers]="qemu exited with $rc: $(head -c 300 "$RUN/qemu-v$vers.stderr")"
  else
    VM_STATUS[$vers]=ok
  fi
  log "vers=$vers: VM finished in ${VM_SECS[$vers]}s (${VM_STATUS[$vers]})"
done

SERVER_ALIVE=1
kill -0 "$SERVER_PID" 2>/dev/null || SERVER_ALIVE=0
"stop_server_$SERVER"
SERVER_PID=""

# ------------------------------------------------------------------------------------------
# Parse the console logs. Expected per version: mount, each scenario, umount — each exactly
# one RESULT; a check with no RESULT counts as failed, and so does a VM without "E2E DONE".
# ------------------------------------------------------------------------------------------
PASSED=0
FAILED=0
SUMMARY=$RUN/summary.txt
: >"$SUMMARY"
row() { printf '%-5s %-7s %-14s %s\n' "$@" | tee -a "$SUMMARY"; }
for vers in "${VERS_LIST[@]}"; do
  console=$RUN/console-v$vers.log
  tr -d '\r' <"$console" >"$console.clean" || true
  expected="mount $(tr ',' ' ' <"$RUN/scenarios-v$vers") umount"
  for name in $expected; do
    line=$(grep -a -m1 -E "E2E RESULT $name (PASS|FAIL)( |$)" "$console.clean" || true)
    if [ -z "$line" ]; then
      began=$(grep -a -c -E "E2E BEGIN $name\$" "$console.clean" || true)
      why="no result"
      [ "$began" != 0 ] && why="no result (started, never finished: hang or crash)"
      row "v$vers" MISSING "$name" "$why"
      FAILED=$((FAILED + 1))
      continue
    fi
    st=$(echo "$line" | sed -E 's/.*E2E RESULT [^ ]+ (PASS|FAIL).*/\1/')
    detail=$(echo "$line" | sed -E 's/.*E2E RESULT [^ ]+ (PASS|FAIL) ?//')
    row "v$vers" "$st" "$name" "$detail"
    if [ "$st" = PASS ]; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
  done
  if [ "${VM_STATUS[$vers]}" = ok ] && grep -a -q "E2E DONE" "$console.clean"; then
    row "v$vers" PASS vm_completed "VM ran the workload to the end in ${VM_SECS[$vers]}s"
    PASSED=$((PASSED + 1))
  else
    why=${VM_STATUS[$vers]}
    grep -a -q "E2E DONE" "$console.clean" || why="$why; no E2E DONE on the console"
    row "v$vers" FAIL vm_completed "$why (see $console)"
    FAILED=$((FAILED + 1))
  fi
done
if [ "$SERVER_ALIVE" = 1 ]; then
  row "-" PASS server_alive "$SERVER was still running after all VMs"
  PASSED=$((PASSED + 1))
else
  row "-" FAIL server_alive "$SERVER died during the run (see $RUN/server.log)"
  FAILED=$((FAILED + 1))
fi

T_END=$(date +%s)
{
  echo
  echo "server=$SERVER accel=$ACCEL vm-build=$((T_BUILT - T_START))s total=$((T_END - T_START))s" \
    "$(for v in "${VERS_LIST[@]}"; do printf 'v%s=%ss ' "$v" "${VM_SECS[$v]}"; done)"
  echo "logs: $RUN"
} | tee -a "$SUMMARY"
echo "$PASSED passed, $FAILED failed" | tee -a "$SUMMARY"
[ "$FAILED" = 0 ]
