"""The scaling rows: weightio's CLI on headers of very
many entries, time and peak memory per run.

usage: scaling_bench.py --cli BUILD/bin/weightio --data DIR [--runs 5]

Each command runs RUNS times in its own process; the table gives the median
wall time, the median CPU time (user + system: less moved by other work on
the machine than wall time) and the largest peak RSS (wait4's ru_maxrss,
the child's VmHWM, which counts the mapped file's pages it touched).
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import scaling_workload  # noqa: E402


def measure(cmd, runs):
    walls, cpus, peaks = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        pid = os.posix_spawn(cmd[0], cmd, os.environ,
                             file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                                           (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
        _, status, ru = os.wait4(pid, 0)
        walls.append(time.perf_counter() - t0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(cmd)} failed with status {status}")
        cpus.append(ru.ru_utime + ru.ru_stime)
        peaks.append(ru.ru_maxrss)
    return statistics.median(walls), statistics.median(cpus), max(peaks)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    print("generating scaling workloads ...", file=sys.stderr)
    files = scaling_workload.make_all(args.data)
    out = os.path.join(args.data, "out")
    os.makedirs(out, exist_ok=True)
    cli = os.path.abspath(args.cli)
    rows = []
    base = measure([cli, "inspect", files["empty.safetensors"]], args.runs)
    for what, cmd, name, target in [
        ("inspect --json, 300k metadata", ["inspect", "--json"], "meta300k.safetensors", "< 1 s"),
        ("inspect, 300k metadata", ["inspect"], "meta300k.safetensors", None),
        ("inspect, 1M tensors", ["inspect"], "tensors1m.safetensors", "<= 4x file"),
        ("inspect --json, 1M tensors", ["inspect", "--json"], "tensors1m.safetensors",
         "<= 4x file"),
        ("convert .safetensors -> .safetensors, 1M tensors",
         ["convert", "--force"], "tensors1m.safetensors", "<= 4x file"),
        ("convert .safetensors -> .npz, 1M tensors", ["convert", "--force"],
         "tensors1m.safetensors", None),
        ("inspect --json, GGUF 300k metadata", ["inspect", "--json"], "meta300k.gguf", None),
        ("inspect --json, GGUF 200k tensors", ["inspect", "--json"], "tensors200k.gguf", None),
    ]:
        src = files[name]
        full = [cli] + cmd[:1] + [src] + cmd[1:]
        if cmd[0] == "convert":
            ext = ".npz" if "npz" in what else ".safetensors"
            full = [cli, "convert", src, os.path.join(out, "converted" + ext), "--force"]
        print(f"{what} ...", file=sys.stderr)
        wall, cpu, peak = measure(full, args.runs)
        size = os.path.getsize(src)
        rows.append((what, f"{size / 1e6:.1f}", f"{wall * 1000:.0f}", f"{cpu * 1000:.0f}",
                     f"{peak / 1024:.0f}", f"{peak * 1024 / size:.2f}x", target or "-"))
    print(f"medians of {args.runs} runs; peak RSS includes the binary and its libraries "
          f"({base[2] / 1024:.0f} MiB for inspecting an empty file) and the mapped file's "
          "touched pages\n")
    head = ("operation", "file MB", "wall ms", "cpu ms", "peak RSS MiB", "peak / file", "target")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
