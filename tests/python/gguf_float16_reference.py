"""numpy's view of float32 -> float16 / bfloat16 rounding and float16 ->
float32 widening, for weightio's GGUF dequantization tests.

usage: gguf_float16_reference.py IN.f32 OUT_DIR
  IN.f32: little-endian float32 values. Writes to OUT_DIR:
  f16.bin   IN as float16 (numpy astype: round to nearest even)
  bf16.bin  IN as bfloat16, as gguf-py's quants.BF16 / ggml's
            ggml_compute_fp32_to_bf16 compute it (NaN made quiet, else
            round to nearest even on the bits)
  f16_to_f32.bin  all 65536 float16 bit patterns as float32 (numpy astype)
"""
import sys
from pathlib import Path

import numpy as np

src, out = Path(sys.argv[1]), Path(sys.argv[2])
x = np.fromfile(src, dtype="<f4")

with np.errstate(over="ignore", invalid="ignore"):
    (out / "f16.bin").write_bytes(x.astype("<f2").tobytes())

n = x.view("<u4").astype(np.uint64)
nan = (n & 0x7FFFFFFF) > 0x7F800000
rounded = (n + (0x7FFF + ((n >> 16) & 1))) >> 16
quiet = (n >> 16) | 64
(out / "bf16.bin").write_bytes(np.where(nan, quiet, rounded).astype("<u2").tobytes())

halves = np.arange(65536, dtype=np.uint32).astype("<u2").view("<f2")
(out / "f16_to_f32.bin").write_bytes(halves.astype("<f4").tobytes())
