"""Helpers for the HTTP transport and TLS tests: raw-socket HTTP and small repositories."""

import json
import os
import shutil
import socket
import struct

import onnx

import support


def read_response(f):
    """(status, headers, body) of one HTTP/1.1 response with a Content-Length, read
    from a socket file; headers with lower-case names."""
    status_line = f.readline()
    assert status_line.startswith(b"HTTP/1.1 "), status_line
    headers = {}
    while True:
        line = f.readline()
        assert line, "connection closed inside the headers"
        if line in (b"\r\n", b"\n"):
            break
        key, _, value = line.decode("latin-1").partition(":")
        headers[key.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = f.read(length)
    return int(status_line.split()[1]), headers, body


def request_bytes(method, path, body=b"", headers=None, host="127.0.0.1"):
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
    for k, v in (headers or {}).items():
        head += f"{k}: {v}\r\n"
    if body or method in ("POST", "PUT"):
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def simple_infer_body(seed=1):
    a, b = support.simple_inputs(1, seed=seed)
    body = {
        "inputs": [
            {"name": "INPUT0", "shape": list(a.shape), "datatype": "INT32", "data": a.flatten().tolist()},
            {"name": "INPUT1", "shape": list(b.shape), "datatype": "INT32", "data": b.flatten().tolist()},
        ]
    }
    return json.dumps(body).encode(), a, b


def reset_close(sock):
    """Closes with a reset (SO_LINGER 0) rather than a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def make_repo(tmp_path, example_repo, with_slow=False):
    """A repository with the `simple` example model (and the `slow` one of
    tests/integration/test_shutdown.py when asked)."""
    repo = tmp_path / "small_repo"
    shutil.copytree(example_repo / "simple", repo / "simple")
    if with_slow:
        from test_shutdown import slow_model

        os.makedirs(repo / "slow" / "1")
        onnx.save(slow_model(), str(repo / "slow" / "1" / "model.onnx"))
    return repo


def trips_for(port, seconds):
    """A trip count for which a `slow` request takes about `seconds` of model time
    here (the time of a 1-trip request, sending and parsing, taken out)."""
    import time

    def timed(n):
        request = request_bytes("POST", "/v2/models/slow/infer", slow_infer_body(n))
        start = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=120) as s:
            s.sendall(request)
            status, _, body = read_response(s.makefile("rb"))
            assert status == 200, body[:300]
        return time.monotonic() - start

    base = min(timed(1) for _ in range(2))
    n = 50
    while True:
        took = timed(n) - base
        if took >= 0.3 or n >= 1000000:
            return int(min(max(n * seconds / max(took, 1e-3), 20), 2000000))
        n *= 4


def slow_infer_body(n, size=256, seed=3):
    import numpy as np

    x = np.random.default_rng(seed).standard_normal((size, size)).astype(np.float32)
    body = {
        "inputs": [
            {"name": "x", "shape": [size, size], "datatype": "FP32", "data": x.flatten().tolist()},
            {"name": "n", "shape": [1], "datatype": "INT64", "data": [int(n)]},
        ],
        "outputs": [{"name": "y", "parameters": {"binary_data": True}}],
    }
    return json.dumps(body).encode()
