"""What a checkpoint holds, as weightio is to see it: torch.load's object
flattened by MLX's tree rules, each tensor hashed as C-order little-endian
bytes, storages grouped, scalar leaves typed. Used by
make_pytorch_reference.py; needs Debian's torch 1.13.
"""
import hashlib

import torch

DTYPES = {torch.bool: "BOOL", torch.uint8: "U8", torch.int8: "I8", torch.int16: "I16",
          torch.int32: "I32", torch.int64: "I64", torch.float16: "F16",
          torch.bfloat16: "BF16", torch.float32: "F32", torch.float64: "F64",
          torch.complex64: "C64", torch.complex128: "C128"}


def tensor_bytes(t):
    """C-order little-endian bytes of a tensor (this machine is little-endian)."""
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def flatten(obj):
    """(tensors, scalars, skipped) in walk order, as MLX's tree_flatten names
    them: dict keys joined with '.', list/tuple items and int keys by their
    decimal value. tensors: [(name, tensor)]; scalars: [{name, type, value}];
    skipped: names of leaves that are neither (None, ...)."""
    tensors, scalars, skipped = [], [], []

    def join(prefix, key):
        return key if prefix == "" else prefix + "." + key

    def walk(prefix, x):
        if isinstance(x, torch.Tensor):
            tensors.append((prefix, x))
        elif isinstance(x, dict):
            for k, v in x.items():
                if isinstance(k, bool) or not isinstance(k, (str, int)):
                    skipped.append(join(prefix, repr(k)))
                    continue
                walk(join(prefix, str(k)), v)
        elif isinstance(x, (list, tuple)):
            for i, v in enumerate(x):
                walk(join(prefix, str(i)), v)
        elif isinstance(x, bool):
            scalars.append({"name": prefix, "type": "BOOL", "value": x})
        elif isinstance(x, int) and -2**63 <= x < 2**63:
            scalars.append({"name": prefix, "type": "I64", "value": x})
        elif isinstance(x, float):
            scalars.append({"name": prefix, "type": "F64", "value": x})
        elif isinstance(x, str):
            scalars.append({"name": prefix, "type": "STRING", "value": x})
        else:
            skipped.append(prefix)

    walk("", obj)
    return tensors, scalars, skipped


def storage_groups(tensors):
    """Names of tensors that share one storage, for every storage shared by
    more than one. Storages with no bytes share nothing."""
    groups = {}
    for name, t in tensors:
        s = t.storage()
        if s.data_ptr() == 0 or s.nbytes() == 0:
            continue
        groups.setdefault(s.data_ptr(), []).append(name)
    return [g for g in groups.values() if len(g) > 1]


def describe(obj, byte_swapped=False):
    """The manifest's entry for a loaded checkpoint. byte_swapped: torch read
    a big-endian file as little-endian (torch 1.13 ignores `byteorder`), so
    each value is swapped back before hashing (complex: each component)."""
    tensors, scalars, skipped = flatten(obj)
    out = []
    for name, t in tensors:
        if byte_swapped:
            b = swapped_bytes(t)
        else:
            b = tensor_bytes(t)
        out.append({"name": name, "dtype": DTYPES[t.dtype], "shape": list(t.shape),
                    "sha256": sha256(b)})
    entry = {"tensors": out, "storage_groups": storage_groups(tensors), "scalars": scalars}
    if skipped:
        entry["skipped_leaves"] = skipped
    return entry


def swapped_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    a = t.numpy()
    if a.dtype.kind == "c":  # each component is swapped, not the pair
        a = a.view(a.real.dtype)
    return a.byteswap().tobytes()
