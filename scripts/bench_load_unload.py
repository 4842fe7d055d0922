#!/usr/bin/env python3
"""Memory across repeated model loads and unloads: does adlik_serving give back what a
model took once it is unloaded?

    python3 scripts/bench_load_unload.py [--cycles 50] [--binary build/bin/adlik_serving]

It writes a repository (in a temporary folder) holding the example `classifier`
(examples/make_example_models.py) and `big`, an MLP of four 1600x1600 FP32 layers with
random weights (about 41 MB, written here, offline), starts adlik_serving in explicit mode
with nothing loaded, and reads VmRSS from /proc/PID/status:

    baseline        after start, nothing loaded
    first load      after loading both models (and one inference on each)
    first unload    after unloading both
    cycle N         after each 10th further load / infer / unload cycle, over HTTP

and prints the ratio end / first unload and the growth in MiB between the two. A
benchmark, not a test: nothing here asserts a figure.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MAKE_MODELS = os.path.join(ROOT, "examples", "make_example_models.py")
BIG_WIDTH = 1600
BIG_LAYERS = 4
SETTLE_S = 0.5  # after an unload, for the model's destruction to finish before reading RSS


def big_model():
    """x FP32 [batch, 1600] -> four Gemm+Relu layers of random weights -> y [batch, 1600]."""
    rng = np.random.default_rng(7)
    nodes, inits, prev = [], [], "x"
    for i in range(BIG_LAYERS):
        w = (rng.standard_normal((BIG_WIDTH, BIG_WIDTH)) / np.sqrt(BIG_WIDTH)).astype(np.float32)
        inits.append(numpy_helper.from_array(w, f"w{i}"))
        inits.append(numpy_helper.from_array(np.zeros(BIG_WIDTH, dtype=np.float32), f"b{i}"))
        nodes.append(helper.make_node("Gemm", [prev, f"w{i}", f"b{i}"], [f"g{i}"]))
        out = "y" if i == BIG_LAYERS - 1 else f"r{i}"
        nodes.append(helper.make_node("Relu", [f"g{i}"], [out]))
        prev = out
    graph = helper.make_graph(
        nodes,
        "big",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", BIG_WIDTH])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", BIG_WIDTH])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


BIG_CONFIG = f"""name: "big"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [ {{ name: "x" data_type: TYPE_FP32 dims: [ {BIG_WIDTH} ] }} ]
output [ {{ name: "y" data_type: TYPE_FP32 dims: [ {BIG_WIDTH} ] }} ]
"""


def make_repository(path):
    examples = os.path.join(path, "examples")
    subprocess.run([sys.executable, MAKE_MODELS, examples], check=True, capture_output=True, timeout=120)
    repo = os.path.join(path, "repo")
    os.makedirs(repo)
    shutil.copytree(os.path.join(examples, "classifier"), os.path.join(repo, "classifier"))
    os.makedirs(os.path.join(repo, "big", "1"))
    onnx.save(big_model(), os.path.join(repo, "big", "1", "model.onnx"))
    with open(os.path.join(repo, "big", "config.pbtxt"), "w") as f:
        f.write(BIG_CONFIG)
    return repo


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None, timeout=120):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS")


INFER = {
    "classifier": ("input", [1, 3, 224, 224]),
    "big": ("x", [1, BIG_WIDTH]),
}


def infer(port, model):
    name, shape = INFER[model]
    n = int(np.prod(shape))
    data = np.random.default_rng(1).standard_normal(n).astype(np.float32)
    body = {"inputs": [{"name": name, "shape": shape, "datatype": "FP32", "data": data.round(3).tolist()}]}
    status, text = request(port, "POST", f"/v2/models/{model}/infer", body)
    if status != 200:
        raise RuntimeError(f"infer {model}: HTTP {status} {text[:300]!r}")


def control(port, model, action):
    status, text = request(port, "POST", f"/v2/repository/models/{model}/{action}", {})
    if status != 200:
        raise RuntimeError(f"{action} {model}: HTTP {status} {text[:300]!r}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=os.environ.get("ADLIK_SERVING", os.path.join(ROOT, "build", "bin", "adlik_serving")))
    parser.add_argument("--cycles", type=int, default=50, help="load/unload cycles after the first (default 50)")
    parser.add_argument("--every", type=int, default=10, help="print RSS after every N cycles (default 10)")
    parser.add_argument("--models", default="classifier,big", help="comma-separated: classifier, big")
    parser.add_argument("--no-infer", action="store_true", help="only load and unload, no inference per cycle")
    args = parser.parse_args()
    models = [m for m in args.models.split(",") if m]
    for m in models:
        if m not in INFER:
            parser.error(f"unknown model {m!r}")

    work = tempfile.mkdtemp(prefix="adlik_load_unload_")
    proc = None
    try:
        repo = make_repository(work)
        sizes = {m: os.path.getsize(os.path.join(repo, m, "1", "model.onnx")) / 2**20 for m in models}
        port = free_port()
        log_path = os.path.join(work, "server.log")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [args.binary, f"--model_base_path={repo}", f"--http_port={port}", "--grpc_port=0",
                 "--model_control_mode=explicit"],
                stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}; log: {log_path}")
            try:
                if request(port, "GET", "/v2/health/ready", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server not ready after 60 s")
            time.sleep(0.1)

        def cycle():
            for m in models:
                control(port, m, "load")
                if not args.no_infer:
                    infer(port, m)
            for m in models:
                control(port, m, "unload")

        print(f"adlik_serving {args.binary}, pid {proc.pid}, explicit mode")
        print("models: " + ", ".join(f"{m} ({sizes[m]:.1f} MiB on disk)" for m in models)
              + ("" if args.no_infer else "; one inference each per load"))
        time.sleep(SETTLE_S)
        baseline = rss_mib(proc.pid)
        print(f"{'baseline (nothing loaded)':<28} VmRSS {baseline:8.1f} MiB")
        for m in models:
            control(port, m, "load")
            if not args.no_infer:
                infer(port, m)
        loaded = rss_mib(proc.pid)
        print(f"{'after the first load':<28} VmRSS {loaded:8.1f} MiB  (+{loaded - baseline:.1f} MiB)")
        for m in models:
            control(port, m, "unload")
        time.sleep(SETTLE_S)
        first_unload = rss_mib(proc.pid)
        print(f"{'after the first unload':<28} VmRSS {first_unload:8.1f} MiB")
        start = time.monotonic()
        end = first_unload
        for i in range(1, args.cycles + 1):
            cycle()
            if i % args.every == 0 or i == args.cycles:
                time.sleep(SETTLE_S)
                end = rss_mib(proc.pid)
                print(f"{f'after {i} cycles':<28} VmRSS {end:8.1f} MiB")
        elapsed = time.monotonic() - start
        print(f"{args.cycles} cycles in {elapsed:.1f} s ({elapsed / max(1, args.cycles) * 1000:.0f} ms each)")
        print(f"end / first unload: {end / first_unload:.3f}; growth: {end - first_unload:+.1f} MiB "
              f"(baseline {baseline:.1f}, loaded {loaded:.1f}, end {end:.1f} MiB)")
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        print(f"server exit code after SIGTERM: {code}")
        proc = None
        return 0
    except Exception:
        if proc is not None:
            time.sleep(0.5)
            code = proc.poll()
            print(f"server {'still running' if code is None else f'exit code {code}'}; log tail:", file=sys.stderr)
            try:
                with open(os.path.join(work, "server.log"), "rb") as f:
                    print(f.read()[-3000:].decode("utf-8", "replace"), file=sys.stderr)
            except OSError:
                pass
        raise
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
