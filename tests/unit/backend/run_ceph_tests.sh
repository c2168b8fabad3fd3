#!/usr/bin/env bash
# Runs a test binary against a one-host Ceph cluster of its own: brings the
# cluster up with scripts/ceph/up.sh, runs "$@" with ELFS_CEPH_CONF set, and
# always tears the cluster down (scripts/ceph/down.sh), pass or fail.
#   ELFS_CEPH_PORT   first port of the cluster (default: a random base whose
#                    monitor ports are free, so that runs from several build
#                    trees on one machine do not collide)
#   ELFS_CEPH_DIR    where it lives (default: a new directory under /tmp)
set -uo pipefail
here=$(cd "$(dirname "$0")/../../.." && pwd)
export ELFS_CEPH_DIR=${ELFS_CEPH_DIR:-$(mktemp -d /tmp/elfs-ceph-test.XXXXXX)/cluster}
if [ -z "${ELFS_CEPH_PORT:-}" ]; then
  ELFS_CEPH_PORT=$(python3 - <<'PY'
import random, socket
for _ in range(100):
    base = random.randrange(20000, 30000, 100)
    try:
        for p in (base, base + 1):
            s = socket.socket(); s.bind(("127.0.0.1", p)); s.close()
        print(base); break
    except OSError:
        pass
PY
)
fi
export ELFS_CEPH_PORT
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
