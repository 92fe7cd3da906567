"""Files with very many entries, for the scaling rows.

usage: scaling_workload.py FOLDER  -> writes, if missing:
  empty.safetensors      no tensors (the baseline of the peak memory)
  meta300k.safetensors   300,000 __metadata__ entries, one tensor
  tensors1m.safetensors  1,000,000 one-element F32 tensors (~68 MB)
  meta300k.gguf          300,000 metadata keys (strings), one tensor
  tensors200k.gguf       200,000 one-element F32 tensors

Written by hand (not by weightio), so a weightio bug cannot shape its own
input; the safetensors files load in the official library's rules (no gaps,
names unique, header padded to 8 bytes).
"""
import json
import os
import struct
import sys

META_ENTRIES = 300_000
TENSORS = 1_000_000
GGUF_TENSORS = 200_000


def safetensors(path, tensors, metadata):
    """tensors: count of one-element F32 tensors named t.0000000 ..."""
    parts = ["{"]
    if metadata:
        parts.append('"__metadata__":{')
        parts.append(",".join(f'"key.{i:07d}":"value {i}"' for i in range(metadata)))
        parts.append("}")
        if tensors:
            parts.append(",")
    parts.append(",".join(
        f'"t.{i:07d}":{{"dtype":"F32","shape":[1],"data_offsets":[{4 * i},{4 * i + 4}]}}'
        for i in range(tensors)))
    parts.append("}")
    header = "".join(parts).encode()
    header += b" " * (-len(header) % 8)
    with open(path + ".part", "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        f.write(struct.pack(f"<{tensors}f", *([1.5] * tensors)) if tensors else b"")
    os.replace(path + ".part", path)


def gguf_str(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf(path, tensors, metadata):
    """GGUF v3: `metadata` string keys key.0000000 = "value i", `tensors`
    one-element F32 tensors t.0000000 ..., alignment 32."""
    out = [b"GGUF", struct.pack("<IQQ", 3, tensors, metadata)]
    for i in range(metadata):
        out.append(gguf_str(f"key.{i:07d}") + struct.pack("<I", 8) + gguf_str(f"value {i}"))
    for i in range(tensors):
        # name, n_dims, dims, type F32 (0), offset (aligned to 32)
        out.append(gguf_str(f"t.{i:07d}") + struct.pack("<IQIQ", 1, 1, 0, 32 * i))
    head = b"".join(out)
    head += b"\0" * (-len(head) % 32)
    with open(path + ".part", "wb") as f:
        f.write(head)
        f.write((struct.pack("<f", 1.5) + b"\0" * 28) * tensors)
    os.replace(path + ".part", path)


def make_all(folder):
    os.makedirs(folder, exist_ok=True)
    made = {}
    for name, fn, t, m in [
        ("empty.safetensors", safetensors, 0, 0),
        ("meta300k.safetensors", safetensors, 1, META_ENTRIES),
        ("tensors1m.safetensors", safetensors, TENSORS, 0),
        ("meta300k.gguf", gguf, 1, META_ENTRIES),
        ("tensors200k.gguf", gguf, GGUF_TENSORS, 0),
    ]:
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            fn(path, t, m)
        made[name] = path
    return made


if __name__ == "__main__":
    for p in make_all(sys.argv[1]).values():
        print(p, os.path.getsize(p))
