"""The C++ client library (clients/) through its example, adlik_simple_client, against a
running server: exact sums and differences over HTTP and gRPC, and errors reported."""

import subprocess

import pytest


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_simple_client_gets_exact_results(simple_client_binary, bench_server, protocol):
    url = bench_server.http_url if protocol == "http" else bench_server.grpc_url
    r = subprocess.run([simple_client_binary, protocol, url], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "for all 16 elements" in r.stdout
    assert "model simple, version 1, id example" in r.stdout


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_simple_client_reports_unknown_model(simple_client_binary, bench_server, protocol):
    url = bench_server.http_url if protocol == "http" else bench_server.grpc_url
    r = subprocess.run(
        [simple_client_binary, protocol, url, "no_such_model"], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 1
    assert "NOT_FOUND" in r.stderr and "no_such_model" in r.stderr


def test_simple_client_reports_unreachable_server(simple_client_binary):
    import support

    (port,) = support.free_ports(1)
    r = subprocess.run(
        [simple_client_binary, "http", f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 1
    assert "not live" in r.stderr and "UNAVAILABLE" in r.stderr
