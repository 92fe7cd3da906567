#!/usr/bin/env python3
"""Checks core/src's include graph against its layers (docs/DESIGN-NOTES.md,
"Core layout"): a file may include files of its own folder or of a lower
layer, never of a higher one, and no includes form a cycle. Prints the graph
between folders with --graph. Exit status 1 names every offending include."""
import os, re, sys

LAYERS = ["support", "memory", "model", "io", "registry", "host", "checkpoint", "api"]

def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "core", "src")
    root = os.path.normpath(root)
    edges, bad = {}, []
    files = {}
    for d, _, names in os.walk(root):
        for n in names:
            if n.endswith((".cpp", ".hpp", ".in")):
                rel = os.path.relpath(os.path.join(d, n), root)
                files[rel] = [m.group(1) for m in
                              re.finditer(r'^#include "([^"]+)"', open(os.path.join(d, n)).read(), re.M)]
    for rel, incs in sorted(files.items()):
        top = rel.split(os.sep)[0]
        if top not in LAYERS:
            bad.append(f"{rel}: folder '{top}' is not a layer (one of {', '.join(LAYERS)})")
            continue
        for inc in incs:
            if inc not in files:
                bad.append(f"{rel}: includes \"{inc}\", not a path under core/src")
                continue
            other = inc.split("/")[0]
            edges.setdefault((top, other), 0)
            edges[(top, other)] += 1
            if LAYERS.index(other) > LAYERS.index(top):
                bad.append(f"{rel}: includes \"{inc}\" from the higher layer '{other}'")
    # cycles between files
    state = {}
    def visit(f, stack):
        state[f] = 1
        for inc in files.get(f, []):
            if inc not in files:
                continue
            if state.get(inc) == 1:
                bad.append("include cycle: " + " -> ".join(stack[stack.index(inc):] + [inc]))
            elif inc not in state:
                visit(inc, stack + [inc])
        state[f] = 2
    for f in sorted(files):
        if f not in state:
            visit(f, [f])
    if "--graph" in sys.argv:
        for (a, b), n in sorted(edges.items(), key=lambda e: (LAYERS.index(e[0][0]), LAYERS.index(e[0][1]))):
            if a != b:
                print(f"{a} -> {b}: {n}")
    for b in bad:
        print(b, file=sys.stderr)
    return 1 if bad else 0

sys.exit(main())
