"""Writes hostile .npz archives into OUT, each with the problem its name
says; the C++ test expects each to be refused with a message naming the
member and the problem. A tiny ZIP builder gives full control of every field
(zipfile would refuse to write most of these)."""
import os
import struct
import sys
import zlib

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def npy(arr, shape=None):
    import io
    b = io.BytesIO()
    np.lib.format.write_array(b, arr)
    data = b.getvalue()
    if shape is not None:  # make the header lie about the shape
        data = data.replace(repr(arr.shape).encode(), repr(shape).encode())
    return data


def deflate(data):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def build(members, eocd_over=None):
    """members: dicts with name, data (bytes as stored), and optional method,
    usize, crc, flags, central_offset (an offset relative to another member:
    ('into', index, delta)), csize."""
    body, central = b"", b""
    offsets = []
    for m in members:
        name = m["name"].encode()
        raw = m["data"]
        method = m.get("method", 0)
        crc = m.get("crc", zlib.crc32(m.get("plain", raw)))
        usize = m.get("usize", len(m.get("plain", raw)))
        csize = m.get("csize", len(raw))
        flags = m.get("flags", 0)
        off = len(body)
        offsets.append(off)
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 33, crc,
                            len(raw), len(m.get("plain", raw)), len(name), 0) + name + raw
        m["_fields"] = (name, method, crc, usize, csize, flags)
    for i, m in enumerate(members):
        name, method, crc, usize, csize, flags = m["_fields"]
        off = offsets[i]
        if "local_offset" in m:
            off = m["local_offset"](offsets)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, 0, 33,
                               crc, csize, usize, len(name), 0, 0, 0, 0, 0, off) + name
    count = len(members)
    cd_off = len(body)
    fields = {"count": count, "size": len(central), "offset": cd_off}
    fields.update(eocd_over or {})
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, fields["count"], fields["count"],
                       fields["size"], fields["offset"], 0)
    return body + central + eocd


def write(fname, data):
    with open(os.path.join(out, fname), "wb") as fh:
        fh.write(data)


ok = npy(np.arange(6, dtype="<f4"))
zeros = npy(np.zeros(1 << 20, dtype="u1"))

# Declares 4 GiB from a ~1 KiB deflate stream: impossible, refused before
# inflating or allocating anything.
write("bomb_declared_size.npz", build([{"name": "bomb.npy", "method": 8, "data": deflate(zeros),
                                        "plain": zeros, "usize": 0xFFFFFFF0}]))
# The npy header and the declared size say 4000 data bytes, the stream holds 8000.
long_plain = npy(np.zeros(2000, "<f4"), shape=(1000,))
write("inflates_past_declared.npz",
      build([{"name": "long.npy", "method": 8, "data": deflate(long_plain), "plain": long_plain,
              "usize": len(long_plain) - 4000}]))
# Header and declared size say 8000 data bytes, the stream holds 4000.
short_plain = npy(np.zeros(1000, "<f4"), shape=(2000,))
write("inflates_short.npz",
      build([{"name": "short.npy", "method": 8, "data": deflate(short_plain),
              "plain": short_plain, "usize": len(short_plain) + 4000}]))
# A deflated member whose stream is corrupt.
write("corrupt_deflate.npz", build([{"name": "bad.npy", "method": 8, "plain": ok,
                                     "data": b"\xff" * 40}]))
# Member b's local header lies inside member a's data.
inner = build([{"name": "b.npy", "data": ok}])[: 30 + 5 + len(ok)]
write("overlapping_members.npz",
      build([{"name": "a.npy", "data": inner},
             {"name": "b.npy", "data": ok, "local_offset": lambda offs: offs[0] + 30 + 5}]))
# A central entry whose local header offset is past the end of the file.
write("local_header_outside.npz",
      build([{"name": "a.npy", "data": ok, "local_offset": lambda offs: 1 << 30}]))
# A central entry whose compressed size runs past the archive's data.
write("data_past_end.npz", build([{"name": "a.npy", "data": ok, "csize": len(ok) + 5000,
                                   "usize": len(ok) + 5000}]))
# The end record puts the central directory outside the file.
write("directory_outside.npz", build([{"name": "a.npy", "data": ok}],
                                     {"offset": 1 << 28}))
write("not_npy_member.npz", build([{"name": "readme.txt", "data": b"hello"}]))
write("encrypted_member.npz", build([{"name": "a.npy", "data": ok, "flags": 1}]))
write("bzip2_member.npz", build([{"name": "a.npy", "data": ok, "method": 12}]))
write("header_not_literal.npz",
      build([{"name": "a.npy", "data": ok.replace(b"'descr': '<f4'", b"'descr': f'<4'")}]))
write("header_extra_key.npz",
      build([{"name": "a.npy", "data": ok.replace(b"'shape': (6,), }",
                                                    b"'shape': (6,), 'x': 1}")}]))
write("header_list_shape.npz",
      build([{"name": "a.npy", "data": ok.replace(b"(6,)", b"[6] ")}]))
write("npy_version_9.npz", build([{"name": "a.npy", "data": ok[:6] + b"\x09" + ok[7:]}]))
write("header_past_member.npz", build([{"name": "a.npy", "data": ok[:40]}]))
write("trailing_data.npz", build([{"name": "a.npy", "data": ok + b"\0" * 8}]))
write("structured_dtype.npz",
      build([{"name": "a.npy", "data": npy(np.zeros(2, dtype=[("x", "<f4"), ("y", "<i4")]))}]))
print("ok")
