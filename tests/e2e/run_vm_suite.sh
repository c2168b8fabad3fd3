#!/usr/bin/env bash
# End-to-end suite: the Linux kernel NFS client (in a qemu VM) against an NFS server on this
# machine's loopback.
#
#   run_vm_suite.sh [--server ganesha|elfs] [--vers 4.1,4.0] [--elfsd PATH]
#                   [--scenarios a,b,c] [--results DIR] [--timeout SECS] [--keep]
#                   [--state yes|no|only]
#
# Builds the VM if needed (vm/build-vm.sh), starts the server on 127.0.0.1 at a free port over a
# fresh export directory, boots one VM per NFS version (the workload inside prints one
# "E2E RESULT <name> PASS|FAIL <detail>" line per check), stops the server, and reports.
# Then (elfs, unless --state no) the state phase, on a fresh elfsd with a 15 s lease: two VMs
# at once (a: 4.1, b: 4.0) take flock and fcntl locks on one file (one holds, the other is
# refused, then gets it), a powers off holding a lock and b gets it once a's lease expired;
# then one VM writes 48 MiB with fsync while elfsd is killed with SIGKILL and restarted, and
# must finish without an I/O error with matching checksums. --state only skips the first part.
# The last line is exactly "N passed, M failed" (read by CI). Exit status is non-zero on any
# FAIL, a missing result, a missing "E2E DONE", a VM timeout or a server that died.
#
# Environment:
#   ELFSD                 elfsd binary (same as --elfsd)
#   ELFS_SERVER_CMD       override the whole elfs start command (see start_server_elfs)
#   ELFS_EXTRA_ARGS       more elfsd arguments (e.g. --log-level debug)
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
STATE=yes

usage() { sed -n '2,31p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --server) SERVER=$2; shift 2 ;;
    --vers) VERSIONS=$2; shift 2 ;;
    --elfsd) ELFSD=$2; shift 2 ;;
    --scenarios) SCENARIOS=$2; shift 2 ;;
    --results) RESULTS_ROOT=$2; shift 2 ;;
    --timeout) VM_TIMEOUT=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --state) STATE=$2; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 ;;
  esac
done

