"""numpy.load(NPZ) must give exactly the arrays EXPECT.tsv lists (name, numpy
descr, shape as comma list, SHA-256 of the C-order bytes), in that order, and
nothing else. Prints each problem; exits 1 if there is any."""
import hashlib
import sys

import numpy as np

npz, expect_path = sys.argv[1], sys.argv[2]
expect = []
with open(expect_path, encoding="utf-8") as fh:
    for line in fh:
        name, descr, shape, sha = line.rstrip("\n").split("\t")
        expect.append((name, descr, tuple(int(s) for s in shape.split(",") if s), sha))
problems = []
with np.load(npz) as f:
    if list(f.files) != [e[0] for e in expect]:
        problems.append(f"member names {f.files!r} != {[e[0] for e in expect]!r}")
    for name, descr, shape, sha in expect:
        if name not in f.files:
            continue
        a = f[name]
        got_descr = np.lib.format.dtype_to_descr(a.dtype)
        if got_descr != descr:
            problems.append(f"{name}: descr {got_descr} != {descr}")
        if a.shape != shape:
            problems.append(f"{name}: shape {a.shape} != {shape}")
        got = hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()
        if got != sha:
            problems.append(f"{name}: values differ (sha256 {got} != {sha})")
for p in problems:
    print(p)
print(f"{len(expect)} arrays checked, {len(problems)} problems")
sys.exit(1 if problems else 0)
