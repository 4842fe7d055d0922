"""The HTTP transport against clients that are slow, odd or malicious: huge chunked
trailers, half-closes, HEAD, slowloris, idle keep-alive connections, running out of
file descriptors, the connection limit."""

import os
import resource
import selectors
import socket
import time

import pytest

import support
import transport_support as ts


def _get(port, path="/v2/health/ready", timeout=10):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(ts.request_bytes("GET", path))
        return ts.read_response(s.makefile("rb"))


# ---------------------------------------------------------------------------------------
# (4) A chunked body whose trailer holds a field of 64 KiB or more made Beast throw
# std::length_error out of the I/O thread: the process aborted.


@pytest.mark.parametrize("path", ["/v2/models/simple/infer", "/v2/health/live", "/no/such/route"])
def test_huge_chunked_trailer_gets_400(start_server, repo, path):
    srv = start_server(repo)
    huge = b"X-Big: " + b"a" * 70000 + b"\r\n"
    many = b"".join(f"X-T{i}: {'b' * 1000}\r\n".encode() for i in range(80))  # 80 KB in all
    for trailer in (huge, many):
        with socket.create_connection(("127.0.0.1", srv.http_port), timeout=30) as s:
            s.sendall(
                f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: X-Big\r\n\r\n".encode()
                + b"2\r\n{}\r\n0\r\n"
                + trailer
                + b"\r\n"
            )
            status, headers, body = ts.read_response(s.makefile("rb"))
        assert status == 400, (status, body[:300])
        assert b"trailer" in body, body[:300]
        assert srv.proc.poll() is None, f"the server died (code {srv.proc.returncode})"
    # A modest trailer still works, and the server goes on serving.
    body, a, b = ts.simple_infer_body()
    with socket.create_connection(("127.0.0.1", srv.http_port), timeout=30) as s:
        chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\nX-Small: yes\r\n\r\n"
        s.sendall(
            b"POST /v2/models/simple/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + chunked
        )
        status, _, data = ts.read_response(s.makefile("rb"))
    assert status == 200, data[:300]
    assert _get(srv.http_port)[0] == 200


# ---------------------------------------------------------------------------------------
# (16) A request followed by shutdown(SHUT_WR) is complete: it gets its answer.


def test_half_closed_request_gets_answer(start_server, example_repo, tmp_path):
    srv = start_server(ts.make_repo(tmp_path, example_repo, with_slow=True))
    # A long request keeps the model's one instance busy, so that the half-closed
    # requests wait in its queue, where a request whose client is gone is dropped.
    trips = ts.trips_for(srv.http_port, 1.5)
    busy = socket.create_connection(("127.0.0.1", srv.http_port), timeout=120)
    busy.sendall(ts.request_bytes("POST", "/v2/models/slow/infer", ts.slow_infer_body(trips)))
    time.sleep(0.3)
    requests = [
        ("POST", "/v2/models/slow/infer", ts.slow_infer_body(1)),
        ("POST", "/v2/models/simple/infer", ts.simple_infer_body()[0]),
        ("GET", "/v2/health/ready", b""),
    ]
    for method, path, body in requests:
        with socket.create_connection(("127.0.0.1", srv.http_port), timeout=60) as s:
            s.sendall(ts.request_bytes(method, path, body, {"Content-Type": "application/json"}))
            s.shutdown(socket.SHUT_WR)
            f = s.makefile("rb")
            status, _, data = ts.read_response(f)
            assert status == 200, (path, status, data[:300])
            assert f.read() == b"", "more than one response"  # then the server closes
    status, _, data = ts.read_response(busy.makefile("rb"))
    assert status == 200, data[:300]
    busy.close()


# ---------------------------------------------------------------------------------------
# (18) HEAD answers the GET's status and headers without a body.


def test_head_is_get_without_body(start_server, repo):
    srv = start_server(repo)
    paths = ["/v2/health/ready", "/v2/models/simple", "/v2/models/simple/config", "/v2/models/no_such_model", "/v2"]
    with socket.create_connection(("127.0.0.1", srv.http_port), timeout=30) as s:
        f = s.makefile("rb")
        for path in paths:
            s.sendall(ts.request_bytes("GET", path))
            get_status, get_headers, get_body = ts.read_response(f)
            s.sendall(ts.request_bytes("HEAD", path))
            # read_response would read Content-Length bytes: read the head only.
            status_line = f.readline()
            headers = {}
            while (line := f.readline()) not in (b"\r\n", b""):
                k, _, v = line.decode().partition(":")
                headers[k.strip().lower()] = v.strip()
            assert int(status_line.split()[1]) == get_status, (path, status_line, get_status)
            assert headers.get("content-length") == str(len(get_body)), (path, headers, len(get_body))
            assert headers.get("content-type") == get_headers.get("content-type"), (path, headers)
        # No body followed any HEAD answer: the next response parses right after.
        s.sendall(ts.request_bytes("GET", "/v2/health/live"))
        status, _, _ = ts.read_response(f)
        assert status == 200


# ---------------------------------------------------------------------------------------
# (12) Timeouts: slowloris, idle keep-alive connections, Expect: 100-continue.


