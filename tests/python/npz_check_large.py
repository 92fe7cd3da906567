"""NPZ (written by NpzLarge) must list big.npy with BIG data bytes and
after.npy past 4 GiB, and numpy.load must read after = [7, 8, 9]."""
import sys
import zipfile

import numpy as np

npz, big = sys.argv[1], int(sys.argv[2])
with zipfile.ZipFile(npz) as z:
    info = {i.filename: i for i in z.infolist()}
    assert info["big.npy"].file_size > big, info["big.npy"].file_size
    assert info["after.npy"].header_offset > 1 << 32, info["after.npy"].header_offset
with np.load(npz) as f:
    assert f["after"].tolist() == [7, 8, 9], f["after"]
print("ok")
