"""HTTP/1.1 connection handling: keep-alive, Connection: close, pipelining."""

import http.client
import json
import socket
import time

import numpy as np

import support


def _body(a, b):
    return json.dumps(
        {
            "inputs": [
                {"name": "INPUT0", "shape": list(a.shape), "datatype": "INT32", "data": a.flatten().tolist()},
                {"name": "INPUT1", "shape": list(b.shape), "datatype": "INT32", "data": b.flatten().tolist()},
            ]
        }
    ).encode()


def test_keep_alive_200_requests(http_url):
    host, port = http_url.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        local = None
        for i in range(200):
            if i % 10 == 9:
                conn.request("GET", "/v2/health/ready")
                r = conn.getresponse()
                assert r.status == 200
                r.read()
            else:
                a, b = support.simple_inputs(1 + i % 8, seed=i)
                conn.request(
                    "POST", "/v2/models/simple/infer", body=_body(a, b), headers={"Content-Type": "application/json"}
                )
                r = conn.getresponse()
                data = r.read()
                assert r.status == 200, data[:300]
                outputs = {o["name"]: np.array(o["data"]).reshape(o["shape"]) for o in json.loads(data)["outputs"]}
                np.testing.assert_array_equal(outputs["OUTPUT0"], a + b)
                np.testing.assert_array_equal(outputs["OUTPUT1"], a - b)
            assert (r.getheader("Connection") or "").lower() != "close", f"server closed the connection at request {i}"
            # http.client reopens a closed connection silently: the local port tells.
            assert conn.sock is not None, f"connection closed after request {i}"
            name = conn.sock.getsockname()
            assert local is None or name == local, f"new connection at request {i}"
            local = name
    finally:
        conn.close()


def test_keep_alive_latency(http_url):
    """Small requests on a kept-alive connection answer in about a millisecond; a server
    that writes a response in pieces without TCP_NODELAY stalls ~40 ms each (Nagle and
    delayed ACK), which this catches."""
    host, port = http_url.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    a, b = support.simple_inputs(1, seed=5)
    body = _body(a, b)
    times = []
    try:
        for _ in range(40):
            start = time.perf_counter()
            conn.request("POST", "/v2/models/simple/infer", body=body, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            times.append(time.perf_counter() - start)
            assert r.status == 200
    finally:
        conn.close()
    median = sorted(times)[len(times) // 2]
    assert median < 0.02, f"median request time {median * 1000:.1f} ms on a kept-alive connection"


def test_keep_alive_after_error(http_url):
    """A 4xx answer does not cost the client its connection."""
    host, port = http_url.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("POST", "/v2/models/simple/infer", body=b"{not json", headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        assert r.status == 400
        name = conn.sock.getsockname()
        a, b = support.simple_inputs(2, seed=1)
        conn.request("POST", "/v2/models/simple/infer", body=_body(a, b), headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        assert r.status == 200, data[:300]
        assert conn.sock.getsockname() == name, "the server closed the connection after a 400"
    finally:
        conn.close()


def test_expect_100_continue(http_url):
    """curl sends `Expect: 100-continue` with bodies over 1 MB and waits up to 1 s for the
    interim response before sending the body; a server should answer at once."""
    host, port = http_url.rsplit(":", 1)
    a, b = support.simple_inputs(2, seed=31)
    body = _body(a, b)
    head = (
        f"POST /v2/models/simple/infer HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(head)
        s.settimeout(0.5)
        try:
            interim = s.recv(65536)
        except socket.timeout:
            interim = b""
        assert interim.startswith(b"HTTP/1.1 100"), f"no 100 Continue within 0.5 s (got {interim[:100]!r})"
        s.settimeout(30)
        s.sendall(body)
        f = s.makefile("rb")
        rest = interim.split(b"\r\n\r\n", 1)[1]
        assert rest == b"", rest[:100]
        status, _, data = _read_response(f)
        assert status == 200, data[:300]
        outputs = {o["name"]: np.array(o["data"]).reshape(o["shape"]) for o in json.loads(data)["outputs"]}
        np.testing.assert_array_equal(outputs["OUTPUT0"], a + b)


def test_connection_close_honoured(http_url):
    host, port = http_url.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(f"GET /v2/health/live HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break  # the server closed its end, as asked
            data += chunk
    assert data.startswith(b"HTTP/1.1 200"), data[:200]


def test_pipelined_requests(http_url):
    """Two requests written back to back before reading: two responses, in order."""
    host, port = http_url.rsplit(":", 1)
    a1, b1 = support.simple_inputs(1, seed=21)
    a2, b2 = support.simple_inputs(3, seed=22)
    raw = b""
    for a, b in ((a1, b1), (a2, b2)):
        body = _body(a, b)
        raw += (
            f"POST /v2/models/simple/infer HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(raw)
        f = s.makefile("rb")
        for a, b in ((a1, b1), (a2, b2)):
            status, headers, data = _read_response(f)
            assert status == 200, data[:300]
            outputs = {o["name"]: np.array(o["data"]).reshape(o["shape"]) for o in json.loads(data)["outputs"]}
            np.testing.assert_array_equal(outputs["OUTPUT0"], a + b)
            np.testing.assert_array_equal(outputs["OUTPUT1"], a - b)


def _read_response(f):
    """(status, headers, body) of one HTTP/1.1 response with a Content-Length."""
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
    assert "content-length" in headers, headers
    body = f.read(int(headers["content-length"]))
    return int(status_line.split()[1]), headers, body
