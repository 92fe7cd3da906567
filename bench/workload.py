"""Benchmark workloads, generated once with a fixed seed and shared by the
weightio and numpy sides so that both save the very same bytes.

Each workload is two files: NAME.bin (the tensors' bytes, concatenated, each
64-byte aligned) and NAME.json ([{"name", "shape", "offset", "nbytes"}]).
All tensors are float32 drawn from a standard normal distribution.
"""
import json
import os

import numpy as np


def llm_shapes(scale=1):
    """~1 GiB of float32 in ~220 tensors shaped like a small Llama/Qwen."""
    hidden, inter, layers, vocab = 1024, 2816, 18, 16000
    shapes = [("model.embed_tokens.weight", (vocab * scale, hidden))]
    for i in range(layers):
        p = f"model.layers.{i}."
        shapes += [
            (p + "input_layernorm.weight", (hidden,)),
            (p + "self_attn.q_proj.weight", (hidden * scale, hidden)),
            (p + "self_attn.q_proj.bias", (hidden,)),
            (p + "self_attn.k_proj.weight", (hidden * scale, hidden)),
            (p + "self_attn.k_proj.bias", (hidden,)),
            (p + "self_attn.v_proj.weight", (hidden * scale, hidden)),
            (p + "self_attn.v_proj.bias", (hidden,)),
            (p + "self_attn.o_proj.weight", (hidden * scale, hidden)),
            (p + "post_attention_layernorm.weight", (hidden,)),
            (p + "mlp.gate_proj.weight", (inter * scale, hidden)),
            (p + "mlp.up_proj.weight", (inter * scale, hidden)),
            (p + "mlp.down_proj.weight", (hidden * scale, inter)),
        ]
    shapes += [("model.norm.weight", (hidden,)), ("lm_head.weight", (vocab * scale, hidden))]
    return shapes


def small_shapes(rng):
    """20,000 tensors of 64-4096 floats."""
    sizes = rng.integers(64, 4097, size=20000)
    return [(f"p.{i:05d}", (int(n),)) for i, n in enumerate(sizes)]


def subset(shapes, limit_bytes):
    """The leading tensors of `shapes` that fit in `limit_bytes`."""
    out, total = [], 0
    for name, shape in shapes:
        n = int(np.prod(shape)) * 4
        if total + n > limit_bytes:
            continue
        out.append((name, shape))
        total += n
    return out


def write(folder, name, shapes, rng, fill=True):
    entries, offset = [], 0
    for tname, shape in shapes:
        nbytes = int(np.prod(shape)) * 4
        entries.append({"name": tname, "shape": list(shape), "offset": offset, "nbytes": nbytes})
        offset += (nbytes + 63) // 64 * 64
    path = os.path.join(folder, name + ".bin")
    with open(path, "wb") as f:
        for e in entries:
            n = e["nbytes"] // 4
            # Generated in chunks to keep the generator's memory small.
            f.seek(e["offset"])
            done = 0
            while done < n:
                k = min(n - done, 1 << 24)
                if fill:
                    f.write(rng.standard_normal(k, dtype=np.float32).tobytes())
                else:
                    f.write(bytes(4 * k))
                done += k
        f.truncate(offset)
    with open(os.path.join(folder, name + ".json"), "w") as f:
        json.dump(entries, f)
    return entries


def make_all(folder, seed=1234):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    llm = llm_shapes()
    made = {}
    for name, shapes, fill in [
        ("llm", llm, True),
        ("small", small_shapes(rng), True),
        ("llm256", subset(llm, 256 << 20), True),
        # Same tensor count, 4x the bytes: only its open cost is measured.
        ("llm4x", llm_shapes(scale=4), False),
    ]:
        if not os.path.exists(os.path.join(folder, name + ".json")):
            write(folder, name, shapes, rng, fill)
        made[name] = json.load(open(os.path.join(folder, name + ".json")))
    return made


def load_arrays(folder, name):
    """The workload as a dict of numpy arrays (views into one read buffer)."""
    entries = json.load(open(os.path.join(folder, name + ".json")))
    blob = np.fromfile(os.path.join(folder, name + ".bin"), dtype=np.uint8)
    arrays = {}
    for e in entries:
        a = blob[e["offset"] : e["offset"] + e["nbytes"]].view(np.float32)
        arrays[e["name"]] = a.reshape(e["shape"])
    return arrays
