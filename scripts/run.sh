#!/usr/bin/env bash
# Installs what elfs needs, builds it and starts elfsd with its embedded
# defaults: data in /var/lib/elfs, one file system served at 127.0.0.1:2049,
# the EFS/IAM/STS/EC2 API at http://127.0.0.1:8049.
# Extra arguments go to elfsd (see `build/src/server/elfsd --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
scripts/build.sh
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
exec $SUDO build/src/server/elfsd "$@"
