#!/usr/bin/python3
"""Writes tests/data/pytorch/: PyTorch checkpoints written by Debian's torch
1.13 (the oracle) or built by hand where torch 1.13 cannot write them, and
MANIFEST.json saying, per file, whether a reader must accept it and what it
holds: each tensor as torch.load(weights_only=False) gives it, flattened by
MLX's tree rules (dotted paths; list items and int keys by decimal value),
with dtype (safetensors' names), shape and the SHA-256 of its C-order
little-endian bytes; the groups of names sharing one storage; the scalar
leaves (I64, F64, STRING, BOOL). Deterministic: fixed seeds, fixed zip
times, and the legacy format's storage keys (heap addresses) renumbered.

usage: make_pytorch_reference.py [OUT_DIR]   (default: tests/data/pytorch)
"""
import json
import os
import struct
import sys
import warnings

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_reference_flatten as flat  # noqa: E402
import pytorch_reference_hand as hand  # noqa: E402

TORCH_WROTE = "torch.save of torch 1.13; expectation from torch.load(weights_only=False)"


def every_dtype():
    g = torch.Generator().manual_seed(1)
    r = lambda *s: torch.randn(*s, generator=g)  # noqa: E731
    i = lambda lo, hi, *s, dt: torch.randint(lo, hi, s, generator=g, dtype=dt)  # noqa: E731
    return {"bool": r(2, 3) > 0, "uint8": i(0, 256, 2, 3, dt=torch.uint8),
            "int8": i(-128, 128, 2, 3, dt=torch.int8),
            "int16": i(-2**15, 2**15, 2, 3, dt=torch.int16),
            "int32": i(-2**31, 2**31, 2, 3, dt=torch.int32),
            "int64": i(-2**62, 2**62, 2, 3, dt=torch.int64),
            "float16": r(2, 3).half(), "bfloat16": r(2, 3).bfloat16(), "float32": r(2, 3),
            "float64": r(2, 3).double(), "complex64": torch.complex(r(2, 3), r(2, 3)),
            "complex128": torch.complex(r(2, 3).double(), r(2, 3).double())}


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 8)
        self.conv = nn.Conv2d(3, 4, 3)
        self.norm = nn.LayerNorm(8)
        self.bn = nn.BatchNorm1d(4)  # num_batches_tracked: a 0-d int64
        self.layers = nn.ModuleList([nn.Linear(8, 16), nn.Linear(16, 8, bias=False)])


def views():
    torch.manual_seed(3)
    a, b, c, d, e = (torch.randn(4, 6), torch.randn(8, 5), torch.randn(6, 7), torch.randn(5),
                     torch.randn(10))
    return {"transposed": a.t(),  # a itself is not saved: its storage is
            "every_other_row": b[::2],
            "narrow": c.narrow(1, 2, 3),
            "expand": d.expand(3, 5),  # stride 0
            "whole": e,
            "slice_at_offset": e[3:7],
            "element_0d": e[5],  # 0-d at a storage offset
            "empty_at_end": e[10:],  # no elements, offset == numel
            "scalar_0d": torch.tensor(3.5),
            "empty": torch.empty(0, 3)}


def checkpoint():
    torch.manual_seed(4)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(5, 4)).square().sum().backward()
    opt.step()
    return {"epoch": 7, "lr": 0.1, "name": "run", "state_dict": model.state_dict(),
            "optimizer": opt.state_dict()}


def nested():
    torch.manual_seed(5)
    t = [torch.randn(2, i + 1) for i in range(6)]
    return [t[0], [t[1], t[2]], {"x": t[3], 5: t[4]}, (t[5], 1.5, True)]


def legacy_save(make_obj, path):
    """torch's legacy format of make_obj(), made the same on every run: its
    storage keys are heap addresses (str(storage._cdata)) and its storages
    follow in sorted key order, so the object is made and saved again (the
    earlier ones kept alive, so that the addresses differ) until the keys
    sort in the order the object first names them, and the keys are then
    renumbered "0", "1", ... as the zip format numbers them."""
    import pickle
    import pickletools

    alive = []
    for _ in range(200):
        alive.append(make_obj())
        torch.save(alive[-1], path, _use_new_zipfile_serialization=False)
        with open(path, "rb") as f:
            for _ in range(4):  # magic, protocol, sys_info, the object: skipped
                for _op in pickletools.genops(f):
                    pass
            keys = pickle.load(f)
        raw = open(path, "rb").read()
        first_use = sorted(keys, key=lambda k: raw.index(k.encode()))
        if first_use == sorted(keys) and len(keys) < 10:
            break
    else:
        raise SystemExit("legacy_save: no run gave keys in first-use order")
    for n, k in enumerate(sorted(keys)):  # each BINUNICODE key becomes str(n)
        old, new = k.encode(), str(n).encode()
        assert raw.count(old) >= 2, k
        raw = raw.replace(b"X" + struct.pack("<I", len(old)) + old,
                          b"X" + struct.pack("<I", len(new)) + new)
        assert old not in raw, k
    with open(path, "wb") as f:
        f.write(raw)


