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
  # On a finding, print what libFuzzer said from the first error on (the
  # reason, the stack and the input's name), not just the final statistics.
  if ! (cd "$work" && "$OLDPWD/build-fuzz/tests/fuzz/$f" -max_total_time="$secs" -rss_limit_mb=2048 \
          -print_final_stats=1 "$work/$f" >"$work/$f.log" 2>&1); then
    sed -n '/ERROR\|==[0-9]*==/,$p' "$work/$f.log" | head -80
    echo "fuzz: $f found a failing input:"
    for crash in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
      [ -e "$crash" ] && { echo "$crash"; base64 -w0 "$crash"; echo; }
    done
    exit 1
  fi
  tail -12 "$work/$f.log"
done
