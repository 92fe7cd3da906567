#!/usr/bin/python3
"""Writes PyTorch checkpoints with torch itself (Debian's torch 1.13) into
OUT_DIR, and OUT_DIR/manifest.json: what each file must read as, computed
here from the objects torch.load gives back, independently of weightio.

Names follow MLX's tree_flatten (dict keys joined with '.', list and tuple
items by index, int keys by their decimal value). Each tensor's expected
bytes are its C-contiguous little-endian bytes, written to
OUT_DIR/<file>.<index>.bin. Scalar leaves are expected as typed metadata:
int (within 64 bits) I64, float F64, str STRING, bool BOOL; every other
leaf (None, bytes, complex, set, larger ints) is counted as skipped.

Usage: pytorch_make_checkpoints.py OUT_DIR
"""
import ctypes
import json
import os
import sys

import torch

DTYPES = {
    torch.bool: "BOOL", torch.uint8: "U8", torch.int8: "I8", torch.int16: "I16",
    torch.int32: "I32", torch.int64: "I64", torch.float16: "F16",
    torch.bfloat16: "BF16", torch.float32: "F32", torch.float64: "F64",
    torch.complex64: "C64", torch.complex128: "C128",
}


def raw_bytes(t):
    c = t.detach().contiguous().clone()
    return ctypes.string_at(c.data_ptr(), c.numel() * c.element_size()) if c.numel() else b""


def flatten(obj, prefix, out, skipped):
    if isinstance(obj, torch.Tensor):
        out.append((prefix, obj))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(k, bool) or not isinstance(k, (str, int)):
                skipped["keys"] += 1
                continue
            key = str(k)
            flatten(v, key if not prefix else prefix + "." + key, out, skipped)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            flatten(v, str(i) if not prefix else prefix + "." + str(i), out, skipped)
    elif isinstance(obj, bool):
        out.append((prefix, ("BOOL", obj)))
    elif isinstance(obj, int) and -2**63 <= obj < 2**63:
        out.append((prefix, ("I64", obj)))
    elif isinstance(obj, float):
        out.append((prefix, ("F64", obj)))
    elif isinstance(obj, str):
        out.append((prefix, ("STRING", obj)))
    else:
        skipped["values"] += 1


def describe(out_dir, file, obj):
    leaves, skipped = [], {"values": 0, "keys": 0}
    flatten(obj, "", leaves, skipped)
    tensors, values = [], []
    for i, (name, leaf) in enumerate(leaves):
        if isinstance(leaf, torch.Tensor):
            data = f"{file}.{i}.bin"
            with open(os.path.join(out_dir, data), "wb") as f:
                f.write(raw_bytes(leaf))
            tensors.append({"name": name, "dtype": DTYPES[leaf.dtype],
                            "shape": list(leaf.shape), "data": data,
                            "contiguous": leaf.is_contiguous(),
                            "storage_offset": leaf.storage_offset()})
        else:
            values.append({"name": name, "type": leaf[0], "value": leaf[1]})
    return {"tensors": tensors, "values": values, "skipped_values": skipped["values"],
            "skipped_keys": skipped["keys"]}


def every_dtype():
    torch.manual_seed(1)
    out = {}
    for dt in DTYPES:
        if dt == torch.bool:
            t = torch.rand(3, 4) > 0.5
        elif dt.is_complex:
            t = torch.randn(3, 4, dtype=dt)
        elif dt.is_floating_point:
            t = torch.randn(3, 4).to(dt)
        else:
            t = torch.randint(-100 if dt != torch.uint8 else 0, 100, (3, 4)).to(dt)
        name = str(dt).replace("torch.", "")
        out[name] = t
        out[name + "_scalar"] = t[1, 2].clone()       # 0-d
        out[name + "_empty"] = t[:0].clone()          # (0, 4)
    return out


def views():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    return {"full": base, "row": base[1], "col": base[:, 2], "t": base.t(),
            "block": base[1:3, 2:5], "step": base[::2, ::3], "one": base[2, 3],
            "empty_tail": base[4:], "expand": torch.arange(3.).expand(2, 3)}


def model():
    torch.manual_seed(2)
    m = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 4),
                            torch.nn.BatchNorm1d(4))
    return m


def tied():
    emb = torch.nn.Embedding(10, 4)
    head = torch.nn.Linear(4, 10, bias=False)
    head.weight = emb.weight
    return torch.nn.ModuleDict({"emb": emb, "head": head}).state_dict()


def training():
    m = model()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    m(torch.randn(5, 4)).sum().backward()
    opt.step()
    return {"epoch": 7, "step": 123456789012, "lr": 0.001, "run": "run-1", "ok": True,
            "state_dict": m.state_dict(), "optimizer": opt.state_dict(),
            "history": [1.0, 2.5, [3, 4, "x"]], "best": (0.5, {"at": 3}),
            "none": None, "raw": b"xy", "huge": 2**70, "cplx": 1 + 2j, "tags": {1, 2},
            "by_int": {0: torch.ones(2), 5: torch.zeros(1)}, "a.b": 1}


def parameters():
    return {"p": torch.nn.Parameter(torch.randn(3, 2)),
            "frozen": torch.nn.Parameter(torch.ones(2), requires_grad=False)}


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    cases = {
        "dtypes.pt": (every_dtype(), {}),
        "views.pt": (views(), {}),
        "module.pt": (model().state_dict(), {}),
        "tied.pt": (tied(), {}),
        "training.pt": (training(), {}),
        "params.pt": (parameters(), {}),
        "legacy.pt": (dict(views(), **every_dtype()), {"_use_new_zipfile_serialization": False}),
        "legacy_training.pt": (training(), {"_use_new_zipfile_serialization": False}),
        "bare.pt": (torch.arange(5, dtype=torch.int16), {}),
    }
    manifest = {}
    for file, (obj, kw) in cases.items():
        path = os.path.join(out_dir, file)
        torch.save(obj, path, **kw)
        manifest[file] = describe(out_dir, file, torch.load(path))
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
