#!/usr/bin/env bash
# README command 2 (and what .ci/run calls): install dependencies, then build
# and run the whole test suite four ways:
#   1. RelWithDebInfo, every test (incl. numpy conformance, install, CLI);
#   2. AddressSanitizer + UndefinedBehaviorSanitizer, every test but the
#      install test (an instrumented library can't be linked by the plain
#      out-of-tree consumer);
#   3. ThreadSanitizer, the concurrency tests only (files named *concurrency*,
#      suites named *Concurrency*: the parallel load engine's among them; with
#      the command-line tool, for `weightio conformance --only concurrency` on
#      the bundled plugins);
#   4. a short fuzzing pass: every corpus replayed, each target fuzzed 20 s.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

jobs=$(nproc)
start=$(date +%s)

run_suite() { # build-dir ctest-args...
  local dir=$1
  shift
  (cd "$dir" && ctest --output-on-failure -j"$jobs" "$@")
}

echo "== plain build" >&2
cmake -S . -B build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEIGHTIO_WERROR=ON >/dev/null
cmake --build build/test -j"$jobs"
run_suite build/test

echo "== AddressSanitizer + UndefinedBehaviorSanitizer" >&2
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DWEIGHTIO_WERROR=ON \
  -DWEIGHTIO_SANITIZE=address,undefined -DWEIGHTIO_BUILD_TOOLS=ON >/dev/null
cmake --build build/asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build/asan -E '^Install\.'

echo "== ThreadSanitizer (concurrency tests)" >&2
cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=Debug -DWEIGHTIO_WERROR=ON \
  -DWEIGHTIO_SANITIZE=thread -DWEIGHTIO_BUILD_TOOLS=ON >/dev/null
cmake --build build/tsan -j"$jobs" --target weightio_concurrency_tests
TSAN_OPTIONS=halt_on_error=1 run_suite build/tsan -R 'Concurrency'

echo "== fuzzing (smoke)" >&2
scripts/fuzz.sh smoke

echo "all test runs passed in $(($(date +%s) - start)) s" >&2
