#!/usr/bin/env python3
"""What dynamic batching buys: 32 concurrent batch-1 gRPC clients on the example
`classifier`, served with and without dynamic batching, against bare ONNX Runtime; and
the memory of 4 instances against 1.

    python3 scripts/bench_batching.py [--requests 3000] [--clients 32] [--cores N]

Throughput. For each mode the script starts its own adlik_serving (--cores=N) on a
repository holding only the classifier, and runs --clients tritonclient gRPC clients, each
sending batch-1 requests of its own random image one after another, until --requests have
been answered in all (after a few warm-up requests each). The clients run in
--client-processes processes so that one Python interpreter does not limit them.
  batching     max_batch_size 8, dynamic_batching { preferred_batch_size: [8]
               max_queue_delay_microseconds: 2000 }
  no batching  max_batch_size 8, no dynamic_batching: every request runs on its own
The average batch size that formed is read from the statistics extension (inference_count
/ execution_count over the timed part, and batch_stats). Bare ONNX Runtime (the PyPI
`onnxruntime` package, the same model file, the session options the server's runtime
uses: intra-op threads = cores / instances, one inter-op thread, no spinning, all graph
optimisations) then runs in this process at that batch size (rounded) and at batch 1.
Ratios are served / bare throughput, in inferences per second.

Memory. Two more servers: the classifier with instance_group [{count: 4}] and with
[{count: 1}]; VmRSS of each (from /proc/PID/status) once loaded, and again after
32 concurrent requests have been answered (so that every instance has run).

A benchmark, not a test: it prints figures and asserts nothing about them. The figures
depend on the machine and on whatever else runs on it; the load average is printed.

    ADLIK_SERVING  the server binary (default build/bin/adlik_serving)
"""

import argparse
import http.client
import json
import multiprocessing
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MODEL = "classifier"
IMAGE_SHAPE = (3, 224, 224)
BATCHING = """dynamic_batching {{
  preferred_batch_size: [ {preferred} ]
  max_queue_delay_microseconds: {delay_us}
}}
"""


# ---------------------------------------------------------------------------------------
# The server


def free_ports(n):
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def http_get(port, path, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


class Server:
    def __init__(self, binary, repo, cores, log_path):
        self.http_port, self.grpc_port = free_ports(2)
        self.cmd = [
            binary,
            f"--model_base_path={repo}",
            f"--http_port={self.http_port}",
            f"--grpc_port={self.grpc_port}",
            "--address=127.0.0.1",
            f"--cores={cores}",
        ]
        self.log_path = log_path
        self.proc = None

    def __enter__(self):
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; log: {self.log_path}")
            try:
                if http_get(self.http_port, f"/v2/models/{MODEL}/ready", timeout=2)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after 60 s; log: {self.log_path}")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stats(self):
        status, body = http_get(self.http_port, f"/v2/models/{MODEL}/stats")
        if status != 200:
            raise RuntimeError(f"stats: HTTP {status}: {body[:200]!r}")
        m = [e for e in json.loads(body)["model_stats"] if e["name"] == MODEL][0]
        return {
            "inference_count": int(m.get("inference_count", 0)),
            "execution_count": int(m.get("execution_count", 0)),
            "batch_stats": {
                int(b["batch_size"]): int(b.get("compute_infer", {}).get("count", 0)) for b in m.get("batch_stats", [])
            },
        }

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")


def make_repository(out_dir, config_extra):
    """The example models, of which only the classifier is kept, with config_extra
    appended to its config.pbtxt."""
    examples = os.path.join(out_dir, "examples")
    subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", "make_example_models.py"), examples],
        check=True,
        capture_output=True,
    )
    repo = os.path.join(out_dir, "repo")
    os.makedirs(os.path.join(repo, MODEL, "1"))
    src = os.path.join(examples, MODEL)
    for name in ("config.pbtxt", "labels.txt", os.path.join("1", "model.onnx")):
        with open(os.path.join(src, name), "rb") as f:
            data = f.read()
        if name == "config.pbtxt":
            data += config_extra.encode()
        with open(os.path.join(repo, MODEL, name), "wb") as f:
            f.write(data)
    return repo, os.path.join(repo, MODEL, "1", "model.onnx")


# ---------------------------------------------------------------------------------------
# The clients


