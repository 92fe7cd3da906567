"""An independent reader of little-endian GGUF files (versions 2 and 3),
written for weightio's tests with struct and numpy only, to check the files
weightio writes field by field.

usage: gguf_numpy_reader.py FILE
Prints JSON in the shape of tests/data/gguf/*.expected.json: version,
alignment, tensor_data_offset, tensor_count, kv_count, file_size, metadata
([{"key", "type", "item_type", "value"}], nested arrays as
{"item_type", "value"}), tensors ([{"name", "ggml_type": {"id"}, "ne",
"shape", "offset", "nbytes", "sha256"}]) and "padding_zero" (whether every
byte outside the header and the tensors' bytes is zero).
"""
import hashlib
import json
import struct
import sys

import numpy as np

TYPES = ["UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32", "BOOL",
         "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64"]
SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
          10: "<Q", 11: "<q", 12: "<d"}
# ggml type id: (elements per block, bytes per block), from ggml's type_traits
BLOCKS = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24),
          8: (32, 34), 9: (32, 36), 10: (256, 84), 11: (256, 110), 12: (256, 144),
          13: (256, 176), 14: (256, 210), 15: (256, 292), 16: (256, 66), 17: (256, 74),
          18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110), 22: (256, 82),
          23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8),
          29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66), 39: (32, 17),
          40: (64, 36), 41: (128, 18), 42: (64, 18)}

data = open(sys.argv[1], "rb").read()
pos = 0


def take(fmt):
    global pos
    (v,) = struct.unpack_from(fmt, data, pos)
    pos += struct.calcsize(fmt)
    return v


def string():
    global pos
    n = take("<Q")
    s = data[pos:pos + n]
    assert len(s) == n, "truncated string"
    pos += n
    return s.decode("utf-8")


def value(t):
    if t == 8:
        return string()
    if t == 9:
        return array()
    v = take(SCALAR[t])
    return float(np.float32(v)) if t == 6 else v


def array():
    item = take("<I")
    n = take("<Q")
    items = [value(item) for _ in range(n)]
    if item == 9:
        items = [{"item_type": TYPES[a[0]], "value": a[1]} for a in items]
    return (item, items)


assert data[:4] == b"GGUF", "magic"
pos = 4
version = take("<I")
assert version in (2, 3), version
n_tensors, n_kv = take("<Q"), take("<Q")
metadata = []
for _ in range(n_kv):
    key = string()
    t = take("<I")
    v = value(t)
    entry = {"key": key, "type": TYPES[t]}
    if t == 9:
        entry["item_type"] = TYPES[v[0]]
        entry["value"] = v[1]
    else:
        entry["value"] = v
    metadata.append(entry)
alignment = next((m["value"] for m in metadata if m["key"] == "general.alignment"), 32)
tensors = []
for _ in range(n_tensors):
    name = string()
    ne = [take("<Q") for _ in range(take("<I"))]
    gtype = take("<I")
    offset = take("<Q")
    elems, size = BLOCKS[gtype]
    nbytes = int(np.prod(ne, dtype=np.uint64)) // elems * size
    tensors.append({"name": name, "ggml_type": {"id": gtype}, "ne": ne, "shape": ne[::-1],
                    "offset": offset, "nbytes": nbytes})
start = (pos + alignment - 1) // alignment * alignment
covered = np.zeros(len(data), dtype=bool)
covered[:pos] = True
for t in tensors:
    b, e = start + t["offset"], start + t["offset"] + t["nbytes"]
    assert e <= len(data), "tensor beyond the end"
    t["sha256"] = hashlib.sha256(data[b:e]).hexdigest()
    covered[b:e] = True
raw = np.frombuffer(data, dtype=np.uint8)
print(json.dumps({"version": version, "alignment": alignment, "tensor_data_offset": start,
                  "tensor_count": n_tensors, "kv_count": n_kv, "file_size": len(data),
                  "metadata": metadata, "tensors": tensors,
                  "padding_zero": bool((raw[~covered] == 0).all())}))
