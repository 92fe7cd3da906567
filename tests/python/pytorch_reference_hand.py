"""Checkpoints torch 1.13 cannot write, built by hand for
make_pytorch_reference.py: zip archives laid out as torch.save lays them
(members stored, data.pkl first, records 64-byte aligned through an 'FB'
extra field), protocol-2 pickles from Python's own pickler with torch's
persistent ids, and the stand-ins for globals torch 1.13 does not have
(torch.uint16, torch.float8_e4m3fn, torch._utils._rebuild_tensor_v3).
"""
import collections
import pickle
import sys
import types
import zipfile

import torch

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
STUB = "wiostubtorch"  # renamed to "torch" in the pickle's GLOBAL lines


class Storage:
    """A storage as torch's persistent id names it."""

    def __init__(self, cls, key, numel):
        self.cls, self.key, self.numel = cls, key, numel


class Tensor:
    """Pickles as torch's tensors do: REDUCE of a rebuild function."""

    def __init__(self, rebuild, storage, offset, size, stride, dtype=None):
        self.args = (storage, offset, tuple(size), tuple(stride), False,
                     collections.OrderedDict())
        if dtype is not None:
            self.args += (dtype,)
        self.rebuild = rebuild

    def __reduce_ex__(self, protocol):
        return (self.rebuild, self.args)


def _stubs():
    """Module objects standing in for torch's newer names: Python's pickler
    writes a class or function by reference only if importing it by that
    name gives it back."""
    if STUB in sys.modules:
        return sys.modules[STUB]
    top = types.ModuleType(STUB)
    utils = types.ModuleType(STUB + "._utils")

    def _rebuild_tensor_v3(*args):
        raise RuntimeError("a stand-in: never called")

    _rebuild_tensor_v3.__module__ = utils.__name__
    _rebuild_tensor_v3.__qualname__ = "_rebuild_tensor_v3"
    utils._rebuild_tensor_v3 = _rebuild_tensor_v3
    top._utils = utils
    for name in ("UntypedStorage", "uint16", "float8_e4m3fn"):
        setattr(top, name, type(name, (), {"__module__": STUB}))
    sys.modules[STUB] = top
    sys.modules[utils.__name__] = utils
    return top


def pickle_checkpoint(obj):
    """Protocol-2 pickle of obj, Storage objects as torch's persistent ids
    ('storage', class, key, 'cpu', numel)."""
    import io

    buf = io.BytesIO()
    p = pickle.Pickler(buf, protocol=2)
    p.persistent_id = lambda o: (("storage", o.cls, o.key, "cpu", o.numel)
                                 if isinstance(o, Storage) else None)
    p.dump(obj)
    raw = buf.getvalue()
    # GLOBAL is 'c' module '\n' name '\n': text, no length to fix up.
    return raw.replace(b"c" + STUB.encode(), b"ctorch")


def write_zip(path, members, deflate=()):
    """Writes members [(name, bytes)] in order, stored (names in `deflate`
    deflated), each record's data 64-byte aligned as torch aligns it."""
    with open(path, "wb") as f, zipfile.ZipFile(f, "w") as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED if name in deflate else zipfile.ZIP_STORED
            start = f.tell() + 30 + len(name.encode())
            pad = (-(start + 4)) % 64
            info.extra = b"FB" + pad.to_bytes(2, "little") + b"Z" * pad
            z.writestr(info, data)


def members(path):
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


def big_endian_archive(path, arrays):
    """torch 2.x's layout with `archive/byteorder` "big": every record holds
    big-endian values. arrays: name -> (numpy array, typed storage class).
    Also "w_t": the transpose of "w" over w's storage (strided, shared), and
    "step": 3. Returns the object pickled, for the record."""
    obj, records = {}, []
    for key, (name, (a, cls)) in enumerate(arrays.items()):
        st = Storage(cls, str(key), a.size)
        stride = [int(s // a.itemsize) for s in a.strides]
        obj[name] = Tensor(torch._utils._rebuild_tensor_v2, st, 0, a.shape, stride)
        be = a.astype(a.dtype.newbyteorder(">")) if a.dtype.kind != "b" else a
        records.append((f"archive/data/{key}", be.tobytes()))
        if name == "w":
            obj["w_t"] = Tensor(torch._utils._rebuild_tensor_v2, st, 0, a.shape[::-1],
                                stride[::-1])
    obj["step"] = 3
    write_zip(path, [("archive/data.pkl", pickle_checkpoint(obj)),
                     ("archive/byteorder", b"big")] + records + [("archive/version", b"3\n")])


def rebuild_v3_archive(path, u16, f8_bytes):
    """torch >= 2.3's _rebuild_tensor_v3 over UntypedStorage (numel counts
    bytes) for dtypes torch 1.13 lacks: "u16" (uint16, 2-D), "u16_col" (its
    second column: strided at an element offset), "f8" (float8_e4m3fn bytes).
    Written unaligned, so the host copies rather than maps."""
    s = _stubs()
    v3 = s._utils._rebuild_tensor_v3
    st0 = Storage(s.UntypedStorage, "0", u16.nbytes)
    st1 = Storage(s.UntypedStorage, "1", len(f8_bytes))
    rows, cols = u16.shape
    obj = {"u16": Tensor(v3, st0, 0, u16.shape, (cols, 1), s.uint16),
           "u16_col": Tensor(v3, st0, 1, (rows,), (cols,), s.uint16),
           "f8": Tensor(v3, st1, 0, (len(f8_bytes),), (1,), s.float8_e4m3fn)}
    recs = [("archive/data.pkl", pickle_checkpoint(obj)), ("archive/byteorder", b"little"),
            ("archive/data/0", u16.astype("<u2").tobytes()), ("archive/data/1", f8_bytes),
            ("archive/version", b"3\n")]
    with open(path, "wb") as f, zipfile.ZipFile(f, "w") as z:
        for name, data in recs:
            z.writestr(zipfile.ZipInfo(name, FIXED_TIME), data)


def posix_system_pickle():
    """posix.system('true'): what a malicious checkpoint does (harmless here)."""
    return b"\x80\x02cposix\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03."


def rewrite(src, dst, change, deflate=()):
    """dst: src's members in order, each through change(name, bytes)."""
    write_zip(dst, [(n, change(n, d)) for n, d in members(src)], deflate)
