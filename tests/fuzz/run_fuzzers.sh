#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz/ and runs each for a
# bounded time (default 30 s) from its seed corpus. Fails on any finding.
# Targets: rpc_fuzz, nfs4_fuzz, and one per tests/fuzz/<name>_fuzz.cmake.
# Usage: tests/fuzz/run_fuzzers.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-30}
targets=(rpc_fuzz nfs4_fuzz)
for snippet in tests/fuzz/*_fuzz.cmake; do
  [ -e "$snippet" ] && targets+=("$(basename "$snippet" .cmake)")
done
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DELFS_FUZZ=ON -DELFS_TESTS=OFF >/dev/null
ninja -C build-fuzz -j"${JOBS:-2}" "${targets[@]}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r tests/fuzz/corpus/rpc_fuzz "$work/rpc_fuzz"
python3 tests/fuzz/nfs4_seeds.py "$work/nfs4_fuzz"
for f in "${targets[@]}"; do
  mkdir -p "$work/$f"
  [ -d "tests/fuzz/corpus/$f" ] && cp -r "tests/fuzz/corpus/$f/." "$work/$f/"
  echo "fuzz: $f for ${secs}s"
  (cd "$work" && "$OLDPWD/build-fuzz/tests/fuzz/$f" -max_total_time="$secs" -rss_limit_mb=2048 \
     -print_final_stats=1 "$work/$f" 2>&1 | tail -12)
done
