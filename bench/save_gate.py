"""The save gate: save medians of two builds (e.g. main at 7e9ffc7, before, and now,
after), interleaved in one run, with numpy.savez and a plain write() as
references. Usage: save_gate.py BEFORE_BENCH AFTER_BENCH DATA OUT RUNS ROUNDS"""
import json, statistics, subprocess, sys, os
before, after, data, out, runs, rounds = sys.argv[1:7]
runs, rounds = int(runs), int(rounds)
PY = "/usr/bin/python3"
NB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "numpy_bench.py")
def wop(bench, op, name):
    subprocess.run(["sync"])
    cmd = [bench, "--op", op, "--workload", name, "--data", data, "--out", out,
           "--runs", str(runs), "--benchmark_format=json", "--benchmark_report_aggregates_only=false"]
    r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return [b["real_time"] / 1000 for b in r["benchmarks"] if b.get("run_type") == "iteration"]
def nop(op, name):
    subprocess.run(["sync"])
    r = json.loads(subprocess.run([PY, NB, op, name, data, out, str(runs)], check=True,
                                  capture_output=True, text=True).stdout)
    return r["times"]
T = {}
rows = [("save_st", "llm"), ("save_npz", "llm"), ("save_npz", "small"), ("raw_write", "llm")]
for rnd in range(rounds):
    for op, name in rows:
        for tag, b in (("before", before), ("after", after)):
            T.setdefault((tag, op, name), []).extend(wop(b, op, name))
    for name in ("llm", "small"):
        T.setdefault(("numpy", "savez", name), []).extend(nop("savez", name))
    print(f"round {rnd+1} done", file=sys.stderr)
med = {k: statistics.median(v) for k, v in T.items()}
print("| operation | before ms (min) | after ms (min) | after/before | numpy.savez / before | numpy.savez / after |")
print("|---|---|---|---|---|---|")
for op, name in rows:
    b, a = med[("before", op, name)], med[("after", op, name)]
    ref = med.get(("numpy", "savez", name))
    r1 = f"{ref/b:.2f}x" if ref and op != "raw_write" else "-"
    r2 = f"{ref/a:.2f}x" if ref and op != "raw_write" else "-"
    print(f"| {op} {name} | {b*1000:.1f} ({min(T[('before',op,name)])*1000:.1f}) | {a*1000:.1f} ({min(T[('after',op,name)])*1000:.1f}) | {a/b:.2f} | {r1} | {r2} |")
for name in ("llm", "small"):
    print(f"numpy.savez {name}: median {med[('numpy','savez',name)]*1000:.1f} ms")
