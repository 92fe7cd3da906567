#!/usr/bin/python3
"""Writes tests/data/vectors/<format>/vectors.json: the project's reference
files (tests/data/npz, safetensors, gguf, copied from ../shared/conformance,
and tests/data/pytorch, made by make_pytorch_reference.py)
with their expectations turned into the format-neutral schema of
docs/CONFORMANCE.md ("weightio-conformance-vectors/1"), for
`weightio conformance --vectors`.

Every expectation comes from the reference files' own manifests (numpy,
the official safetensors crate, gguf-py, torch 1.13); where weightio hands out
little-endian bytes of a big-endian file, the hash is of the values
byte-swapped by numpy, after checking the stored bytes against the
manifest's hash.

Usage: make_conformance_vectors.py [DATA_DIR]   (default: tests/data)
"""
import hashlib
import json
import os
import sys

import numpy as np

SCHEMA = "weightio-conformance-vectors/1"

NPY_TYPES = {"b1": "BOOL", "u1": "U8", "i1": "I8", "u2": "U16", "i2": "I16",
             "u4": "U32", "i4": "I32", "u8": "U64", "i8": "I64", "f2": "F16",
             "f4": "F32", "f8": "F64", "c8": "C64", "c16": "C128"}
GGML_PLAIN = {"F32": "f4", "F16": "f2", "F64": "f8", "I8": "i1", "I16": "i2",
              "I32": "i4", "I64": "i8", "BF16": None}


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def npz_vectors(data):
    folder = os.path.join(data, "npz")
    out = []
    with open(os.path.join(folder, "MANIFEST.tsv"), encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(header, line.rstrip("\n").split("\t")))
            v = {"file": "../../npz/" + row["file"], "valid": row["valid"] == "valid"}
            if not v["valid"]:
                v["why"] = row["note"]
                out.append(v)
                continue
            arrays = np.load(os.path.join(folder, row["file"]), allow_pickle=False)
            tensors = []
            for e in json.loads(row["expected"]):
                descr = e["descr"]
                sha = e["sha256_c_order"]
                if descr[0] == ">":
                    # The manifest hashes the big-endian bytes numpy holds;
                    # weightio hands out little-endian values.
                    a = np.ascontiguousarray(arrays[e["name"]])
                    assert sha256(a.tobytes()) == sha, (row["file"], e["name"])
                    sha = sha256(a.astype(a.dtype.newbyteorder("<")).tobytes())
                tensors.append({"name": e["name"], "type": NPY_TYPES[descr[1:]],
                                "shape": e["shape"], "sha256": sha})
            v["tensors"] = tensors
            v["metadata"] = []
            out.append(v)
    return out


def safetensors_vectors(data):
    folder = os.path.join(data, "safetensors")
    out = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".expected.jsonl"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            lines = [json.loads(l) for l in f if l.strip()]
        file = name[: -len(".expected.jsonl")] + ".safetensors"
        v = {"file": "../../safetensors/" + file, "valid": lines[0]["valid"]}
        if not v["valid"]:
            v["why"] = lines[0]["error_kind"] + ": " + lines[0]["error"]
            out.append(v)
            continue
        # The official reader keeps __metadata__ in a hash map: no order.
        v["tensors"] = [{"name": t["name"], "type": t["dtype"], "shape": t["shape"],
                         "sha256": t["sha256"]} for t in lines[1:]]
        v["metadata_order"] = "any"
        v["metadata"] = [{"key": k, "type": "STRING", "value": s}
                         for k, s in (lines[0]["metadata"] or {}).items()]
        out.append(v)
    return out


def gguf_vectors(data):
    folder = os.path.join(data, "gguf")
    out = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".expected.json"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            e = json.load(f)
        v = {"file": "../../gguf/" + e["file"], "valid": e["valid"]}
        if not v["valid"]:
            v["why"] = e["why"]
            out.append(v)
            continue
        with open(os.path.join(folder, e["file"]), "rb") as f:
            raw = f.read()
        tensors = []
        for t in e["tensors"]:
            ggml = t["ggml_type"]["name"]
            sha = t["sha256"]
            start = e["tensor_data_offset"] + t["offset"]
            stored = raw[start:start + t["nbytes"]]
            assert sha256(stored) == sha, (e["file"], t["name"])
            if e["byte_order"] == "big":
                assert GGML_PLAIN.get(ggml), (e["file"], ggml)
                a = np.frombuffer(stored, dtype=">" + GGML_PLAIN[ggml])
                sha = sha256(a.astype("<" + GGML_PLAIN[ggml]).tobytes())
            tensors.append({"name": t["name"],
                            "type": ggml if ggml in GGML_PLAIN else "ggml." + ggml,
                            "shape": t["shape"], "sha256": sha})
        v["tensors"] = tensors
        v["metadata"] = e["metadata"]
        out.append(v)
    return out


# make_pytorch_reference.py's scalar types, in GGUF's spelling (the schema's).
PT_SCALARS = {"I64": "INT64", "F64": "FLOAT64", "STRING": "STRING", "BOOL": "BOOL"}


def pytorch_vectors(data):
    """From tests/data/pytorch/MANIFEST.json (make_pytorch_reference.py): the
    tensors as torch.load gives them, in the order of MLX's tree walk, and
    the scalar leaves as typed metadata in the same walk's order."""
    folder = os.path.join(data, "pytorch")
    with open(os.path.join(folder, "MANIFEST.json"), encoding="utf-8") as f:
        files = json.load(f)["files"]
    out = []
    for file in sorted(files):
        e = files[file]
        v = {"file": "../../pytorch/" + file, "valid": e["valid"]}
        if not v["valid"]:
            v["why"] = e["why"]
            out.append(v)
            continue
        v["metadata"] = [{"key": s["name"], "type": PT_SCALARS[s["type"]], "value": s["value"]}
                         for s in e["scalars"]]
        v["tensors"] = [{"name": t["name"], "type": t["dtype"], "shape": t["shape"],
                         "sha256": t["sha256"]} for t in e["tensors"]]
        out.append(v)
    return out


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "data")
    for fmt, make in (("npz", npz_vectors), ("safetensors", safetensors_vectors),
                      ("gguf", gguf_vectors), ("pytorch", pytorch_vectors)):
        folder = os.path.join(data, "vectors", fmt)
        os.makedirs(folder, exist_ok=True)
        doc = {"schema": SCHEMA, "format": fmt,
               "source": "tests/python/make_conformance_vectors.py from tests/data/" + fmt,
               "vectors": make(data)}
        with open(os.path.join(folder, "vectors.json"), "w", encoding="utf-8") as f:
            f.write(dumps(doc))


def dumps(doc):
    """JSON with one vector's fields, and each of its tensors, per line."""
    one = lambda x: json.dumps(x, ensure_ascii=False)
    vectors = []
    for v in doc["vectors"]:
        head = ", ".join(one(k) + ": " + one(x) for k, x in v.items() if k != "tensors")
        if "tensors" not in v:
            vectors.append("  {" + head + "}")
            continue
        tensors = ",\n".join("   " + one(t) for t in v["tensors"])
        vectors.append("  {" + head + ", \"tensors\": [\n" + tensors + "]}")
    top = ",\n".join(" " + one(k) + ": " + one(x) for k, x in doc.items() if k != "vectors")
    return "{\n" + top + ",\n \"vectors\": [\n" + ",\n".join(vectors) + "\n ]\n}\n"


if __name__ == "__main__":
    main()
