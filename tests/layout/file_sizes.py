#!/usr/bin/env python3
"""No source or header in core/, plugins/, sdk/ or tools/ is over 500 lines
(one job per file), but for the C ABI header and generated tables, named
here. Exit status 1 lists every file over."""
import os, sys

LIMIT = 500
EXEMPT = {
    "sdk/include/weightio/plugin_abi.h",  # the C ABI itself, one header by design
    "plugins/gguf/ggml/grids.cpp",  # ggml's lookup tables, generated
}

root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
over = []
for top in ("core", "plugins", "sdk", "tools"):
    for d, _, names in os.walk(os.path.join(root, top)):
        for n in names:
            if not n.endswith((".c", ".cpp", ".h", ".hpp")):
                continue
            path = os.path.join(d, n)
            rel = os.path.relpath(path, root)
            with open(path, "rb") as f:
                lines = f.read().count(b"\n")
            if lines > LIMIT and rel not in EXEMPT:
                over.append(f"{rel}: {lines} lines, over {LIMIT}")
for o in over:
    print(o, file=sys.stderr)
sys.exit(1 if over else 0)
