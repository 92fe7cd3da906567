#!/usr/bin/env bash
# Builds the benchmark and runs weightio against numpy in one run; prints the
# table (docs/PERFORMANCE.md). Needs ~12 GiB of free disk and memory.
#   scripts/bench.sh --scaling [--runs N]: only the scaling rows:
#   the CLI on headers of 300,000 metadata entries and 1,000,000 tensors,
#   time and peak memory; needs ~0.5 GiB of disk, a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DWEIGHTIO_BUILD_TESTS=OFF \
  -DWEIGHTIO_BUILD_BENCH=ON >/dev/null
data=${WEIGHTIO_BENCH_DIR:-build/bench/data}
if [[ "${1:-}" == "--scaling" ]]; then
  shift
  cmake --build build/bench -j"$(nproc)" --target weightio_cli weightio_npz weightio_safetensors \
    weightio_gguf
  exec /usr/bin/python3 bench/scaling_bench.py --cli build/bench/bin/weightio \
    --data "$data/scaling" --runs "${WEIGHTIO_BENCH_RUNS:-5}" "$@"
fi
cmake --build build/bench -j"$(nproc)" --target weightio_bench weightio_npz weightio_safetensors weightio_gguf \
  gguf_dequant_bench
exec /usr/bin/python3 bench/run_bench.py --bench build/bench/bin/weightio_bench \
  --data "$data" --out "$data/out" --runs "${WEIGHTIO_BENCH_RUNS:-5}" "$@"
