"""A compressed request body is bounded by --http_max_body_mb as it inflates: a small
gzip or deflate body that would inflate to 256 MiB gets 413, and the server never holds
more than about the limit (its peak resident memory grows far less than 256 MiB)."""

import http.client
import json
import zlib

import pytest

from test_hostile_requests import assert_serving


def _bomb(wbits, size=256 << 20):
    """`size` zero bytes compressed (gzip: wbits 31, zlib: 15), made in pieces."""
    c = zlib.compressobj(9, zlib.DEFLATED, wbits)
    chunk = bytes(1 << 20)
    parts = [c.compress(chunk) for _ in range(size // len(chunk))]
    parts.append(c.flush())
    return b"".join(parts)


def _peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc/PID/status")


@pytest.mark.parametrize("coding,wbits", [("gzip", 31), ("deflate", 15)])
def test_compressed_body_inflating_past_the_limit_is_413(repo, start_server, coding, wbits):
    srv = start_server(repo, "--model_control_mode=explicit", "--load_model=simple",
                       "--http_max_body_mb=4")
    bomb = _bomb(wbits)
    # The server's own size differs by build (an ASan build is far larger): measure growth.
    before = _peak_rss_kib(srv.proc.pid)
    assert len(bomb) < 4 << 20  # within the limit as sent
    conn = http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=60)
    try:
        conn.request("POST", "/v2/models/simple/infer", body=bomb, headers={"Content-Encoding": coding})
        r = conn.getresponse()
        status, text = r.status, r.read()
    finally:
        conn.close()
    assert status == 413, text
    message = json.loads(text)["error"]
    assert coding in message and str(4 << 20) in message and "--http_max_body_mb" in message, message
    peak = _peak_rss_kib(srv.proc.pid)
    assert peak - before < 128 * 1024, (
        f"peak RSS grew from {before} to {peak} KiB: the server inflated far past the limit")
    assert_serving(srv)
