"""Writes .npz files the way MLX's savez does, into OUT: npy headers built by
MLX's rules (mlx/io/load.cpp: "'shape': (3, )", no trailing comma after the
dict, padding to a multiple of 16 computed MLX's way, so the data is not
64-byte aligned; fortran_order True for 0-D and 1-D arrays, which are both
row- and column-contiguous; bfloat16 as '<V2'), in a zipfile whose members
all carry ZIP64 extras (force_zip64, as numpy and MLX open them). Also writes
OUT/expected.tsv: file, name, weightio dtype, shape, SHA-256 of the C-order
little-endian bytes."""
import hashlib
import os
import sys
import zipfile

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(3)


def mlx_npy(descr, shape, data):
    fortran = "True" if len(shape) <= 1 else "False"
    header = "{'descr': '" + descr + "'," + " 'fortran_order': " + fortran + "," + " 'shape': ("
    header += "".join(f"{d}, " for d in shape) + ")}"
    is_v1 = len(header) + 15 < 65535
    padding = (6 + 2 + (2 + 2 * is_v1) + len(header) + 1) % 16
    header = (header + " " * padding + "\n").encode()
    prefix = b"\x93NUMPY" + (b"\x01\x00" + len(header).to_bytes(2, "little") if is_v1
                             else b"\x02\x00" + len(header).to_bytes(4, "little"))
    return prefix + header + data


arrays = [  # name, descr, weightio dtype, shape, C-order little-endian bytes
    ("layers.0.weight", "<f4", "F32", (3, 4), rng.standard_normal((3, 4)).astype("<f4").tobytes()),
    ("layers.0.bias", "<f4", "F32", (4,), rng.standard_normal(4).astype("<f4").tobytes()),
    ("scale", "<f4", "F32", (), np.float32(0.5).tobytes()),
    ("embed", "<V2", "BF16", (2, 5), rng.integers(0, 65536, 10).astype("<u2").tobytes()),
    ("norm", "<V2", "BF16", (6,), rng.integers(0, 65536, 6).astype("<u2").tobytes()),
    ("mask", "|b1", "BOOL", (5,), np.array([1, 0, 1, 1, 0], np.bool_).tobytes()),
    ("ids", "<i8", "I64", (3,), np.arange(3, dtype="<i8").tobytes()),
    ("half", "<f2", "F16", (2, 2), rng.standard_normal((2, 2)).astype("<f2").tobytes()),
]
rows = []
for fname, compression in (("mlx_savez.npz", zipfile.ZIP_STORED),
                           ("mlx_savez_compressed.npz", zipfile.ZIP_DEFLATED)):
    with zipfile.ZipFile(os.path.join(out, fname), "w", compression=compression,
                         allowZip64=True) as z:
        for name, descr, dtype, shape, data in arrays:
            with z.open(name + ".npy", "w", force_zip64=True) as fh:
                fh.write(mlx_npy(descr, shape, data))
            rows.append((fname, name, dtype, ",".join(map(str, shape)),
                         hashlib.sha256(data).hexdigest()))
with open(os.path.join(out, "expected.tsv"), "w") as fh:
    for r in rows:
        fh.write("\t".join(r) + "\n")
