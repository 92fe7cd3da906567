"""Writes one numpy.save file per (dtype, shape) case into OUT, plus
OUT/cases.tsv (case, weightio dtype, shape as comma list), so that the C++
test can save the same arrays with weightio and compare member bytes."""
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)

DTYPES = {  # numpy dtype -> weightio dtype name
    "?": "BOOL", "u1": "U8", "i1": "I8", "<u2": "U16", "<i2": "I16", "<u4": "U32",
    "<i4": "I32", "<u8": "U64", "<i8": "I64", "<f2": "F16", "<f4": "F32", "<f8": "F64",
    "<c8": "C64", "<c16": "C128",
}
SHAPES = [(), (7,), (3, 4), (0,), (0, 3), (2, 3, 4), (1, 1, 5), (12345,)]


def values(dt, shape):
    n = int(np.prod(shape, dtype=np.int64))
    raw = rng.integers(0, 256, size=n * dt.itemsize, dtype=np.uint8)
    a = raw.view(dt).reshape(shape) if n else np.zeros(shape, dt)
    if dt.kind == "b":
        a = rng.integers(0, 2, size=shape).astype(dt)
    return a


rows = []
for code, name in DTYPES.items():
    dt = np.dtype(code)
    for shape in SHAPES:
        case = f"{name.lower()}_{'x'.join(map(str, shape)) or 'scalar'}"
        np.save(os.path.join(out, case + ".npy"), values(dt, shape))
        rows.append((case, name, ",".join(map(str, shape))))
# Headers whose padding lands on each side of a 64-byte boundary, and every
# width of the first extent that numpy's growth padding depends on.
for k in range(1, 19):
    shape = (10 ** k // 10 * 3 % (10 ** k) or 1, 0) if k > 6 else (10 ** (k - 1),)
    case = f"f32_digits{k}"
    np.save(os.path.join(out, case + ".npy"), values(np.dtype("<f4"), shape))
    rows.append((case, "F32", ",".join(map(str, shape))))
for nd in range(4, 33, 4):
    shape = (1,) * (nd - 1) + (2,)
    case = f"f32_ndim{nd}"
    np.save(os.path.join(out, case + ".npy"), values(np.dtype("<f4"), shape))
    rows.append((case, "F32", ",".join(map(str, shape))))
with open(os.path.join(out, "cases.tsv"), "w") as fh:
    for r in rows:
        fh.write("\t".join(r) + "\n")
print(len(rows), "cases")
