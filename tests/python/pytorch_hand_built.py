#!/usr/bin/python3
"""Writes PyTorch checkpoints built by hand (opcodes assembled here, zips
made with the stdlib's zipfile), and hostile ones, into OUT_DIR:

- good/*.pt with OUT_DIR/good/manifest.json in pytorch_make_checkpoints.py's
  schema (plus "byte_swap" per tensor): torch 2.x's `archive/` folder with a
  byteorder "big" record, _rebuild_tensor_v3 over UntypedStorages (uint16,
  float8_e4m3fn, float8_e5m2: dtypes torch 1.13 cannot save);
- hostile/*.pt, each of which weightio must refuse; the test knows what
  each message must name.

Expected bytes are computed with struct and numpy from the values, not read
back by the code under test.

Usage: pytorch_hand_built.py OUT_DIR
"""
import io
import json
import os
import struct
import sys
import zipfile

import numpy as np
import torch

MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e"


def s(text):
    b = text.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def i(v):
    return b"J" + struct.pack("<i", v)


def g(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def tup(*items):
    return b"(" + b"".join(items) + b"t"


def pid(cls, key, numel, module="torch"):
    return tup(s("storage"), g(module, cls), s(key), s("cpu"), i(numel)) + b"Q"


HOOKS = g("collections", "OrderedDict") + b")R"


def v2(cls, key, numel, offset, size, stride):
    return (g("torch._utils", "_rebuild_tensor_v2") +
            tup(pid(cls, key, numel), i(offset), tup(*map(i, size)), tup(*map(i, stride)),
                b"\x89", HOOKS) + b"R")


def v3(nbytes, key, offset, size, stride, dtype):
    return (g("torch._utils", "_rebuild_tensor_v3") +
            tup(pid("UntypedStorage", key, nbytes, "torch.storage"), i(offset),
                tup(*map(i, size)), tup(*map(i, stride)), b"\x89", HOOKS,
                g("torch", dtype)) + b"R")


def dict_of(pairs):
    return b"}(" + b"".join(s(k) + v for k, v in pairs) + b"u"


def pickle(body):
    return b"\x80\x02" + body + b"."


def write_zip(path, records, folder="archive", compress=None):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in records:
            z.writestr(zipfile.ZipInfo(f"{folder}/{name}"), data,
                       compress_type=compress.get(name, zipfile.ZIP_STORED)
                       if compress else zipfile.ZIP_STORED)


def checkpoint(path, body, storages, byteorder=None, folder="archive"):
    records = [("data.pkl", pickle(body))]
    if byteorder is not None:
        records.append(("byteorder", byteorder))
    records += [(f"data/{k}", v) for k, v in storages]
    records.append(("version", b"3\n"))
    write_zip(path, records, folder)


def good(out):
    manifest = {}

    def expect(file, tensors):
        entries = []
        for n, (name, dtype, shape, data, contiguous, swap) in enumerate(tensors):
            bin_name = f"{file}.{n}.bin"
            with open(os.path.join(out, bin_name), "wb") as f:
                f.write(data)
            entries.append({"name": name, "dtype": dtype, "shape": shape, "data": bin_name,
                            "contiguous": contiguous, "byte_swap": swap})
        manifest[file] = {"tensors": entries, "values": [], "skipped_values": 0,
                          "skipped_keys": 0}

    a = np.arange(12, dtype=np.float32).reshape(3, 4) * 1.5 - 4
    h = np.array([1, -2, 300, -32768], dtype=np.int16)
    c = np.array([1 + 2j, -3.5 - 4j], dtype=np.complex64)
    body = dict_of([("w", v2("FloatStorage", "0", 12, 0, [3, 4], [4, 1])),
                    ("wt", v2("FloatStorage", "0", 12, 0, [4, 3], [1, 4])),
                    ("h", v2("ShortStorage", "1", 4, 0, [4], [1])),
                    ("c", v2("ComplexFloatStorage", "2", 2, 0, [2], [1]))])
    checkpoint(os.path.join(out, "big_endian.pt"), body,
               [("0", a.astype(">f4").tobytes()), ("1", h.astype(">i2").tobytes()),
                ("2", c.astype(">c8").tobytes())], byteorder=b"big")
    expect("big_endian.pt", [("w", "F32", [3, 4], a.tobytes(), True, True),
                             ("wt", "F32", [4, 3], a.T.copy().tobytes(), False, True),
                             ("h", "I16", [4], h.tobytes(), True, True),
                             ("c", "C64", [2], c.tobytes(), True, True)])

    checkpoint(os.path.join(out, "little_endian.pt"), dict_of([("w", v2(
        "FloatStorage", "0", 12, 0, [3, 4], [4, 1]))]), [("0", a.tobytes())], byteorder=b"little",
        folder="some name")
    expect("little_endian.pt", [("w", "F32", [3, 4], a.tobytes(), True, False)])

    u16 = np.array([[0, 1, 65535], [40000, 7, 8]], dtype=np.uint16)
    f8 = bytes(range(0, 240, 15))  # 16 raw float8_e4m3fn codes
    body = dict_of([("u16", v3(12, "0", 0, [2, 3], [3, 1], "uint16")),
                    ("u16_col", v3(12, "0", 1, [2], [3], "uint16")),
                    ("f8", v3(16, "1", 0, [4, 4], [4, 1], "float8_e4m3fn")),
                    ("f8_5m2", v3(16, "1", 8, [8], [1], "float8_e5m2"))])
    checkpoint(os.path.join(out, "v3_untyped.pt"), body, [("0", u16.tobytes()), ("1", f8)],
               byteorder=b"little")
    expect("v3_untyped.pt", [("u16", "U16", [2, 3], u16.tobytes(), True, False),
                             ("u16_col", "U16", [2], u16[:, 1].copy().tobytes(), False, False),
                             ("f8", "F8_E4M3", [4, 4], f8, True, False),
                             ("f8_5m2", "F8_E5M2", [8], f8[8:], True, False)])
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


def rezip(src, dst, drop=(), replace=None, compress=False):
    replace = replace or {}
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w") as w:
        for info in z.infolist():
            if info.filename in drop:
                continue
            data = replace.get(info.filename, z.read(info.filename))
            w.writestr(zipfile.ZipInfo(info.filename), data,
                       compress_type=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)


def hostile(out):
    def zpk(name, body, storages=()):
        checkpoint(os.path.join(out, name), body, storages)

    def raw_pkl(name, data):
        write_zip(os.path.join(out, name), [("data.pkl", data)])

    zpk("global_system.pt", g("posix", "system") + tup(s("echo pwned")) + b"R")
    zpk("builtin_eval.pt", g("__builtin__", "eval") + tup(s("1+1")) + b"R")
    zpk("getattr_reduce.pt", g("__builtin__", "getattr") + tup(s("x"), s("y")) + b"R")
    raw_pkl("inst.pt", b"\x80\x02(" + s("echo") + b"ios\nsystem\n.")
    raw_pkl("obj.pt", b"\x80\x02(" + g("os", "system") + s("echo") + b"o.")
    zpk("setitem_list.pt", b"]" + s("k") + i(1) + b"s")
    zpk("binget_unset.pt", b"}h\x07")
    raw_pkl("mark_bomb.pt", b"\x80\x02" + b"(" * 1_000_000 + b".")
    raw_pkl("deep_nesting.pt", b"\x80\x02" + (b"}" + s("k")) * 200_000 + b"}" + b"s" * 200_000 + b".")
    raw_pkl("huge_string.pt", b"\x80\x02X\xff\xff\xff\x7fabc.")

    base = os.path.join(out, "base.pt")
    torch.save({"w": torch.arange(6, dtype=torch.float32)}, base)
    prefix = "base/"
    with zipfile.ZipFile(base) as z:
        pkl = z.read(prefix + "data.pkl")
        rec = z.read(prefix + "data/0")
    rezip(base, os.path.join(out, "truncated.pt"), replace={prefix + "data.pkl": pkl[:len(pkl) // 2]})
    rezip(base, os.path.join(out, "missing_record.pt"), drop={prefix + "data/0"})
    rezip(base, os.path.join(out, "short_record.pt"), replace={prefix + "data/0": rec[:-4]})
    rezip(base, os.path.join(out, "long_record.pt"), replace={prefix + "data/0": rec + b"\0" * 4})
    rezip(base, os.path.join(out, "deflated.pt"), compress=True)

    zpk("view_past.pt", dict_of([("v", v2("FloatStorage", "0", 12, 10, [4], [1]))]),
        [("0", bytes(48))])
    zpk("class_disagrees.pt", dict_of([("d", v2("DoubleStorage", "0", 6, 0, [6], [1]))]),
        [("0", bytes(24))])
    zpk("dims_overflow.pt", dict_of([("o", v2("FloatStorage", "0", 1, 0,
                                                [2**31 - 1] * 3, [0, 0, 0]))]), [("0", bytes(4))])
    zpk("two_names.pt", dict_of([("a.b", i(1)), ("a", dict_of([("b", i(2))]))]))

    m = torch.jit.script(torch.nn.Linear(2, 2))
    torch.jit.save(m, os.path.join(out, "torchscript.pt"))
    q = torch.quantize_per_tensor(torch.randn(4), 0.1, 0, torch.qint8)
    torch.save({"layer": {"q": q}}, os.path.join(out, "quantized.pt"))
    torch.save({"sp": torch.eye(3).to_sparse()}, os.path.join(out, "sparse.pt"))

    legacy = io.BytesIO()
    torch.save({"w": torch.arange(6, dtype=torch.float32)}, legacy,
               _use_new_zipfile_serialization=False)
    data = legacy.getvalue()
    with open(os.path.join(out, "legacy_trailing.pt"), "wb") as f:
        f.write(data + b"junk")
    with open(os.path.join(out, "legacy_short.pt"), "wb") as f:
        f.write(data[:-4])
    with open(os.path.join(out, "legacy_big_endian.pt"), "wb") as f:
        f.write(data.replace(b"little_endianq\x02\x88", b"little_endianq\x02\x89"))
    tar = bytearray(1024)
    tar[257:262] = b"ustar"
    with open(os.path.join(out, "tar.pt"), "wb") as f:
        f.write(bytes(tar))
    with open(os.path.join(out, "random.pt"), "wb") as f:
        f.write(b"not a checkpoint at all" * 10)
    assert MAGIC == data[:15]


def main():
    out = sys.argv[1]
    for sub in ("good", "hostile"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    good(os.path.join(out, "good"))
    hostile(os.path.join(out, "hostile"))


if __name__ == "__main__":
    main()
