#!/usr/bin/env python3
"""The demo: serve the example repository and ask it questions with the standard
KServe clients.

Starts build/bin/adlik_serving on REPO (free ports unless given), then
  1. over HTTP, classifies a random image-shaped tensor with `classifier` and prints
     the top 3 as {'idx', 'score', 'label'}, as the original Adlik client did;
  2. over gRPC, adds and subtracts two vectors with `simple`;
and stops the server with SIGTERM.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_live(http_port, server, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.poll() is not None:
            sys.exit(f"adlik_serving exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/v2/health/live", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit("adlik_serving did not come up")


def classify(http_port):
    client = httpclient.InferenceServerClient(f"127.0.0.1:{http_port}")
    image = np.random.default_rng(0).random((1, 3, 224, 224), dtype=np.float32)
    inp = httpclient.InferInput("input", list(image.shape), "FP32")
    inp.set_data_from_numpy(image, binary_data=True)
    out = httpclient.InferRequestedOutput("output", class_count=3)
    result = client.infer("classifier", [inp], outputs=[out])
    top = []
    for entry in result.as_numpy("output")[0]:
        score, idx, label = entry.decode().split(":", 2)
        top.append({"idx": int(idx), "score": float(score), "label": label})
    print(f"classifier (HTTP): result: {top}")


def add_sub(grpc_port):
    client = grpcclient.InferenceServerClient(f"127.0.0.1:{grpc_port}")
    a = np.arange(16, dtype=np.int32).reshape(1, 16)
    b = np.ones((1, 16), dtype=np.int32)
    inputs = [grpcclient.InferInput("INPUT0", [1, 16], "INT32"),
              grpcclient.InferInput("INPUT1", [1, 16], "INT32")]
    inputs[0].set_data_from_numpy(a)
    inputs[1].set_data_from_numpy(b)
    result = client.infer("simple", inputs)
    print(f"simple (gRPC): {a[0].tolist()} + 1 = {result.as_numpy('OUTPUT0')[0].tolist()}")
    print(f"simple (gRPC): {a[0].tolist()} - 1 = {result.as_numpy('OUTPUT1')[0].tolist()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, help="model repository to serve")
    parser.add_argument("--server", default=os.path.join(ROOT, "build", "bin", "adlik_serving"))
    args = parser.parse_args()
    http_port, grpc_port = free_port(), free_port()
    cmd = [args.server, f"--model_base_path={args.repo}", f"--http_port={http_port}",
           f"--grpc_port={grpc_port}"]
    print("$ " + " ".join(cmd), flush=True)
    server = subprocess.Popen(cmd)
    try:
        wait_live(http_port, server)
        classify(http_port)
        add_sub(grpc_port)
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
    print(f"adlik_serving stopped (exit code {code})")
    return code


if __name__ == "__main__":
    sys.exit(main())
