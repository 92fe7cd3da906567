"""Dequantizes Q8_K blocks with numpy, as ggml's dequantize_row_q8_K does
(gguf-py has no Q8_K dequantizer): each 292-byte block is a float32 scale d,
256 int8 quants and 16 int16 sums (unused); value j is d * q[j] in float32.

usage: gguf_q8k_reference.py FILE OFFSET NBLOCKS
Prints the hex SHA-256 of the little-endian float32 values.
"""
import hashlib
import sys

import numpy as np

path, offset, nblocks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
block = np.dtype([("d", "<f4"), ("qs", "i1", 256), ("bsums", "<i2", 16)])
assert block.itemsize == 292
blocks = np.fromfile(path, dtype=block, count=nblocks, offset=offset)
values = blocks["d"][:, None] * blocks["qs"].astype(np.float32)
print(hashlib.sha256(values.astype("<f4").tobytes()).hexdigest())
