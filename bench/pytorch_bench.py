"""PyTorch checkpoints: weightio against torch 1.13 and against its own
safetensors path, in one run, interleaved (every row once per round, N
rounds), every timed process started after `sync` with no old output file.

usage: /usr/bin/python3 bench/pytorch_bench.py --build BUILD --data DIR --out DIR
                        [--workload llm] [--runs 5]
  BUILD: a build with -DWEIGHTIO_BUILD_BENCH=ON (BUILD/bin/weightio,
  BUILD/bin/weightio_bench). --workload tiny makes a 4 MiB workload in DIR
  (to check the script end to end; its times mean nothing).

Inputs, made untimed at the start: OUT/NAME.torch.bin, torch.save of the
workload's arrays as a state dict (each tensor its own storage, as a
model's state_dict is), and OUT/NAME.torch-twin.safetensors, the same
tensors as safetensors.

Rows (min / median / max of the rounds):
  a. describe: weightio_bench --op load_pt_describe (load_weights with
     describe_only, timed inside the process; goal < 10 ms), and
     `weightio inspect FILE --json` as a whole process (for information).
  b. load + touch every byte: weightio_bench --op load_pt_touch against
     torch.load(FILE, weights_only=True) + a sum of every tensor's bytes,
     timed inside /usr/bin/python3 (goal: torch / weightio >= 3).
  c. `weightio convert NAME.torch.bin X.safetensors` against `weightio
     convert NAME.torch-twin.safetensors X.safetensors` (whole processes;
     goal: pt / safetensors <= 1.1).
  d. peak anonymous memory of the zip-format load, untimed (weightio_bench
     --peak; see peak_rows() for the method; goal <= 64 MiB + gathered).

The VM's free page reporting is switched off for the run (11 written to
/sys/module/page_reporting/parameters/page_reporting_order, as
docs/PERFORMANCE.md's runs do) and the value found is written back after,
in a finally clause.
"""
import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gate  # noqa: E402
import numpy_bench  # noqa: E402
import run_bench  # noqa: E402
import workload  # noqa: E402

PY = "/usr/bin/python3"
REPORTING = "/sys/module/page_reporting/parameters/page_reporting_order"
# Rows that read the torch.save file through weightio.
READER_ROWS = {"describe_api", "inspect_cli", "load_touch_weightio", "convert_pt", "peak"}


def tiny_workload(data):
    if not os.path.exists(os.path.join(data, "tiny.json")):
        import numpy as np
        shapes = [(f"model.layers.{i}.weight", (256, 256)) for i in range(16)]
        workload.write(data, "tiny", shapes, np.random.default_rng(1))


