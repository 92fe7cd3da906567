"""Before/after gate: medians of two builds' weightio_bench, interleaved in one
run (before, after, before, after, ... per row and round), with numpy as the
reference in the same run. Every process starts after `sync`.

usage: gate.py BEFORE_BENCH AFTER_BENCH DATA OUT RUNS ROUNDS [ROWS]
ROWS: comma-separated op:workload pairs of weightio_bench (default: the save
rows). Each row whose workload numpy has a counterpart for (savez for saves,
load for loads of llm) gets the numpy ratio."""
import json, os, statistics, subprocess, sys

PY = "/usr/bin/python3"
NB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "numpy_bench.py")
SAVE_ROWS = "save_st:llm,save_npz:llm,save_npz:small,raw_write:llm"
# Which numpy operation a weightio operation is compared with.
NUMPY_REF = {"save_npz": "savez", "save_st": "savez", "save_gguf": "savez",
             "load_npz": "load", "load_st_touch": "load", "load_npz_numpy": "load"}


def wop(bench, op, name, data, out, runs):
    subprocess.run(["sync"])
    cmd = [bench, "--op", op, "--workload", name, "--data", data, "--out", out, "--runs", str(runs),
           "--benchmark_format=json", "--benchmark_report_aggregates_only=false"]
    r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return [b["real_time"] / 1000 for b in r["benchmarks"] if b.get("run_type") == "iteration"]


def nop(op, name, data, out, runs):
    subprocess.run(["sync"])
    r = json.loads(subprocess.run([PY, NB, op, name, data, out, str(runs)], check=True,
                                  capture_output=True, text=True).stdout)
    return r["times"]


def main():
    before, after, data, out, runs, rounds = sys.argv[1:7]
    runs, rounds = int(runs), int(rounds)
    rows = [tuple(r.split(":")) for r in (sys.argv[7] if len(sys.argv) > 7 else SAVE_ROWS).split(",")]
    # savez first: numpy.load reads the file numpy.savez wrote.
    refs = sorted({(NUMPY_REF[op], name) for op, name in rows
                   if op in NUMPY_REF and (NUMPY_REF[op] == "savez" or name == "llm")},
                  key=lambda r: (r[0] != "savez", r))
    T = {}
    for rnd in range(rounds):
        for op, name in rows:
            for tag, b in (("before", before), ("after", after)):
                T.setdefault((tag, op, name), []).extend(wop(b, op, name, data, out, runs))
        for op, name in refs:
            T.setdefault(("numpy", op, name), []).extend(nop(op, name, data, out, runs))
        print(f"round {rnd + 1} done", file=sys.stderr)
    med = {k: statistics.median(v) for k, v in T.items()}
    print("| operation | before ms median (min-max) | after ms median (min-max) | after / before "
          "| numpy / before | numpy / after |")
    print("|---|---|---|---|---|---|")
    for op, name in rows:
        b, a = med[("before", op, name)], med[("after", op, name)]
        tb, ta = T[("before", op, name)], T[("after", op, name)]
        ref = med.get(("numpy", NUMPY_REF.get(op, ""), name))
        r1 = f"{ref / b:.2f}x" if ref else "-"
        r2 = f"{ref / a:.2f}x" if ref else "-"
        print(f"| {op} {name} | {b * 1000:.1f} ({min(tb) * 1000:.1f}-{max(tb) * 1000:.1f}) "
              f"| {a * 1000:.1f} ({min(ta) * 1000:.1f}-{max(ta) * 1000:.1f}) | {a / b:.2f} | {r1} | {r2} |")
    for op, name in refs:
        v = T[("numpy", op, name)]
        print(f"numpy.{op} {name}: median {med[('numpy', op, name)] * 1000:.1f} ms "
              f"({min(v) * 1000:.1f}-{max(v) * 1000:.1f})")


if __name__ == "__main__":
    main()
