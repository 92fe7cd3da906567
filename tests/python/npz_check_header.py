"""The member MEMBER of NPZ must start with exactly the header numpy's
format._write_array_header writes for descr DESCR, C order, and a shape of
NDIM ones, and numpy.load must read it. Exits 1 otherwise."""
import io
import sys
import warnings
import zipfile

import numpy as np

npz, member, descr, ndim = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with zipfile.ZipFile(npz) as z:
    got = z.read(member)
buf = io.BytesIO()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # numpy warns when it picks version 2.0
    np.lib.format._write_array_header(
        buf, {"descr": descr, "fortran_order": False, "shape": (1,) * ndim})
want = buf.getvalue()
if got[: len(want)] != want:
    print("header differs from numpy's:", got[:16], want[:16], len(got), len(want))
    sys.exit(1)
fp = io.BytesIO(got)
version = np.lib.format.read_magic(fp)
print("npy version", version)
sys.exit(0 if version == (2, 0) else 1)
