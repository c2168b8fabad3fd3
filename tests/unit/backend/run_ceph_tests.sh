#!/usr/bin/env bash
# Runs a test binary against a one-host Ceph cluster of its own: brings the
# cluster up with scripts/ceph/up.sh, runs "$@" with ELFS_CEPH_CONF set, and
# always tears the cluster down (scripts/ceph/down.sh), pass or fail.
#   ELFS_CEPH_PORT   first port of the cluster (default 16789)
#   ELFS_CEPH_DIR    where it lives (default: a new directory under /tmp)
set -uo pipefail
here=$(cd "$(dirname "$0")/../../.." && pwd)
export ELFS_CEPH_DIR=${ELFS_CEPH_DIR:-$(mktemp -d /tmp/elfs-ceph-test.XXXXXX)/cluster}
export ELFS_CEPH_PORT=${ELFS_CEPH_PORT:-16789}
teardown() {
  local rc=$?
  "$here/scripts/ceph/down.sh" || echo "run_ceph_tests: down.sh failed" >&2
  rmdir "$(dirname "$ELFS_CEPH_DIR")" 2>/dev/null
  exit $rc
}
trap teardown EXIT
trap 'exit 130' INT TERM
t0=$(date +%s.%N)
conf=$("$here/scripts/ceph/up.sh" | tail -n 1) || { echo "run_ceph_tests: up.sh failed" >&2; exit 1; }
echo "run_ceph_tests: cluster up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s ($conf)"
export ELFS_CEPH_CONF=$conf
"$@"
