#!/usr/bin/env bash
# Stops the cluster scripts/ceph/up.sh started in $ELFS_CEPH_DIR — only the
# processes named by its pid files — and removes the directory.
#   ELFS_CEPH_KEEP=1   keep the directory (logs) after stopping
# Safe to run when nothing is up. Exit status 0 unless a daemon survived KILL.
set -u
dir=${ELFS_CEPH_DIR:-/var/tmp/elfs-ceph}
[ -d "$dir/run" ] || exit 0

running() {  # a live, non-zombie Ceph daemon with this pid
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q '^[^ ]*ceph-' &&
    ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}
status=0
# MDS and manager before the OSD, the monitor last: each says goodbye to it.
for kind in mds mgr osd mon; do
  for pidfile in "$dir"/run/"$kind".*.pid; do
    [ -e "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if [ -n "$pid" ] && running "$pid"; then
      kill -TERM "$pid"
      for _ in $(seq 100); do running "$pid" || break; sleep 0.05; done
      if running "$pid"; then
        kill -KILL "$pid"
        sleep 0.2
        running "$pid" && { echo "ceph down: pid $pid survived KILL" >&2; status=1; }
      fi
    fi
    rm -f "$pidfile"
  done
done
[ "${ELFS_CEPH_KEEP:-0}" = 1 ] || rm -rf "$dir"
exit $status