def client_process(grpc_port, threads, first_index, per_client, warmup, warmed, go, results):
    """`threads` clients; each warms up, waits for the start, then sends its requests.
    Puts (start, end, latencies) of each client on `results`."""
    import threading

    import tritonclient.grpc as grpcclient

    url = f"127.0.0.1:{grpc_port}"
    ready = threading.Barrier(threads + 1)
    out = []
    lock = threading.Lock()

    def one(index):
        rng = np.random.default_rng(index)
        image = rng.standard_normal((1,) + IMAGE_SHAPE).astype(np.float32)
        client = grpcclient.InferenceServerClient(url)
        inp = grpcclient.InferInput("input", list(image.shape), "FP32")
        inp.set_data_from_numpy(image)
        outputs = [grpcclient.InferRequestedOutput("output")]
        try:
            for _ in range(warmup):
                client.infer(MODEL, [inp], outputs=outputs)
            ready.wait()
            ready.wait()  # the start, released by this process's main thread
            latencies = []
            start = time.perf_counter()
            for _ in range(per_client[index]):
                t = time.perf_counter()
                result = client.infer(MODEL, [inp], outputs=outputs)
                latencies.append(time.perf_counter() - t)
                if result.as_numpy("output").shape != (1, 1000):
                    raise RuntimeError(f"unexpected output shape {result.as_numpy('output').shape}")
            end = time.perf_counter()
            with lock:
                out.append((start, end, latencies))
        finally:
            client.close()

    workers = [threading.Thread(target=one, args=(first_index + k,)) for k in range(threads)]
    for w in workers:
        w.start()
    ready.wait()  # every client of this process warmed up
    warmed.wait()  # every process warmed up
    go.wait()  # the main process has read the statistics
    ready.wait()
    for w in workers:
        w.join()
    results.put(out)