def valid_entry(path, how):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = torch.load(path, weights_only=False)
    e = {"valid": True, "how": how}
    e.update(flat.describe(loaded))
    return e


def make(out):
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        if f.endswith(".pt") or f == "MANIFEST.json":
            os.unlink(os.path.join(out, f))
    P = lambda n: os.path.join(out, n)  # noqa: E731
    man = {}

    torch.save(every_dtype(), P("p01_every_dtype.pt"))
    man["p01_every_dtype.pt"] = valid_entry(P("p01_every_dtype.pt"), TORCH_WROTE + (
        "; every dtype torch 1.13 can save (complex32 has no storage class there)"))
    torch.manual_seed(2)
    torch.save(Small().state_dict(), P("p02_module_state_dict.pt"))
    man["p02_module_state_dict.pt"] = valid_entry(P("p02_module_state_dict.pt"), TORCH_WROTE)
    torch.manual_seed(6)
    w = torch.randn(10, 4)
    tied = {"embed.weight": w, "norm.weight": torch.ones(4), "lm_head.weight": w}
    torch.save(tied, P("p03_tied.pt"))
    man["p03_tied.pt"] = valid_entry(P("p03_tied.pt"), TORCH_WROTE + "; one tensor, two names")
    torch.save(views(), P("p04_views.pt"))
    man["p04_views.pt"] = valid_entry(P("p04_views.pt"), TORCH_WROTE + (
        "; each view's whole storage is saved: strided ones are gathered"))
    torch.manual_seed(7)
    params = {"weight": nn.Parameter(torch.randn(3, 4)),
              "frozen": nn.Parameter(torch.zeros(3), requires_grad=False)}
    torch.save(params, P("p05_parameter.pt"))
    man["p05_parameter.pt"] = valid_entry(P("p05_parameter.pt"), TORCH_WROTE + (
        "; nn.Parameter pickles through torch._utils._rebuild_parameter"))
    torch.save(checkpoint(), P("p06_checkpoint.pt"))
    man["p06_checkpoint.pt"] = valid_entry(P("p06_checkpoint.pt"), TORCH_WROTE + (
        "; SGD(momentum=0.9) after one step; optimizer.param_groups.0.foreach is None "
        "(skipped: no value)"))
    torch.save(nested(), P("p07_nested_lists.pt"))
    man["p07_nested_lists.pt"] = valid_entry(P("p07_nested_lists.pt"), TORCH_WROTE + (
        "; a top-level list: names are indices"))
    def legacy_obj():
        torch.manual_seed(8)
        lw = torch.randn(3, 5)
        return {"w": lw, "w_t": lw.t(), "tied": lw, "ids": torch.arange(4), "step": 12}

    legacy_save(legacy_obj, P("p08_legacy.pt"))
    man["p08_legacy.pt"] = valid_entry(P("p08_legacy.pt"), (
        "torch.save(_use_new_zipfile_serialization=False) of torch 1.13, storage keys "
        "renumbered (same length, same order); expectation from torch.load(weights_only=False)"))

    rng = np.random.default_rng(9)
    be = {"w": (rng.standard_normal((3, 4)).astype(np.float32), torch.FloatStorage),
          "ids": (rng.integers(-2**40, 2**40, 5), torch.LongStorage),
          "h": (rng.standard_normal((2, 3)).astype(np.float16), torch.HalfStorage),
          "bf": (rng.integers(-2**15, 2**15, 4).astype(np.int16), torch.BFloat16Storage),
          "c": ((rng.standard_normal(2) + 1j * rng.standard_normal(2)).astype(np.complex64),
                torch.ComplexFloatStorage),
          "mask": (rng.standard_normal(3) > 0, torch.BoolStorage)}
    hand.big_endian_archive(P("h01_big_endian.pt"), be)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = flat.describe(torch.load(P("h01_big_endian.pt"), weights_only=False),
                          byte_swapped=True)
    # The same expectation from the arrays themselves (bf: int16 bit patterns).
    from_numpy = {n: flat.sha256(np.ascontiguousarray(a).tobytes()) for n, (a, _) in be.items()}
    from_numpy["w_t"] = flat.sha256(np.ascontiguousarray(be["w"][0].T).tobytes())
    assert {t["name"]: t["sha256"] for t in e["tensors"]} == from_numpy, e
    man["h01_big_endian.pt"] = {"valid": True, "how": (
        "built by hand (pytorch_reference_hand.big_endian_archive) as torch 2.x writes on a "
        "big-endian machine: archive/byteorder 'big', records of big-endian values, Python's "
        "protocol-2 pickler with torch's persistent ids. Expectation: torch 1.13 loads it "
        "ignoring byteorder, each value (complex: each component) swapped back, checked equal "
        "to the numpy source arrays' little-endian bytes"), **e}

    u16 = rng.integers(0, 2**16, (2, 3)).astype(np.uint16)
    f8 = bytes([0x38, 0xB8, 0x00, 0x7E, 0x7F, 0x01])  # 1, -1, 0, 448, NaN, min subnormal
    hand.rebuild_v3_archive(P("h02_rebuild_v3.pt"), u16, f8)
    man["h02_rebuild_v3.pt"] = {"valid": True, "how": (
        "built by hand (pytorch_reference_hand.rebuild_v3_archive) as torch >= 2.3 writes "
        "dtypes without a typed storage: _rebuild_tensor_v3 over torch.UntypedStorage "
        "(numel = bytes), dtype global torch.uint16 / torch.float8_e4m3fn; records unaligned. "
        "torch 1.13 cannot load it: expectation from the bytes written (u16_col = numpy "
        "u16[:, 1])"),
        "tensors": [
            {"name": "u16", "dtype": "U16", "shape": [2, 3], "sha256": flat.sha256(u16.tobytes())},
            {"name": "u16_col", "dtype": "U16", "shape": [2],
             "sha256": flat.sha256(np.ascontiguousarray(u16[:, 1]).tobytes())},
            {"name": "f8", "dtype": "F8_E4M3", "shape": [len(f8)], "sha256": flat.sha256(f8)}],
        "storage_groups": [["u16", "u16_col"]], "scalars": []}

    base = P("p03_tied.pt")
    folder = hand.members(base)[0][0].split("/")[0]
    invalid = {
        "b01_global_posix_system.pt": (
            lambda n, d: hand.posix_system_pickle() if n.endswith("/data.pkl") else d, (),
            "data.pkl is GLOBAL posix.system + REDUCE ('true'): code, not data"),
        "b02_truncated_data_pkl.pt": (
            lambda n, d: d[: len(d) // 2] if n.endswith("/data.pkl") else d, (),
            "data.pkl cut at half its length (no STOP): a truncated pickle"),
        "b03_record_short.pt": (
            lambda n, d: d[:-4] if n == folder + "/data/0" else d, (),
            "record data/0 is 4 bytes shorter than its storage (10x4 float32)"),
        "b04_deflated_data_pkl.pt": (
            lambda n, d: d, (folder + "/data.pkl",),
            "data.pkl is deflated: torch writes every record stored"),
    }
    for name, (change, deflate, why) in invalid.items():
        hand.rewrite(base, P(name), change, deflate)
        man[name] = {"valid": False, "why": why, "how": "p03_tied.pt's records rewritten by "
                     "pytorch_reference_hand.rewrite (order and alignment kept)"}

    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x):
            return self.lin(x)

    torch.manual_seed(10)
    torch.jit.save(torch.jit.script(Tiny()), P("b05_torchscript.pt"))
    man["b05_torchscript.pt"] = {"valid": False, "why": (
        "a TorchScript archive (torch.jit.save): code and constants.pkl; load it with "
        "torch.jit.load"), "how": "torch.jit.save of a scripted nn.Linear(2, 2) wrapper"}

    with open(P("MANIFEST.json"), "w", encoding="utf-8") as f:
        doc = {"source": "tests/python/make_pytorch_reference.py with torch " + torch.__version__,
               "files": man}
        f.write(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    # torch.jit.save orders a scripted module's constants by string hashes.
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(sys.executable, [sys.executable] + sys.argv,
                  dict(os.environ, PYTHONHASHSEED="0"))
    make(sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "data", "pytorch"))