def make_inputs(data, name, out):
    """torch.save's state dict and its safetensors twin; returns (paths, bytes)."""
    import numpy as np
    import torch

    arrays = workload.load_arrays(data, name)
    pt = os.path.join(out, f"{name}.torch.bin")
    st = os.path.join(out, f"{name}.torch-twin.safetensors")
    for p in (pt, st):
        if os.path.exists(p):
            os.unlink(p)
    # Copies: views of the workload's one buffer would be saved as one storage.
    sd = collections.OrderedDict((k, torch.from_numpy(np.array(a))) for k, a in arrays.items())
    torch.save(sd, pt)
    del sd
    header, offset = {}, 0
    for k, a in arrays.items():
        header[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(st, "wb") as f:
        f.write(len(h).to_bytes(8, "little") + h)
        for a in arrays.values():
            f.write(np.ascontiguousarray(a).data)
    os.sync()
    return pt, st, sum(a.nbytes for a in arrays.values()), len(arrays)


def process_seconds(cmd, output=None, warm_bytes=0, out_dir=None):
    """Wall time of one process, started after `sync` with no old output."""
    if output and os.path.exists(output):
        os.unlink(output)
    if warm_bytes:  # as numpy_bench.py does before its own timed runs
        numpy_bench.warm(out_dir, warm_bytes)
    subprocess.run(["sync"], check=True)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
    return dt


def bench_seconds(args, op):
    try:
        return gate.wop(args.weightio_bench, op, args.workload, args.data, args.out, 1)[0]
    except subprocess.CalledProcessError as e:
        raise SystemExit(f"weightio_bench --op {op} failed ({e.returncode}):\n{e.stderr}")


def reader_missing(args):
    """Why this build cannot read the torch.save file, or None when it can
    (an untimed `weightio inspect`)."""
    r = subprocess.run([args.weightio, "inspect", args.pt], capture_output=True, text=True)
    return None if r.returncode == 0 else (r.stderr.strip() or f"exit {r.returncode}")


def torch_load_child(path, out_dir, warm_bytes):
    """One timed torch.load + touch, in this process (run as a child)."""
    import torch

    numpy_bench.warm(out_dir, warm_bytes)
    t0 = time.perf_counter()
    sd = torch.load(path, weights_only=True)
    acc = 0
    for t in sd.values():
        acc += int(t.reshape(-1).view(torch.uint8).sum())
    dt = time.perf_counter() - t0
    print(json.dumps({"seconds": dt, "touched": acc}))


def torch_seconds(args):
    subprocess.run(["sync"], check=True)
    r = subprocess.run([PY, os.path.abspath(__file__), "torch-load", args.pt, args.out,
                        str(args.warm)], check=True, capture_output=True, text=True)
    return json.loads(r.stdout)["seconds"]


def peak_rows(args):
    """Peak anonymous memory of the zip-format load, in MiB, two ways.
    weightio_bench --peak resets VmHWM (clear_refs 5) after its setup and
    reports VmHWM - VmRSS before the load. VmHWM counts file-backed pages
    too: the load + touch maps the whole file and has every page of it
    resident at its end (before the mapping is released), so its anonymous
    peak is at most the growth minus the file's size, if that peak falls
    while the file is resident. The pickle is parsed before any record is
    touched, so the describe-only load's whole growth (anonymous plus the
    few file pages of data.pkl and the directory) bounds that phase."""
    out = {}
    for op in ("load_pt_touch", "load_pt_describe"):
        cmd = [args.weightio_bench, "--op", op, "--workload", args.workload, "--data", args.data,
               "--out", args.out, "--runs", "1", "--peak"]
        subprocess.run(["sync"], check=True)
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stderr}")
        p = json.loads(r.stdout)
        out[op] = (p["peak_over_base_kb"] - p["mapped_kb"]) / 1024
    return out


def rows(args):
    """Each row: (key, function giving seconds). The order of one round."""
    cli, pt, st = args.weightio, args.pt, args.st
    conv = os.path.join(args.out, f"{args.workload}.converted.safetensors")
    return [
        ("describe_api", lambda: bench_seconds(args, "load_pt_describe")),
        ("inspect_cli", lambda: process_seconds([cli, "inspect", pt, "--json"])),
        ("load_touch_weightio", lambda: bench_seconds(args, "load_pt_touch")),
        ("load_touch_torch", lambda: torch_seconds(args)),
        ("convert_pt", lambda: process_seconds([cli, "convert", pt, conv], conv, args.warm,
                                               args.out)),
        ("convert_st", lambda: process_seconds([cli, "convert", st, conv], conv, args.warm,
                                               args.out)),
    ]


def ms(v):
    return f"{min(v) * 1000:.1f} / {statistics.median(v) * 1000:.1f} / {max(v) * 1000:.1f}"