def run_clients(server, clients, processes, requests, warmup):
    """Returns (wall seconds, latencies, statistics delta) of the timed part."""
    ctx = multiprocessing.get_context("spawn")
    processes = max(1, min(processes, clients))
    warmed = ctx.Barrier(processes + 1)
    go = ctx.Barrier(processes + 1)
    results = ctx.Queue()
    per_client = [requests // clients + (1 if k < requests % clients else 0) for k in range(clients)]
    procs = []
    index = 0
    for p in range(processes):
        threads = clients // processes + (1 if p < clients % processes else 0)
        procs.append(
            ctx.Process(
                target=client_process,
                args=(server.grpc_port, threads, index, per_client, warmup, warmed, go, results),
            )
        )
        index += threads
    for p in procs:
        p.start()
    try:
        warmed.wait(timeout=300)
    except Exception:
        for p in procs:
            p.kill()
        raise RuntimeError("the clients did not start (see the server log)")
    before = server.stats()
    go.wait(timeout=60)
    gathered = []
    for _ in procs:
        gathered.extend(results.get(timeout=600))
    for p in procs:
        p.join()
    after = server.stats()
    if len(gathered) != clients:
        raise RuntimeError(f"{len(gathered)} of {clients} clients reported")
    wall = max(e for _, e, _ in gathered) - min(s for s, _, _ in gathered)
    latencies = sorted(x for _, _, lat in gathered for x in lat)
    delta = {
        "inference_count": after["inference_count"] - before["inference_count"],
        "execution_count": after["execution_count"] - before["execution_count"],
        "batch_stats": {
            size: n - before["batch_stats"].get(size, 0)
            for size, n in after["batch_stats"].items()
            if n - before["batch_stats"].get(size, 0) > 0
        },
    }
    return wall, latencies, delta


# ---------------------------------------------------------------------------------------
# Bare ONNX Runtime


def bare_throughput(model_path, batch, threads, inferences, warmup=5):
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"  # before the wheel's first import
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((batch,) + IMAGE_SHAPE).astype(np.float32)
    for _ in range(warmup):
        session.run(["output"], {"input": x})
    iterations = max(10, inferences // batch)
    start = time.perf_counter()
    for _ in range(iterations):
        session.run(["output"], {"input": x})
    took = time.perf_counter() - start
    return iterations * batch / took


# ---------------------------------------------------------------------------------------


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(q / 100.0 * (len(sorted_values) - 1)))))
    return sorted_values[k]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="timed requests per mode, all clients together")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=3, help="warm-up requests per client")
    parser.add_argument("--cores", type=int, default=os.cpu_count(), help="the server's --cores")
    parser.add_argument("--preferred", type=int, default=8, help="preferred_batch_size (and max_batch_size is 8)")
    parser.add_argument("--delay-us", type=int, default=2000, help="max_queue_delay_microseconds")
    parser.add_argument("--memory-requests", type=int, default=32, help="concurrent requests before the 2nd RSS")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (repositories, logs)")
    args = parser.parse_args()

    binary = os.environ.get("ADLIK_SERVING", os.path.join(ROOT, "build", "bin", "adlik_serving"))
    if not os.access(binary, os.X_OK):
        sys.exit(f"bench_batching: {binary} not found (build it, or set ADLIK_SERVING)")
    work = tempfile.mkdtemp(prefix="adlik_bench_batching_")
    print("command:", shlex.join([sys.executable] + sys.argv))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    print(f"work folder: {work}")

    modes = [
        ("batching", BATCHING.format(preferred=args.preferred, delay_us=args.delay_us)),
        ("no batching", ""),
    ]
    rows = []
    model_path = None
    for name, extra in modes:
        folder = os.path.join(work, name.replace(" ", "_"))
        os.makedirs(folder)
        repo, model_path = make_repository(folder, extra)
        with Server(binary, repo, args.cores, os.path.join(folder, "server.log")) as server:
            print(f"\n[{name}] server: {shlex.join(server.cmd)}")
            if extra:
                print("  config.pbtxt + " + " ".join(extra.split()))
            wall, latencies, delta = run_clients(
                server, args.clients, args.client_processes, args.requests, args.warmup
            )
        answered = len(latencies)
        avg_batch = delta["inference_count"] / delta["execution_count"] if delta["execution_count"] else float("nan")
        rows.append(
            {
                "mode": name,
                "requests": answered,
                "wall": wall,
                "throughput": answered / wall,
                "p50": percentile(latencies, 50) * 1e3,
                "p99": percentile(latencies, 99) * 1e3,
                "avg_batch": avg_batch,
                "batch_stats": delta["batch_stats"],
            }
        )
        print(
            f"  {answered} requests in {wall:.2f} s: {answered / wall:.1f} inf/s, "
            f"average formed batch {avg_batch:.2f}, batch_stats {dict(sorted(delta['batch_stats'].items()))}"
        )

    instances = 1  # the throughput servers' instance_group: the default, one
    threads = max(1, args.cores // instances)  # as the server sizes an instance's pool
    bare = {}
    for row in rows:
        batch = max(1, int(round(row["avg_batch"])))
        if batch not in bare:
            bare[batch] = bare_throughput(model_path, batch, threads, args.requests)
        row["bare_batch"] = batch
        row["bare"] = bare[batch]
        row["ratio"] = row["throughput"] / bare[batch]
    if 1 not in bare:
        bare[1] = bare_throughput(model_path, 1, threads, args.requests)

    print(f"\nThroughput, {args.clients} concurrent batch-1 gRPC clients, classifier, server --cores={args.cores}")
    print(f"bare ONNX Runtime {__import__('onnxruntime').__version__}: intra-op threads {threads}, inter-op 1")
    header = (
        f"{'mode':<12} {'requests':>8} {'served inf/s':>12} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'avg batch':>9} {'bare batch':>10} {'bare inf/s':>10} {'served/bare':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['mode']:<12} {r['requests']:>8} {r['throughput']:>12.1f} {r['p50']:>7.2f} {r['p99']:>7.2f} "
            f"{r['avg_batch']:>9.2f} {r['bare_batch']:>10} {r['bare']:>10.1f} {r['ratio']:>11.2f}"
        )
    by_mode = {r["mode"]: r for r in rows}
    print(
        "batching / no batching (served): "
        f"{by_mode['batching']['throughput'] / by_mode['no batching']['throughput']:.2f}x;"
        f" bare batch {by_mode['batching']['bare_batch']} / bare batch 1: "
        f"{bare[by_mode['batching']['bare_batch']] / bare[1]:.2f}x"
    )

    # Memory
    print("\nMemory (VmRSS), classifier, instance_group [{count: N kind: KIND_CPU}], "
          f"server --cores={args.cores}")
    rss = {}
    for count in (1, 4):
        folder = os.path.join(work, f"memory_{count}")
        os.makedirs(folder)
        repo, _ = make_repository(folder, f"instance_group [ {{ count: {count} kind: KIND_CPU }} ]\n")
        with Server(binary, repo, args.cores, os.path.join(folder, "server.log")) as server:
            print(f"  server: {shlex.join(server.cmd)}")
            time.sleep(0.5)
            loaded = server.rss_kib()
            run_clients(server, args.memory_requests, 1, args.memory_requests, 0)
            served = server.rss_kib()
        rss[count] = (loaded, served)
        print(f"  count {count}: {loaded / 1024:.1f} MiB loaded, {served / 1024:.1f} MiB after "
              f"{args.memory_requests} concurrent requests")
    print(
        f"  ratio 4 instances / 1 instance: {rss[4][0] / rss[1][0]:.2f} loaded, "
        f"{rss[4][1] / rss[1][1]:.2f} after serving"
    )
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
