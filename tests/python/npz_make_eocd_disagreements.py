"""Writes .npz archives whose end-of-central-directory record (classic, or
ZIP64) disagrees with the central directory it points to, into OUT, and
OUT/layout.tsv (the unchanged directory's size and offset, and where the
end record begins), and OUT/numpy.tsv: for each file, what numpy.load (through Python's zipfile)
makes of it: "ok<TAB>name=values;..." with every member read, or
"error<TAB>ExceptionType: message". The C++ test compares weightio with it.

Every file starts from numpy.savez of two arrays, a and b; only the end
records are changed afterwards."""
import io
import os
import struct
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

buf = io.BytesIO()
np.savez(buf, a=np.arange(3, dtype="<f4"), b=np.array([7, 8], dtype="<i8"))
base = buf.getvalue()
EOCD = base.rfind(b"PK\x05\x06")
COUNT, SIZE, OFFSET = struct.unpack_from("<HII", base, EOCD + 10)
assert COUNT == 2 and OFFSET + SIZE == EOCD
# Length of the first central directory record (a.npy).
FIRST = 46 + sum(struct.unpack_from("<HHH", base, OFFSET + 28))


def classic(count=COUNT, size=SIZE, offset=OFFSET):
    r = bytearray(base)
    struct.pack_into("<HHII", r, EOCD + 8, count, count, size, offset)
    return bytes(r)


def zip64(count=COUNT, size=SIZE, offset=OFFSET):
    """The same archive with ZIP64 end records (as a writer forcing ZIP64
    makes them): the classic record holds only the 0xFFFF... sentinels."""
    body = base[:EOCD]
    end64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, size, offset)
    locator = struct.pack("<IIQI", 0x07064B50, 0, len(body), 1)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return body + end64 + locator + eocd


cases = {
    "agree": {},
    "count_0_of_2": {"count": 0},
    "count_1_of_2": {"count": 1},
    "count_3_of_2": {"count": 3},
    "size_short": {"size": SIZE - 1},
    "size_long": {"size": SIZE + 1},
    "offset_low": {"offset": OFFSET - 1},
    "offset_high": {"offset": OFFSET + 1},
    # Size and offset moved together past a's entry: the directory still
    # ends at the end record, but holds only b.
    "skip_first_entry": {"size": SIZE - FIRST, "offset": OFFSET + FIRST},
    # The same with the count agreeing: a fully consistent one-member view.
    "skip_first_entry_count_1": {"size": SIZE - FIRST, "offset": OFFSET + FIRST, "count": 1},
}
# A classic count of 0xFFFF means "see ZIP64"; with no ZIP64 record it is
# what writers that wrap the count at 65536 leave.
files = {f"classic_{k}.npz": classic(**v) for k, v in cases.items()}
files["classic_count_65535_of_2.npz"] = classic(count=0xFFFF)
files.update({f"zip64_{k}.npz": zip64(**v) for k, v in cases.items()})


def numpy_view(data):
    try:
        with np.load(io.BytesIO(data)) as z:
            return "ok\t" + ";".join(f"{k}={z[k].tolist()}" for k in z.files)
    except Exception as ex:  # what numpy says is the point, whatever it is
        return f"error\t{type(ex).__name__}: {ex}"


with open(os.path.join(out, "layout.tsv"), "w") as fh:
    fh.write(f"{SIZE}\t{OFFSET}\t{EOCD}\n")
with open(os.path.join(out, "numpy.tsv"), "w") as tsv:
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as fh:
            fh.write(data)
        tsv.write(f"{name}\t{numpy_view(data)}\n")
print("ok")
