#!/usr/bin/env python3
"""Served over system shared memory vs the bare runtime, in one run.

    python3 scripts/bench_shared_memory.py [--model=yolov5s --batch=30 --rounds=2]

Each round measures, in turn: the bare runtime (adlik_bench --protocol=bare: the model's
runtime plugin called in-process, as docs/benchmarks.md describes), then the model served
by one adlik_serving started here (the model alone, same --cores) through Triton's
perf_analyzer with --shared-memory=system over gRPC and over HTTP: the inputs and outputs
live in system shared-memory regions that perf_analyzer registers, so no tensor byte
crosses the socket. It prints a Markdown table of the throughputs (inferences/s, i.e.
batch items/s) and served/bare ratios, per round and overall (total items / total time).

perf_analyzer comes from `ADLIK_SETUP_BENCH=1 scripts/setup.sh`, the models from
scripts/make_benchmark_models.py. A benchmark, not a test: nothing here asserts a figure.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "tests", "bench"))

import support  # noqa: E402
from test_perf_analyzer import perf_analyzer_command  # noqa: E402


def bare(args, out_json):
    cmd = [os.path.join(args.build, "bin", "adlik_bench"), f"--model_base_path={args.models}",
           f"--model={args.model}", f"--batch_size={args.batch}", f"--iterations={args.iterations}",
           "--warmup=0", "--protocol=bare", f"--cores={args.cores}", f"--json={out_json}"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with open(out_json) as f:
        result = [r for r in json.load(f)["results"] if r["protocol"] == "bare"][0]
    return result["throughput"], " ".join(cmd[1:-1])


def served(args, pa, protocol, url, output_bytes):
    cmd = pa + ["-m", args.model, "-b", str(args.batch), "-i", protocol, "-u", url, "--shared-memory=system",
                f"--output-shared-memory-size={output_bytes}", "--concurrency-range", "1",
                "--measurement-mode", "count_windows", "--measurement-request-count", str(args.iterations),
                "--stability-percentage", "500", "--max-trials", "4"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise SystemExit(f"perf_analyzer failed:\n{out.stdout}\n{out.stderr}")
    found = re.findall(r"Throughput: ([0-9.]+) infer/sec", out.stdout)
    return float(found[-1]), " ".join(cmd[len(pa):])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default=os.path.expanduser("~/.cache/adlik/bench_models"))
    p.add_argument("--model", default="yolov5s")
    p.add_argument("--batch", type=int, default=30)
    p.add_argument("--iterations", type=int, default=4, help="requests per measurement")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--cores", type=int, default=os.cpu_count())
    p.add_argument("--output_bytes", type=int, default=0,
                   help="bytes of each output region (default: the largest output at --batch)")
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = p.parse_args()
    pa = perf_analyzer_command()
    if pa is None:
        raise SystemExit("perf_analyzer is not installed (ADLIK_SETUP_BENCH=1 scripts/setup.sh)")

    work = tempfile.mkdtemp(prefix="adlik_shm_bench_")
    repo = os.path.join(work, "models")
    os.makedirs(repo)
    os.symlink(os.path.join(args.models, args.model), os.path.join(repo, args.model))
    os.environ["ADLIK_SERVING"] = os.path.join(args.build, "bin", "adlik_serving")
    server = support.Server(repo, work, name="shm_bench", extra_args=[f"--cores={args.cores}"])
    server.start()
    try:
        r = support.http_request(server.http_url, "GET", f"/v2/models/{args.model}")
        sizes = {"FP32": 4, "FP16": 2, "INT64": 8, "INT32": 4, "UINT8": 1, "BOOL": 1}
        largest = max(args.batch * sizes[o["datatype"]] * abs(__import__("math").prod(o["shape"][1:]))
                      for o in r.json()["outputs"])
        output_bytes = args.output_bytes or largest
        rows, totals = [], {"bare": [0, 0.0], "grpc": [0, 0.0], "http": [0, 0.0]}
        commands = {}
        for k in range(args.rounds):
            row = {}
            row["bare"], commands["bare"] = bare(args, os.path.join(work, f"bare{k}.json"))
            for protocol, url in (("grpc", server.grpc_url), ("http", server.http_url)):
                row[protocol], commands[protocol] = served(args, pa, protocol, url, output_bytes)
            for name, fps in row.items():
                totals[name][0] += 1
                totals[name][1] += 1.0 / fps  # time per item, for the overall mean
            rows.append(row)
            print(f"round {k + 1}: " + ", ".join(f"{n} {v:.2f} infer/s" for n, v in row.items()), file=sys.stderr)
        # The server's own account of the served requests: the time from receipt to the
        # response encoded, and the part the runtime spent computing.
        stats = support.http_request(server.http_url, "GET", f"/v2/models/{args.model}/stats").json()
        s = stats["model_stats"][0]["inference_stats"]
        served_ms = s["success"]["ns"] / max(1, s["success"]["count"]) / 1e6
        infer_ms = s["compute_infer"]["ns"] / max(1, s["compute_infer"]["count"]) / 1e6
    finally:
        server.stop()

    print(f"| round | bare infer/s | gRPC shm infer/s | HTTP shm infer/s | gRPC shm / bare | HTTP shm / bare |")
    print("|---|---|---|---|---|---|")
    for k, row in enumerate(rows):
        print(f"| {k + 1} | {row['bare']:.2f} | {row['grpc']:.2f} | {row['http']:.2f} | "
              f"**{row['grpc'] / row['bare']:.3f}** | **{row['http'] / row['bare']:.3f}** |")
    overall = {n: c / t for n, (c, t) in totals.items()}
    print(f"| all | {overall['bare']:.2f} | {overall['grpc']:.2f} | {overall['http']:.2f} | "
          f"**{overall['grpc'] / overall['bare']:.3f}** | **{overall['http'] / overall['bare']:.3f}** |")
    print()
    print(f"The server's statistics over its {s['success']['count']} served requests: {served_ms:.3f} ms from "
          f"receipt to response, of which {infer_ms:.3f} ms in the runtime: serving adds "
          f"{served_ms - infer_ms:.3f} ms ({100 * (served_ms - infer_ms) / served_ms:.2f} %) per request.")
    print()
    for name, cmd in commands.items():
        print(f"- {name}: `{cmd}`")


if __name__ == "__main__":
    main()
