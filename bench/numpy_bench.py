"""The numpy side of the benchmark: one operation per process, so that its
peak resident memory is its own. Prints one JSON object.

usage: numpy_bench.py OP WORKLOAD DATA_DIR OUT_DIR RUNS
OP: savez | savez_compressed | load (numpy's own file) | load_weightio |
    load_compressed (numpy's savez_compressed file)
RUNS "peak": one run without warming, for its peak RSS only.
"""
import json
import os
import re
import sys
import threading
import time

import numpy as np

import workload


def warm_one(scratch, nbytes, cpu):
    # Linux applies sched_setaffinity(0) to the calling thread only.
    os.sched_setaffinity(0, {cpu})
    block = np.ones(64 << 20, dtype=np.uint8)
    with open(scratch, "wb") as f:
        done = 0
        while done < nbytes:
            n = min(len(block), nbytes - done)
            f.write(block[:n].data)
            done += n
    os.unlink(scratch)


def warm(out_dir, nbytes):
    # As bench_main.cpp's warm_memory(): on every CPU this process may run on,
    # a thread pinned to it writes and unlinks a scratch file of the working
    # set's size, so that the timed run gets just-freed pages wherever it runs
    # rather than ones this VM has handed back to the host (file writes
    # release the GIL, so the threads run at once).
    cpus = sorted(os.sched_getaffinity(0))
    avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGESIZE")
    each = min(nbytes, avail // 2 // len(cpus))
    errors = []

    def run(cpu):
        try:
            warm_one(os.path.join(out_dir, f"warm.{cpu}.scratch"), each, cpu)
        except Exception as e:  # re-raised on the calling thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(c,)) for c in cpus]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def status_kb(field):
    return int(re.search(field + r":\s+(\d+)", open("/proc/self/status").read()).group(1))


def reset_peak_rss():
    # As bench_main.cpp: the peak restarts at the current RSS (Linux >= 4.0).
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def start_clean(output):
    # As bench_main.cpp: no old file to truncate inside the timing, and no
    # dirty pages of the previous run being written back meanwhile.
    if output and os.path.exists(output):
        os.unlink(output)
    os.sync()


def main():
    op, name, data_dir, out_dir, runs = sys.argv[1:6]
    peak_only = runs == "peak"
    runs = 1 if peak_only else int(runs)
    arrays = workload.load_arrays(data_dir, name)
    params_bytes = sum(a.nbytes for a in arrays.values())
    times = []
    path = os.path.join(out_dir, f"{name}.numpy.npz")
    if op == "savez_compressed":
        path = os.path.join(out_dir, f"{name}.numpy-compressed.npz")
    saves = op in ("savez", "savez_compressed")
    if peak_only:
        start_clean(path if saves else None)
        reset_peak_rss()
    base_rss = status_kb("VmRSS")
    for _ in range(runs):
        if not peak_only:
            start_clean(path if saves else None)
            warm(out_dir, min(params_bytes, 1 << 30))
        if op in ("savez", "savez_compressed"):
            fn = np.savez if op == "savez" else np.savez_compressed
            t0 = time.perf_counter()
            fn(path, **arrays)
            times.append(time.perf_counter() - t0)
        elif op in ("load", "load_weightio", "load_compressed"):
            src = {"load": path,
                   "load_weightio": os.path.join(out_dir, f"{name}.weightio.npz"),
                   "load_compressed": os.path.join(out_dir, f"{name}.numpy-compressed.npz")}[op]
            t0 = time.perf_counter()
            with np.load(src) as f:
                loaded = [f[k] for k in f.files]
            times.append(time.perf_counter() - t0)
            del loaded
        else:
            raise SystemExit(f"unknown op {op}")
    peak = status_kb("VmHWM")
    out = {
        "side": "numpy",
        "op": op,
        "workload": name,
        "times": times,
        "params_bytes": params_bytes,
        "peak_over_base_kb": peak - base_rss,
    }
    if op.startswith("savez"):
        out["file_bytes"] = os.path.getsize(path)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