# Scenarios per version when --scenarios is not given. Every listed check runs for each
# version; the 256 MiB file runs once (4.1), 4.0 gets 64 MiB instead, to keep the run short.
COMMON_SCENARIOS="rw_1k,rw_4097,rw_1m,rw_1048577,rw_5m,append,truncate,sparse,allocate,mkdir_deep,bigdir,rename,unlink_open,hardlink,symlink,chmod,chown,perms,errors,remount"
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
ELFS_DEFAULT_CMD='exec "$ELFSD" --data-dir "$DATA_DIR" --listen "127.0.0.1:$PORT" --api-listen 127.0.0.1:0 $ELFS_EXTRA_ARGS'
# Extra elfsd arguments, e.g. "--log-level debug" (the state phase adds a short lease and
# grace period).
ELFS_EXTRA_ARGS=${ELFS_EXTRA_ARGS:-}
prepare_export_elfs() {
  EXPORT_DIR=$1/elfs-data/fs/$ELFS_FS_ID
  CLEANUP_DIR=$1/elfs-data   # with elfsd's own state (secrets, client records)
  mkdir -p "$EXPORT_DIR"
  chmod 0700 "$1/elfs-data"
  chmod 0755 "$EXPORT_DIR"
}
start_server_elfs() {
  local run=$1 port=$2
  ELFSD=$ELFSD DATA_DIR=$run/elfs-data PORT=$port FS_ID=$ELFS_FS_ID ELFS_EXTRA_ARGS=$ELFS_EXTRA_ARGS \
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
  ganesha) [ "$STATE" = only ] && die "--state only needs --server elfs"; STATE=no ;;
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
STATE_VM_PIDS=()
cleanup() {
  # QEMU_PID is the `timeout` wrapper; TERM makes it pass the signal on to qemu, and the
  # pidfile names qemu itself in case it is still there.
  if [ -n "$QEMU_PID" ]; then
    kill -TERM "$QEMU_PID" 2>/dev/null || true
    if [ -s "$RUN/qemu.pid" ]; then kill -9 "$(cat "$RUN/qemu.pid")" 2>/dev/null || true; fi
  fi
  local p
  for p in "${STATE_VM_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "$RUN"/qemu-state-*.pid; do
    [ -s "$p" ] && { kill -9 "$(cat "$p")" 2>/dev/null || true; }
  done
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
[ "$STATE" = only ] && VERSIONS=""
VERS_LIST=()
[ -n "$VERSIONS" ] && IFS=, read -r -a VERS_LIST <<<"$VERSIONS"
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
# result_rows LABEL CLEAN_CONSOLE CHECKS: one row per expected check, from its RESULT line.
result_rows() {
  local label=$1 console=$2 name line began why st detail
  for name in $3; do
    line=$(grep -a -m1 -E "E2E RESULT $name (PASS|FAIL)( |$)" "$console" || true)
    if [ -z "$line" ]; then
      began=$(grep -a -c -E "E2E BEGIN $name\$" "$console" || true)
      why="no result"
      [ "$began" != 0 ] && why="no result (started, never finished: hang or crash)"
      row "$label" MISSING "$name" "$why"
      FAILED=$((FAILED + 1))
      continue
    fi
    st=$(echo "$line" | sed -E 's/.*E2E RESULT [^ ]+ (PASS|FAIL).*/\1/')
    detail=$(echo "$line" | sed -E 's/.*E2E RESULT [^ ]+ (PASS|FAIL) ?//')
    row "$label" "$st" "$name" "$detail"
    if [ "$st" = PASS ]; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
  done
}
for vers in "${VERS_LIST[@]}"; do
  console=$RUN/console-v$vers.log
  tr -d '\r' <"$console" >"$console.clean" || true
  result_rows "v$vers" "$console.clean" "mount $(tr ',' ' ' <"$RUN/scenarios-v$vers") umount"
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

# ------------------------------------------------------------------------------------------
# The state phase (elfs): locks between two VMs, lease expiry, kill -9 during a write.
# ------------------------------------------------------------------------------------------
# state_vm NAME VERS ROLE SCENARIOS: boots a VM in the background (console-NAME.log).
declare -A STATE_PID
state_vm() {
  local name=$1 vers=$2 role=$3 scen=$4 cmdline
  cmdline="console=ttyS0 panic=-1 quiet nfs.nfs4_unique_id=$(cat /proc/sys/kernel/random/uuid)"
  cmdline+=" e2e_vers=$vers e2e_port=$PORT e2e_path=$MOUNT_PATH e2e_scen=$scen e2e_role=$role"
  echo "$scen" >"$RUN/scenarios-$name"
  timeout --signal=KILL "$VM_TIMEOUT" "${QEMU_BASE[@]}" "${ACCEL_ARGS[@]}" -append "$cmdline" \
    -pidfile "$RUN/qemu-$name.pid" </dev/null >"$RUN/console-$name.log" 2>"$RUN/qemu-$name.stderr" &
  STATE_PID[$name]=$!
  STATE_VM_PIDS+=("$!")
  log "state: booted $name (vers=$vers role=$role: $scen)"
}
# state_results NAME EXPECTED_CHECKS DONE_PATTERN: rows for one state VM.
state_results() {
  local name=$1 done_pat=$3 console=$RUN/console-$1.log
  tr -d '\r' <"$console" >"$console.clean" || true
  result_rows "$name" "$console.clean" "$2"
  if grep -a -q -E "$done_pat" "$console.clean"; then
    row "$name" PASS vm_completed "the VM ran to the end"
    PASSED=$((PASSED + 1))
  else
    row "$name" FAIL vm_completed "no '$done_pat' on the console (see $console)"
    FAILED=$((FAILED + 1))
  fi
}
wait_listening() {
  for _ in $(seq 1 300); do
    port_in_use "$PORT" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

if [ "$STATE" != no ]; then
  T_STATE=$(date +%s)
  if [ "$KEEP" = 0 ] && [ -n "${CLEANUP_DIR:-}" ]; then rm -rf "$CLEANUP_DIR"; fi
  # A short lease so that the vanished client expires in seconds; a short grace period after
  # the restart (the clients of the lock pair never come back to reclaim).
  ELFS_EXTRA_ARGS="$ELFS_EXTRA_ARGS --lease-seconds 15 --grace-seconds 20"
  "prepare_export_$SERVER" "$RUN/state"
  # A few ports: a random one may be taken meanwhile (an ephemeral port of some client).
  for try in 1 2 3; do
    PORT=$(pick_port) || die "no free port found"
    log "state: starting $SERVER on 127.0.0.1:$PORT (lease 15 s)"
    "start_server_$SERVER" "$RUN/state" "$PORT"
    wait_listening && break
    "stop_server_$SERVER"
    [ "$try" = 3 ] && { server_log_tail; die "$SERVER not listening for the state phase"; }
  done

  # 1. Two clients and their locks; a's lease expires while it holds one.
  state_vm state-a 4.1 a lock_hold,lock_vanish
  sleep 2  # a creates the lock directory first
  state_vm state-b 4.0 b lock_wait,lock_expired
  while kill -0 "${STATE_PID[state-a]}" 2>/dev/null || kill -0 "${STATE_PID[state-b]}" 2>/dev/null; do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 1
  done
  wait "${STATE_PID[state-a]}" 2>/dev/null || true
  wait "${STATE_PID[state-b]}" 2>/dev/null || true
  log "state: lock pair done in $(($(date +%s) - T_STATE))s"

  # 2. kill -9 of elfsd while a client writes with fsync; restart on the same data.
  RESTARTED=0
  KILLED_AT=0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    state_vm state-crash 4.1 crash crash_write
    killed=0
    while kill -0 "${STATE_PID[state-crash]}" 2>/dev/null; do
      if [ "$killed" = 0 ] && grep -a -q "E2E CRASHPOINT" "$RUN/console-state-crash.log"; then
        # Kill once WRITEs reach the server (the client may cache the first megabytes until
        # its fsync); the size stored then proves the kill hit the write.
        big=$EXPORT_DIR/e2e-v4.1-crash/crash/big
        stored() { echo $(($(stat -c %b "$big" 2>/dev/null || echo 0) * 512)); }  # allocated
        for _ in $(seq 1 600); do
          [ "$(stored)" -gt 0 ] && break
          sleep 0.1
        done
        KILLED_AT=$(stored)
        log "state: kill -9 $SERVER during the write ($KILLED_AT bytes of the file stored)"
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        killed=1
        sleep 2
        "start_server_$SERVER" "$RUN/state" "$PORT"
        if wait_listening; then RESTARTED=1; log "state: $SERVER restarted"; else
          log "state: $SERVER did not restart"; kill -TERM "${STATE_PID[state-crash]}" 2>/dev/null
        fi
      fi
      if [ "$killed" = 1 ] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "${STATE_PID[state-crash]}" 2>/dev/null
        break
      fi
      sleep 0.2
    done
    wait "${STATE_PID[state-crash]}" 2>/dev/null || true
  fi
  STATE_ALIVE=1
  kill -0 "$SERVER_PID" 2>/dev/null || STATE_ALIVE=0
  "stop_server_$SERVER"
  SERVER_PID=""

  state_results state-a "mount lock_hold lock_vanish" "E2E DONE vanished"
  state_results state-b "mount lock_wait lock_expired umount" "E2E DONE failed="
  state_results state-crash "mount crash_write umount" "E2E DONE failed="
  if [ "$RESTARTED" = 1 ] && [ "$KILLED_AT" -gt 0 ] && [ "$KILLED_AT" -lt $((48 * 1048576)) ]; then
    row state PASS server_restarted \
      "$SERVER killed with SIGKILL with $KILLED_AT of 50331648 bytes stored, restarted"
    PASSED=$((PASSED + 1))
  else
    row state FAIL server_restarted \
      "no kill/restart during the write ($KILLED_AT bytes stored; see $RUN/state/server.log)"
    FAILED=$((FAILED + 1))
  fi
  if [ "$STATE_ALIVE" = 1 ]; then
    row state PASS server_alive "$SERVER was still running after the state VMs"
    PASSED=$((PASSED + 1))
  else
    row state FAIL server_alive "$SERVER died during the state phase (see $RUN/state/server.log)"
    FAILED=$((FAILED + 1))
  fi
  log "state phase: $(($(date +%s) - T_STATE))s"
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