def report(args, T, blocked, peak, why_blocked):
    med = {k: statistics.median(v) for k, v in T.items() if v}
    print(f"machine: {run_bench.machine_line()}")
    print(f"workload {args.workload}: {args.ntensors} tensors, {args.params_bytes / 2**20:.1f} MiB; "
          f"{os.path.basename(args.pt)} {os.path.getsize(args.pt) / 2**20:.1f} MiB (torch.save), "
          f"{args.runs} rounds, interleaved; times min / median / max ms\n")
    print("| measurement | weightio | reference | reference ms | ratio (medians) | goal | met |")
    print("|---|---|---|---|---|---|---|")

    def line(what, key, ref_name, ref_key, ratio, goal, ok):
        mine = "BLOCKED" if key in blocked else ms(T[key])
        ref = "-" if ref_key is None else "BLOCKED" if ref_key in blocked else ms(T[ref_key])
        met = "-" if ok is None else "yes" if ok else "NO"
        print(f"| {what} | {mine} | {ref_name} | {ref} | {ratio} | {goal} | {met} |")

    def have(*keys):
        return all(k in med for k in keys)

    d = med.get("describe_api")
    line("a. describe-only, load_weights(describe_only) (API, in process)", "describe_api", "-",
         None, "-", "< 10 ms", None if d is None else d < 0.010)
    line("a. describe-only, `weightio inspect --json` (whole process)", "inspect_cli", "-", None,
         "-", "-", None)
    r = have("load_touch_torch", "load_touch_weightio") and \
        med["load_touch_torch"] / med["load_touch_weightio"]
    line("b. load + touch every byte", "load_touch_weightio",
         "torch.load(weights_only=True) + sum of bytes", "load_touch_torch",
         f"{r:.2f}x faster" if r else "-", ">= 3x faster", r >= 3 if r else None)
    r = have("convert_pt", "convert_st") and med["convert_pt"] / med["convert_st"]
    line("c. convert .bin -> .safetensors", "convert_pt", "convert .safetensors -> .safetensors",
         "convert_st", f"{r:.2f}x the time" if r else "-", "<= 1.1x", r <= 1.1 if r else None)
    if peak:
        anon = max(peak.values())
        print(f"| d. peak anonymous MiB, zip load + touch | {peak['load_pt_touch']:.1f} "
              f"(describe-only: {peak['load_pt_describe']:.1f}) | file size | "
              f"{os.path.getsize(args.pt) / 2**20:.1f} MiB | - | <= 64 MiB + 0 gathered "
              f"| {'yes' if anon <= 64 else 'NO'} |")
    else:
        print("| d. peak anonymous MiB, zip load | BLOCKED | file size | - | - | <= 64 MiB | - |")
    print("\nd: VmHWM growth minus the file's size for the load + touch (every page of the "
          "mapped file resident at its end), and the whole growth of the describe-only load "
          "(the pickle's phase); the larger is compared. No tensor is gathered: torch.save "
          "of a state dict stores each tensor contiguous.")
    if blocked:
        print(f"\nBLOCKED rows ({', '.join(sorted(blocked))}): this build cannot read the "
              "torch.save file (is the pytorch reader merged?); `weightio inspect` says:\n  "
              + why_blocked.replace("\n", "\n  "))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--workload", default="llm")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    args.weightio = os.path.join(args.build, "bin", "weightio")
    args.weightio_bench = os.path.join(args.build, "bin", "weightio_bench")
    for b in (args.weightio, args.weightio_bench):
        if not os.access(b, os.X_OK):
            raise SystemExit(f"{b} is missing: build with -DWEIGHTIO_BUILD_BENCH=ON")
    os.makedirs(args.out, exist_ok=True)
    if args.workload == "tiny":
        tiny_workload(args.data)
    print("making inputs (torch.save, safetensors twin) ...", file=sys.stderr)
    args.pt, args.st, args.params_bytes, args.ntensors = make_inputs(args.data, args.workload,
                                                                      args.out)
    args.warm = min(args.params_bytes, 1 << 30)

    why_blocked = reader_missing(args)
    blocked = set(READER_ROWS) if why_blocked else set()
    switched = False
    try:
        with open(REPORTING) as f:
            found = f.read().strip()
        with open(REPORTING, "w") as f:
            f.write("11")
        switched = True
        print(f"page reporting: order {found} -> 11 (off) for the run", flush=True)
    except OSError as e:
        print(f"page reporting: not switched off ({e})", flush=True)
    T, peak = {}, None
    try:
        for rnd in range(args.runs):
            for key, fn in rows(args):
                if key not in blocked:
                    T.setdefault(key, []).append(fn())
            print(f"round {rnd + 1} done", file=sys.stderr)
        if "peak" not in blocked:
            peak = peak_rows(args)
    finally:
        if switched:
            with open(REPORTING, "w") as f:
                f.write("9")
            print("page reporting: order 9 (the runtime value) written back", flush=True)
    report(args, T, blocked, peak, why_blocked)
    if blocked:
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "torch-load":
        torch_load_child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
