#!/usr/bin/env bash
# README command 1: install dependencies, build weightio, run the demo (saves
# and reloads a small transformer through the npz, safetensors and gguf plugins).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DWEIGHTIO_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)"
exec build/release/bin/weightio demo "$@"
