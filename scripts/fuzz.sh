#!/usr/bin/env bash
# Builds weightio's libFuzzer targets (clang, AddressSanitizer +
# UndefinedBehaviorSanitizer) in build/fuzz and runs them. See
# docs/RELIABILITY.md for what each target covers.
#
#   scripts/fuzz.sh smoke              CI: replay every committed corpus, then
#                                      fuzz each target for SMOKE_SECONDS (20);
#                                      libFuzzer's output goes to
#                                      build/fuzz/logs/ (printed on a finding)
#   scripts/fuzz.sh long SECONDS [T..] local: fuzz each target (or only T..)
#                                      for SECONDS; new inputs are kept in
#                                      build/fuzz/corpus/<target>
#   scripts/fuzz.sh build              only build
#
# A finding stops the script with libFuzzer's report; the input that caused
# it is saved as build/fuzz/artifacts/<target>-crash-*. FUZZ_ARGS adds
# libFuzzer flags (e.g. FUZZ_ARGS=-max_len=65536 for bigger inputs). Reproduce with
#   build/fuzz/bin/fuzz_<target> build/fuzz/artifacts/<target>-crash-...
# and, once fixed, copy the input into fuzz/corpus/<target>/ (small files only).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-smoke}
all_targets=(safetensors_header npz_zip npy_header gguf_header pytorch_pickle pytorch_container
  descriptor load)
build=build/fuzz
jobs=${JOBS:-$(nproc)}

CC=${CC:-clang} CXX=${CXX:-clang++} cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWEIGHTIO_BUILD_FUZZ=ON -DWEIGHTIO_SANITIZE=address,undefined -DWEIGHTIO_BUILD_TESTS=OFF \
  -DWEIGHTIO_BUILD_TOOLS=OFF -DWEIGHTIO_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$jobs" --target "${all_targets[@]/#/fuzz_}"
[[ $mode == build ]] && exit 0

mkdir -p "$build/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Bounded memory and time per input: a hang or an allocation driven by an
# untrusted size is a finding, not a slow run.
common=(-rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 -print_final_stats=1 ${FUZZ_ARGS:-})

# Runs a fuzzer. In smoke mode (CI) its progress lines, thousands of them,
# go to build/fuzz/logs/<target>-<what>.log; the log shows the final stats,
# or on a finding the report (the last 100 lines), and the script stops.
quiet() { # name command...
  local name=$1 log="$build/logs/$1.log"
  shift
  mkdir -p "$build/logs"
  if "$@" >"$log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done )' "$log" | sed 's/^/  /' >&2 || true
  else
    local status=$?
    echo "fuzzer $name failed (exit $status); the end of $log:" >&2
    tail -n 100 "$log" >&2
    exit "$status"
  fi
}

run() { # target seconds [quiet]
  local t=$1 secs=$2 work="$build/corpus/$1"
  mkdir -p "$work"
  echo "== fuzz_$t: ${secs}s" >&2
  # New inputs go to the work folder (first); the committed seeds are read only.
  local cmd=("$build/bin/fuzz_$t" "${common[@]}" -max_total_time="$secs"
    -artifact_prefix="$build/artifacts/$t-" "$work" "fuzz/corpus/$t")
  if [[ ${3:-} == quiet ]]; then
    quiet "$t-fuzz" "${cmd[@]}"
  else
    "${cmd[@]}"
  fi
}

case $mode in
smoke)
  start=$(date +%s)
  for t in "${all_targets[@]}"; do
    echo "== fuzz_$t: replaying fuzz/corpus/$t" >&2
    quiet "$t-replay" "$build/bin/fuzz_$t" "${common[@]}" -runs=0 \
      -artifact_prefix="$build/artifacts/$t-" "fuzz/corpus/$t"
  done
  for t in "${all_targets[@]}"; do
    run "$t" "${SMOKE_SECONDS:-20}" quiet
  done
  echo "fuzz smoke run passed in $(($(date +%s) - start)) s" >&2
  ;;
long)
  secs=${2:?usage: scripts/fuzz.sh long SECONDS [TARGET...]}
  shift 2
  targets=("$@")
  [[ ${#targets[@]} -eq 0 ]] && targets=("${all_targets[@]}")
  for t in "${targets[@]}"; do
    run "$t" "$secs"
  done
  ;;
*)
  echo "usage: scripts/fuzz.sh smoke | long SECONDS [TARGET...] | build" >&2
  exit 2
  ;;
esac
