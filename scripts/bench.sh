#!/usr/bin/env bash
# Builds the benchmark and runs weightio against numpy in one run; prints the
# table (docs/PERFORMANCE.md). Needs ~12 GiB of free disk and memory.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DWEIGHTIO_BUILD_TESTS=OFF \
  -DWEIGHTIO_BUILD_BENCH=ON >/dev/null
cmake --build build/bench -j"$(nproc)" --target weightio_bench weightio_npz weightio_safetensors weightio_gguf \
  gguf_dequant_bench
data=${WEIGHTIO_BENCH_DIR:-build/bench/data}
exec /usr/bin/python3 bench/run_bench.py --bench build/bench/bin/weightio_bench \
  --data "$data" --out "$data/out" --runs "${WEIGHTIO_BENCH_RUNS:-5}" "$@"
