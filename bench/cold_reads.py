"""Cold reads. Before every single run: sync, drop the
guest's page cache (echo 3 > /proc/sys/vm/drop_caches). The host's own cache
is not ours to drop, so "cold" here means cold in this VM only.
usage: cold_reads.py BENCH DATA OUT REPEATS"""
import json, os, statistics, subprocess, sys
bench, data, out, reps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def drop():
    subprocess.run(["sync"], check=True)
    open("/proc/sys/vm/drop_caches", "w").write("3\n")
def wop(op, threads):
    drop()
    cmd = [bench, "--threads", str(threads), "--op", op, "--workload", "llm", "--data", data,
           "--out", out, "--runs", "1", "--benchmark_format=json",
           "--benchmark_report_aggregates_only=false"]
    r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return [b["real_time"] / 1000 for b in r["benchmarks"] if b.get("run_type") == "iteration"][0]
def nop():
    drop()
    r = json.loads(subprocess.run(["/usr/bin/python3", os.path.join(os.path.dirname(os.path.abspath(__file__)), "numpy_bench.py"), "load",
                                   "llm", data, out, "1"], check=True, capture_output=True,
                                  text=True).stdout)
    return r["times"][0]
rows = [("load_st_touch", 1), ("load_st_touch", 2), ("load_st_read", 1), ("load_st_read", 2),
        ("load_npz_numpy", 1), ("load_npz_numpy", 2)]
T = {}
for _ in range(reps):
    for op, t in rows:
        T.setdefault((op, t), []).append(wop(op, t))
    T.setdefault(("numpy.load", 0), []).append(nop())
print("| operation (1 GiB, cold) | threads | median s | min s | max s | GB/s (median) |")
print("|---|---|---|---|---|---|")
for (op, t), v in T.items():
    m = statistics.median(v)
    print(f"| {op} | {t or '-'} | {m:.3f} | {min(v):.3f} | {max(v):.3f} | {2**30/m/1e9:.2f} |")
