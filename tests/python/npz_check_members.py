"""Checks an .npz that weightio wrote from the arrays in REFDIR (made by
npz_make_arrays.py): every member <case>.npy must be byte-for-byte the file
numpy.save wrote, numpy.load must give equal arrays, the archive must pass
zipfile's CRC test, and stored members' data must start at a multiple of 64
bytes in the file. Prints each problem; exits 1 if there is any."""
import os
import struct
import sys
import zipfile

import numpy as np

npz, refdir = sys.argv[1], sys.argv[2]
problems = []
raw = open(npz, "rb").read()
with zipfile.ZipFile(npz) as z:
    bad = z.testzip()
    if bad is not None:
        problems.append(f"zipfile.testzip: bad CRC in {bad}")
    for info in z.infolist():
        ref_path = os.path.join(refdir, info.filename)
        if not os.path.exists(ref_path):
            problems.append(f"{info.filename}: unexpected member")
            continue
        if z.read(info) != open(ref_path, "rb").read():
            problems.append(f"{info.filename}: bytes differ from numpy.save")
        if info.compress_type == zipfile.ZIP_STORED:
            off = info.header_offset
            n, e = struct.unpack("<HH", raw[off + 26: off + 30])
            if (off + 30 + n + e) % 64:
                problems.append(f"{info.filename}: stored data at {off + 30 + n + e}, not 64-aligned")
        elif info.compress_type != zipfile.ZIP_DEFLATED:
            problems.append(f"{info.filename}: compress_type {info.compress_type}")
    names = {i.filename for i in z.infolist()}
with np.load(npz) as f:
    for key in f.files:
        a, b = f[key], np.load(os.path.join(refdir, key + ".npy"))
        if a.dtype != b.dtype or a.shape != b.shape or a.tobytes() != b.tobytes():
            problems.append(f"{key}: numpy.load gives a different array")
for p in problems:
    print(p)
print(f"{len(names)} members checked, {len(problems)} problems")
sys.exit(1 if problems else 0)
