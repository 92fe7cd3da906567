"""Writes the hostile-input seeds of the npz fuzz corpora into OUT: small deflate
bombs (truthful, and lying about their size either way), member names with a
NUL and with terminal escapes, and end records that disagree with the
central directory (made by npz_make_eocd_disagreements.py). The committed
copies live in fuzz/corpus/load and fuzz/corpus/npz_zip; rerun this to
remake them. Small on purpose: libFuzzer sizes its inputs after the largest
seed."""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def npy_u8(n):
    d = "{'descr': '|u1', 'fortran_order': False, 'shape': (%d,), }" % n
    total = (10 + len(d) + 1 + 63) // 64 * 64
    d = d + " " * (total - 10 - len(d) - 1) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(d)) + d.encode()


def segment(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_FULL_FLUSH)


def archive(members):
    """members: (name bytes, method, stored bytes, crc, usize). Sizes of 4 GiB
    or more go in ZIP64 extra records."""
    body, cd = b"", b""
    for name, method, data, crc, usize in members:
        off = len(body)
        csize, extra = len(data), b""
        if usize >= 0xFFFFFFFF:
            extra = struct.pack("<HHQQ", 1, 16, usize, csize)
            csize = usize = 0xFFFFFFFF
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, method, 0, 33, crc, csize, usize,
                            len(name), len(extra)) + name + extra + data
        cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, method, 0, 33, crc, csize,
                          usize, len(name), len(extra), 0, 0, 0, 0, off) + name + extra
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(cd),
                      len(body), 0)
    return body + cd + end


def bomb(zeros_mib, elements=None, declared=None):
    zeros = zeros_mib << 20
    header = npy_u8(zeros if elements is None else elements)
    stream = segment(header) + segment(bytes(1 << 20)) * zeros_mib + b"\x03\x00"
    plain_size = len(header) + zeros if declared is None else declared
    crc = zlib.crc32((header + bytes(zeros))[:plain_size])
    return (b"bomb.npy", 8, stream, crc, plain_size)


def stored(name, data):
    return (name, 0, data, zlib.crc32(data), len(data))


small = npy_u8(4) + bytes(4)
seeds = {
    # 1 MiB of zeros from ~1.1 KB: loads. Kept small: every mutation of it
    # that still inflates costs the fuzzer a full inflation.
    "hostile_bomb_1mib.npz": archive([stored(b"small.npy", small), bomb(1)]),
    # Headers say 1 KiB, the stream inflates to 1 MiB.
    "hostile_bomb_inflates_past.npz": archive([stored(b"small.npy", small),
                                           bomb(1, 1024 - 128, 1024)]),
    # 100 GiB declared from ~1.1 KB: past deflate's 1032:1.
    "hostile_bomb_declares_100gib.npz": archive([stored(b"small.npy", small),
                                             bomb(1, (100 << 30) - 128, 100 << 30)]),
    "hostile_name_nul.npz": archive([stored(b"a\x00b.npy", small)]),
    "hostile_name_escapes.npz": archive([stored(b"evil\x1b[31m\nok: 0 tensors.npy", small)]),
}
for fname, data in seeds.items():
    with open(os.path.join(out, fname), "wb") as fh:
        fh.write(data)

with tempfile.TemporaryDirectory() as tmp:
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.run([sys.executable, os.path.join(here, "npz_make_eocd_disagreements.py"), tmp],
                   check=True, stdout=subprocess.DEVNULL)
    for case in ("count_0_of_2", "count_3_of_2", "size_short", "offset_high",
                 "skip_first_entry_count_1"):
        for kind in ("classic", "zip64"):
            with open(os.path.join(tmp, f"{kind}_{case}.npz"), "rb") as fh:
                data = fh.read()
            with open(os.path.join(out, f"hostile_{kind}_{case}.npz"), "wb") as fh:
                fh.write(data)
print("ok")
