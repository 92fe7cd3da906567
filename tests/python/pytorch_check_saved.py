"""Loads a checkpoint weightio wrote with Debian's torch 1.13 and reports, as
JSON on stdout, what torch found: the state dict's type and keys, each
tensor's dtype, shape, strides and SHA-256 of its bytes, and how the file
compares with what torch.save writes for the same state dict.

usage: pytorch_check_saved.py FILE [FILE...]
Several files are the shards of one checkpoint: their state dicts are merged
in order. Any warning torch gives while loading is an error (exit 1): a file
torch reads only with a warning is not the format torch writes.
"""
import collections
import hashlib
import io
import json
import struct
import sys
import warnings
import zipfile

import torch


def tensor_facts(t):
    return {
        "dtype": str(t.dtype),
        "shape": list(t.shape),
        "stride": list(t.stride()),
        "storage_offset": t.storage_offset(),
        "requires_grad": t.requires_grad,
        "sha256": hashlib.sha256(t.reshape(-1).view(torch.uint8).numpy().tobytes()).hexdigest(),
    }


def records(raw):
    """Each record's name, bytes and where its data starts in the file."""
    out = []
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        for info in z.infolist():
            o = info.header_offset
            name_len, extra_len = struct.unpack("<HH", raw[o + 26 : o + 30])
            out.append((info.filename, z.read(info), o + 30 + name_len + extra_len))
    return out


def check(path):
    raw = open(path, "rb").read()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        safe = torch.load(path, weights_only=True)
        full = torch.load(path)
    ours = records(raw)
    # What torch writes for the same state dict (to a file object, whose
    # archive folder is "archive/", as ours is).
    buf = io.BytesIO()
    torch.save(safe, buf)
    theirs = records(buf.getvalue())
    report = {
        "type": type(safe).__name__,
        "keys": list(safe.keys()),
        "full_load_same": list(full.keys()) == list(safe.keys())
        and all(tensor_facts(full[k]) == tensor_facts(safe[k]) for k in safe),
        "record_names": [n for n, _, _ in ours],
        "torch_record_names": [n for n, _, _ in theirs],
        "records_same_as_torch": [(n, b) for n, b, _ in ours] == [(n, b) for n, b, _ in theirs],
        "pickle_same_as_torch": ours[0][1] == theirs[0][1] if ours and theirs else False,
        "misaligned_records": [n for n, _, at in ours if at % 64 != 0],
    }
    return safe, report


def main():
    merged = collections.OrderedDict()
    reports = []
    for path in sys.argv[1:]:
        state, report = check(path)
        reports.append(report)
        for k, v in state.items():
            merged[k] = v
    print(json.dumps({
        "files": reports,
        "tensors": [dict(name=k, **tensor_facts(v)) for k, v in merged.items()],
    }))


if __name__ == "__main__":
    main()
