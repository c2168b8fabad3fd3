#!/usr/bin/env bash
# Installs the Debian 12 packages elfs needs. Usage: scripts/deps.sh [build|test]
#   build: what building and running elfsd needs.
#   test:  also what the test suites need (fuzzing with clang, the qemu VM
#          with the Linux NFS client; tests/e2e/vm/build-vm.sh fetches the
#          kernel package itself).
set -euo pipefail
what=${1:-build}
build_pkgs=(cmake ninja-build g++ pkg-config libboost-dev libspdlog-dev libfmt-dev libcli11-dev
            nlohmann-json3-dev libexpected-dev libsqlite3-dev libssl-dev libgtest-dev libgmock-dev
            libbenchmark-dev libcephfs-dev librados-dev)
test_pkgs=(clang libclang-rt-14-dev qemu-system-x86 busybox-static cpio iproute2 python3 libnfs-utils
           awscli python3-boto3 stunnel4 openssl
           ceph-mon ceph-osd ceph-mds ceph-mgr ceph-common uuid-runtime)
pkgs=("${build_pkgs[@]}")
[ "$what" = test ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
