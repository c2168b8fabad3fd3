#!/usr/bin/env bash
# Installs what the tests need, builds elfs, and runs every test: unit tests,
# a bounded fuzzing run of each decoder, and the Linux kernel NFS client in a
# qemu VM against elfsd (NFSv4.1 and 4.0). Needs root (the server and the VM
# harness run as root, as elfsd does in production).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
scripts/build.sh
if [ -x tests/fuzz/run_fuzzers.sh ]; then
  tests/fuzz/run_fuzzers.sh "${FUZZ_SECONDS:-30}"
fi
cd build
ctest --output-on-failure --timeout 2400 -j1