def test_slowloris_connections_time_out_with_408(start_server, repo):
    timeout_ms = 3000
    srv = start_server(repo, f"--http_timeout_in_ms={timeout_ms}", "--http_num_threads=2")
    count = 300
    sel = selectors.DefaultSelector()
    socks = []
    try:
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", srv.http_port), timeout=10)
            s.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n")
            s.setblocking(False)
            socks.append(s)
            sel.register(s, selectors.EVENT_READ)
        received = {s: b"" for s in socks}
        closed = set()
        start = time.monotonic()
        normal_answers = 0
        step = 0
        line = b"X-Slow: y\r\n"
        # Dribble a header byte on every connection every 0.25 s; meanwhile a normal
        # client is served; stop when all are closed (bounded: 20 s).
        while len(closed) < count and time.monotonic() - start < 20:
            for s in socks:
                if s not in closed:
                    try:
                        s.send(bytes([line[step % len(line)]]))
                    except OSError:
                        pass
            step += 1
            if normal_answers < 5:
                assert _get(srv.http_port, timeout=10)[0] == 200
                normal_answers += 1
            for key, _ in sel.select(timeout=0.25):
                s = key.fileobj
                try:
                    data = s.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if data:
                    received[s] += data
                else:
                    closed.add(s)
                    sel.unregister(s)
        assert normal_answers == 5
        assert len(closed) == count, f"{count - len(closed)} slow connections still open"
        statuses = {received[s][:12] for s in socks}
        assert statuses == {b"HTTP/1.1 408"}, statuses
        assert all(b"--http_timeout_in_ms" in received[s] for s in socks)
        assert srv.proc.poll() is None
    finally:
        for s in socks:
            s.close()


def test_idle_keep_alive_connection_closes(start_server, repo):
    srv = start_server(repo, "--http_idle_timeout_seconds=1")
    with socket.create_connection(("127.0.0.1", srv.http_port), timeout=10) as s:
        s.sendall(ts.request_bytes("GET", "/v2/health/live"))
        f = s.makefile("rb")
        assert ts.read_response(f)[0] == 200
        s.settimeout(15)
        # The server closes it (a timeout here would raise instead).
        assert s.recv(1) == b"", "the server sent something to an idle connection"


def test_expect_100_continue_without_body_times_out(start_server, repo):
    srv = start_server(repo, "--http_timeout_in_ms=1500")
    with socket.create_connection(("127.0.0.1", srv.http_port), timeout=15) as s:
        s.sendall(
            b"POST /v2/models/simple/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\nExpect: 100-continue\r\n\r\n"
        )
        f = s.makefile("rb")
        assert f.readline().startswith(b"HTTP/1.1 100")
        assert f.readline() == b"\r\n"
        status, headers, body = ts.read_response(f)  # no body sent: 408
        assert status == 408, body[:300]
        assert headers.get("connection") == "close", headers
        assert f.read() == b""


# ---------------------------------------------------------------------------------------
# (13) Out of file descriptors; the connection limit.


def _cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_out_of_descriptors_backs_off(start_server, example_repo, tmp_path):
    limit = 96

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    # --fs_poll_wait_seconds=0: no repository reads while out of descriptors.
    srv = start_server(ts.make_repo(tmp_path, example_repo), "--fs_poll_wait_seconds=0", preexec_fn=low_limit)
    keep = socket.create_connection(("127.0.0.1", srv.http_port), timeout=10)
    kf = keep.makefile("rb")
    keep.sendall(ts.request_bytes("GET", "/v2/health/ready"))
    assert ts.read_response(kf)[0] == 200

    # More connections than the server has descriptors: the rest wait in the backlog.
    extra = []
    try:
        for _ in range(limit + 20):
            extra.append(socket.create_connection(("127.0.0.1", srv.http_port), timeout=10))
        # Wait until the server holds all the descriptors it may.
        fd_dir = f"/proc/{srv.proc.pid}/fd"
        deadline = time.monotonic() + 15
        while len(os.listdir(fd_dir)) < limit - 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(os.listdir(fd_dir)) >= limit - 1, f"{len(os.listdir(fd_dir))} descriptors open of {limit}"
        time.sleep(0.5)
        before = _cpu_seconds(srv.proc.pid)
        time.sleep(2)
        used = _cpu_seconds(srv.proc.pid) - before
        assert used < 0.5, f"the server used {used:.2f} s of CPU in 2 s while out of descriptors (spinning)"
        # The connection it has is still served.
        for _ in range(3):
            keep.sendall(ts.request_bytes("GET", "/v2/health/ready"))
            assert ts.read_response(kf)[0] == 200
        log = srv.log_text()
        assert "cannot accept connections: Too many open files" in log, "no message about accept() failing"
        assert log.count("cannot accept connections") == 1, "logged more than once"
    finally:
        for s in extra:
            s.close()
    # With descriptors back, new connections are accepted again.
    deadline = time.monotonic() + 20
    status = None
    while time.monotonic() < deadline:
        try:
            status = _get(srv.http_port, timeout=5)[0]
            break
        except OSError:
            time.sleep(0.2)
    assert status == 200
    keep.close()


def test_connection_limit(start_server, repo):
    srv = start_server(repo, "--http_max_connections=4")
    held = []
    for _ in range(4):
        s = socket.create_connection(("127.0.0.1", srv.http_port), timeout=10)
        s.sendall(ts.request_bytes("GET", "/v2/health/live"))
        assert ts.read_response(s.makefile("rb"))[0] == 200
        held.append(s)
    # A fifth connection waits in the backlog: connected, but not answered.
    fifth = socket.create_connection(("127.0.0.1", srv.http_port), timeout=10)
    fifth.sendall(ts.request_bytes("GET", "/v2/health/live"))
    fifth.settimeout(1.5)
    with pytest.raises(socket.timeout):
        fifth.recv(1)
    # One closes: the fifth is taken and answered.
    held.pop().close()
    fifth.settimeout(15)
    assert ts.read_response(fifth.makefile("rb"))[0] == 200
    for s in held + [fifth]:
        s.close()
