"""Writes tinyw reference files and their expectations (vectors.json) from the
layout described at the top of tinyw_plugin.cpp, with Python's struct and
numpy: a second implementation of the format, so `weightio conformance
--vectors` checks the plugin against something other than itself.

usage: /usr/bin/python3 make_vectors.py   (writes next to this script)"""
import hashlib
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MAGIC = b"TINYW\0\0\1"
DTYPES = {"U8": 1, "I32": 6, "I64": 8, "F16": 9, "F32": 11}  # wio_dtype values
BLOCK = 255  # tinyw.q8: 32 int8 values and an f16 scale, 34 bytes a block
VALUE = {"STRING": 0, "INT64": 9, "FLOAT64": 11}  # wio_value_type values


def value_bytes(vtype, value):
    if vtype == "STRING":
        b = value.encode()
        return struct.pack("<BI", VALUE[vtype], len(b)) + b
    return struct.pack("<Bq" if vtype == "INT64" else "<Bd", VALUE[vtype], value)


def tinyw(metadata, tensors):
    """metadata: [(key, type, value)]; tensors: [(name, type, shape, bytes)]."""
    head = MAGIC + struct.pack("<II", len(metadata), len(tensors))
    for key, vtype, value in metadata:
        k = key.encode()
        head += struct.pack("<H", len(k)) + k + value_bytes(vtype, value)
    for name, ttype, shape, data in tensors:
        n = name.encode()
        code = BLOCK if ttype == "tinyw.q8" else DTYPES[ttype]
        head += struct.pack("<H", len(n)) + n + struct.pack("<BB", code, len(shape))
        head += b"".join(struct.pack("<q", d) for d in shape) + struct.pack("<Q", len(data))
    out = bytearray(head)
    for _, _, _, data in tensors:
        out += b"\0" * (-len(out) % 64)  # each tensor's data at a multiple of 64
        out += data
    return bytes(out)


def q8_blocks(values):
    """ggml Q8_0's layout: per 32 values an f16 scale d = max|x| / 127, then
    round(x / d) as int8."""
    blocks = b""
    for chunk in values.reshape(-1, 32):
        d = np.float16(np.abs(chunk).max() / 127)
        q = np.round(chunk / np.float32(d)).astype(np.int8) if d else np.zeros(32, np.int8)
        blocks += d.tobytes() + q.tobytes()
    return blocks


def main():
    rng = np.random.default_rng(7)
    f32 = rng.standard_normal((3, 5)).astype("<f4")
    f16 = np.arange(8, dtype="<f2").reshape(2, 2, 2)
    i32 = np.array([-1, 0, 2**31 - 1], dtype="<i4")
    scalar = np.array(42, dtype="<i8")
    q8 = q8_blocks(rng.standard_normal(64).astype("<f4"))
    tensors = [("w.f32", "F32", [3, 5], f32.tobytes()), ("w.f16", "F16", [2, 2, 2], f16.tobytes()),
               ("ids", "I32", [3], i32.tobytes()), ("step", "I64", [], scalar.tobytes()),
               ("empty", "U8", [0, 4], b""), ("q", "tinyw.q8", [2, 32], q8)]
    metadata = [("name", "STRING", "tinyw reference \u6743\u91cd"), ("epoch", "INT64", -3),
                ("lr", "FLOAT64", 0.125)]
    good = tinyw(metadata, tensors)
    files = {"t01_all_kinds.tinyw": good,
             "t02_empty.tinyw": tinyw([], []),
             "m01_truncated.tinyw": good[:-10],
             "m02_bad_magic.tinyw": b"TINYX" + good[5:],
             "m03_huge_count.tinyw": MAGIC + struct.pack("<II", 0, 0xFFFFFFFF)}
    for name, data in files.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
    sha = lambda b: hashlib.sha256(b).hexdigest()
    vectors = [
        {"file": "t01_all_kinds.tinyw", "valid": True,
         "metadata": [{"key": k, "type": t, "value": v} for k, t, v in metadata],
         "tensors": [{"name": n, "type": t, "shape": s, "sha256": sha(d)} for n, t, s, d in tensors]},
        {"file": "t02_empty.tinyw", "valid": True, "metadata": [], "tensors": []},
        {"file": "m01_truncated.tinyw", "valid": False, "why": "the last tensor's data is cut short"},
        {"file": "m02_bad_magic.tinyw", "valid": False, "why": "not the tinyw magic"},
        {"file": "m03_huge_count.tinyw", "valid": False, "why": "4 billion tensors in 16 bytes"},
    ]
    doc = {"schema": "weightio-conformance-vectors/1", "format": "tinyw",
           "source": "make_vectors.py: tinyw files written with struct and numpy, from the layout "
                     "in tinyw_plugin.cpp, not by the plugin", "vectors": vectors}
    with open(os.path.join(HERE, "vectors.json"), "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
