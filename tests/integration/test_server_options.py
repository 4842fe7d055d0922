"""Command-line options that change the front ends: --http_max_body_mb, port 0."""

import json
import select
import socket
import time

import numpy as np
import pytest
import tritonclient.grpc as grpcclient

import support


@pytest.fixture(scope="module")
def small_body_server(example_repo, log_dir):
    """HTTP only (gRPC port 0), bodies limited to 1 MB."""
    srv = support.Server(
        example_repo,
        log_dir,
        name="max_body_1mb",
        grpc=False,
        extra_args=["--http_max_body_mb=1", "--http_num_threads=2"],
    ).start()
    yield srv
    code = srv.stop()
    assert code == 0, f"exit code {code}"


def _exchange(url, head, body, timeout=30):
    """Sends head+body, stopping early if the server answers first; returns all the bytes
    the server sent before closing or going quiet."""
    host, port = url.rsplit(":", 1)
    received = b""
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(head)
        sent = 0
        deadline = time.monotonic() + timeout
        while sent < len(body) and time.monotonic() < deadline:
            readable, writable, _ = select.select([s], [s], [], 1.0)
            if readable:
                break  # the server answered before taking the whole body
            if writable:
                try:
                    sent += s.send(body[sent : sent + 65536])
                except (BrokenPipeError, ConnectionResetError):
                    break
        s.settimeout(5)
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                received += chunk
                if _complete(received):
                    break
        except (socket.timeout, ConnectionResetError):
            pass
    return received


def _complete(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return False


def _parse(data):
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, body


def _infer_head(url, length, content_type="application/json"):
    return (
        f"POST /v2/models/simple/infer HTTP/1.1\r\nHost: {url}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def test_body_over_limit_gets_413(small_body_server):
    url = small_body_server.http_url
    a = np.zeros((1, 16), dtype=np.int32)
    doc = {
        "inputs": [
            {"name": "INPUT0", "shape": [1, 16], "datatype": "INT32", "data": a.flatten().tolist()},
            {"name": "INPUT1", "shape": [1, 16], "datatype": "INT32", "data": a.flatten().tolist()},
        ]
    }
    body = json.dumps(doc).encode()
    body = body + b" " * (2 * 1024 * 1024 - len(body))  # a valid request, 2 MB with its padding
    data = _exchange(url, _infer_head(url, len(body)), body)
    assert data, "no response to a 2 MB body"
    status, payload = _parse(data)
    assert status == 413, data[:300]
    error = json.loads(payload)["error"]
    assert isinstance(error, str) and error.strip()
    support.check_simple(url)


def test_body_under_limit_is_served(small_body_server):
    url = small_body_server.http_url
    a, b = support.simple_inputs(8, seed=5)
    doc = {
        "inputs": [
            {"name": "INPUT0", "shape": [8, 16], "datatype": "INT32", "data": a.flatten().tolist()},
            {"name": "INPUT1", "shape": [8, 16], "datatype": "INT32", "data": b.flatten().tolist()},
        ]
    }
    body = json.dumps(doc).encode()
    body = body + b" " * (900 * 1024 - len(body))  # 0.9 MB, under the 1 MB limit
    r = support.http_request(url, "POST", "/v2/models/simple/infer", body, {"Content-Type": "application/json"})
    assert r.status == 200, r
    outputs = {o["name"]: np.array(o["data"]).reshape(o["shape"]) for o in r.json()["outputs"]}
    np.testing.assert_array_equal(outputs["OUTPUT0"], a + b)


def test_declared_length_over_limit_gets_413(small_body_server):
    """Content-Length alone is enough to refuse: the server need not wait for the body."""
    url = small_body_server.http_url
    data = _exchange(url, _infer_head(url, 8 * 1024 * 1024), b"", timeout=10)
    assert data, "no response to a declared 8 MB body"
    status, _ = _parse(data)
    assert status == 413, data[:300]
    support.check_simple(url)


def test_grpc_only_server(example_repo, log_dir):
    """--http_port=0: no HTTP front end; gRPC serves; SIGTERM exits 0."""
    srv = support.Server(example_repo, log_dir, name="grpc_only", http=False).start()
    try:
        client = grpcclient.InferenceServerClient(srv.grpc_url)
        try:
            assert client.is_server_live()
            assert client.is_model_ready("simple")
        finally:
            client.close()
        support.check_simple(srv.grpc_url, "grpc", batch=4)
    finally:
        code = srv.stop()
    assert code == 0, f"exit code {code}"


def test_help_lists_every_flag_with_its_default():
    """--help exits 0 and lists every flag of the README's table, each with its help
    text and default."""
    import os
    import re
    import subprocess

    result = subprocess.run([support.server_binary(), "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result
    out = result.stdout
    readme = open(os.path.join(support.ROOT, "README.md"), encoding="utf-8").read()
    flags = set(re.findall(r"^\|[^|]*", readme, re.M))
    names = set()
    for cell in flags:
        names.update(re.findall(r"`--([a-z0-9_]+)`", cell))
    assert len(names) >= 15, names
    for name in sorted(names):
        entry = re.search(rf"--{name} \((.+?)\);\s+default: ([^;]*);", out, re.S)
        assert entry, f"--{name} is not listed with a default in --help:\n{out}"
        assert entry.group(1).strip(), f"--{name} has no help text"
    assert "No flags matched" not in out
