"""What huggingface_hub + transformers write for a sharded save, re-implemented
from their sources (huggingface_hub.serialization._base.
split_state_dict_into_shards_factory and transformers' save_pretrained), to
check weightio against.

  plan SPEC.json OUT.json
      SPEC: {"max_bytes": N, "base": "model", "ext": ".safetensors",
             "tensors": [[name, nbytes], ...]} (insertion order).
      OUT:  {"files": [[file, [names...]], ...], "index": text or null}.
  check DIR BASE EXT MAX_BYTES REF.npz
      REF.npz holds the tensors in insertion order (read by numpy). DIR must
      hold exactly the files huggingface_hub would name, the index bytes
      transformers would write, and in each shard exactly its tensors, in
      order, with the same dtype, shape and bytes.
Prints each problem; exits 1 if there is any."""
import json
import struct
import sys

import numpy as np


def split(items, max_bytes):
    """items: [(name, nbytes)] -> list of shards (lists of names)."""
    shards, cur, cur_size = [], [], 0
    for name, size in items:
        if size > max_bytes:  # its own shard, numbered where it is met
            shards.append([name])
            continue
        if cur_size + size > max_bytes:
            shards.append(cur)
            cur, cur_size = [], 0
        cur.append(name)
        cur_size += size
    if cur:
        shards.append(cur)
    return shards


def expected(items, max_bytes, base, ext):
    shards = split(items, max_bytes)
    total = sum(size for _, size in items)
    if len(shards) <= 1:  # one shard: the plain file, no index
        return [(base + ext, [n for n, _ in items])], None
    n = len(shards)
    files = [(f"{base}-{i + 1:05d}-of-{n:05d}{ext}", names) for i, names in enumerate(shards)]
    weight_map = {name: f for f, names in files for name in names}
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    return files, json.dumps(index, indent=2, sort_keys=True) + "\n"


ST_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4",
             "I16": "<i2", "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1",
             "BOOL": "?"}


def read_safetensors(path):
    """[(name, dtype descr, shape, bytes)] in data order, parsed by hand."""
    b = open(path, "rb").read()
    (hl,) = struct.unpack("<Q", b[:8])
    header = json.loads(b[8:8 + hl])
    header.pop("__metadata__", None)
    data = b[8 + hl:]
    out = []
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        s, e = info["data_offsets"]
        out.append((name, np.dtype(ST_DTYPES[info["dtype"]]), tuple(info["shape"]), data[s:e]))
    return out


def read_npz(path):
    with np.load(path) as f:
        return [(n, f[n].dtype, f[n].shape, np.ascontiguousarray(f[n]).tobytes()) for n in f.files]


def check(d, base, ext, max_bytes, ref):
    import os
    problems = []
    with np.load(ref) as f:
        arrays = [(n, f[n]) for n in f.files]
    items = [(n, a.nbytes) for n, a in arrays]
    by_name = dict(arrays)
    files, index = expected(items, max_bytes, base, ext)
    want = sorted([f for f, _ in files] + ([base + ext + ".index.json"] if index else []))
    got = sorted(os.listdir(d))
    if got != want:
        problems.append(f"files {got} != {want}")
    if index is not None:
        p = os.path.join(d, base + ext + ".index.json")
        if os.path.exists(p):
            text = open(p, "rb").read()
            if text != index.encode("ascii"):
                problems.append(f"index bytes differ:\n{text!r}\n!=\n{index.encode('ascii')!r}")
    for f, names in files:
        p = os.path.join(d, f)
        if not os.path.exists(p):
            continue
        content = read_safetensors(p) if ext == ".safetensors" else read_npz(p)
        got_names = [c[0] for c in content]
        # The safetensors library orders data by dtype alignment, then name.
        if ext == ".safetensors":
            got_names, names = sorted(got_names), sorted(names)
        if got_names != names:
            problems.append(f"{f}: tensors {got_names} != {names}")
            continue
        for name, dtype, shape, raw in content:
            a = by_name[name]
            if a.shape != shape or raw != np.ascontiguousarray(a).tobytes():
                problems.append(f"{f}: tensor {name!r} differs from the reference")
            if ext != ".safetensors" and a.dtype != dtype:
                problems.append(f"{f}: tensor {name!r} dtype {dtype} != {a.dtype}")
    return problems


def main():
    if sys.argv[1] == "plan":
        spec = json.load(open(sys.argv[2], encoding="utf-8"))
        files, index = expected([(n, s) for n, s in spec["tensors"]], spec["max_bytes"],
                                spec["base"], spec["ext"])
        with open(sys.argv[3], "w", encoding="utf-8") as fh:
            json.dump({"files": files, "index": index}, fh)
        return 0
    problems = check(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6])
    for p in problems:
        print(p)
    print(f"{len(problems)} problems")
    return 1 if problems else 0


sys.exit(main())
