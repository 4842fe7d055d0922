"""TLS on the HTTP, gRPC and metrics ports from --ssl_config_file (the original Adlik's
SSLConfig in protobuf text format): HTTPS, gRPC over TLS, mutual TLS, and bad files
refused at start with a message."""

import http.client
import socket
import ssl
import subprocess
import time

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

import certs as certs_module
import support


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return certs_module.make_certs(tmp_path_factory.mktemp("certs"))


def _context(certs, client_cert=False):
    ctx = ssl.create_default_context(cafile=certs.ca)
    if client_cert:
        ctx.load_cert_chain(certs.client_cert, certs.client_key)
    return ctx


def _https_get(port, path, ctx, timeout=10):
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def _wait_live_tls(srv, ctx, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if srv.proc.poll() is not None:
            raise RuntimeError(f"{srv.name} exited with code {srv.proc.returncode}:\n{srv.log_tail()}")
        try:
            if _https_get(srv.http_port, "/v2/health/live", ctx, timeout=2)[0] == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{srv.name} not live over HTTPS after {timeout} s:\n{srv.log_tail()}")


def _curl(*args):
    return subprocess.run(["curl", "-sS", "--max-time", "10", *args], capture_output=True, text=True, timeout=30)


def _http_infer(client):
    a, b = support.simple_inputs(2, seed=7)
    inputs = [httpclient.InferInput("INPUT0", list(a.shape), "INT32"), httpclient.InferInput("INPUT1", list(b.shape), "INT32")]
    inputs[0].set_data_from_numpy(a)
    inputs[1].set_data_from_numpy(b)
    result = client.infer("simple", inputs)
    np.testing.assert_array_equal(result.as_numpy("OUTPUT0"), a + b)


def _grpc_infer(client):
    a, b = support.simple_inputs(2, seed=8)
    inputs = [grpcclient.InferInput("INPUT0", list(a.shape), "INT32"), grpcclient.InferInput("INPUT1", list(b.shape), "INT32")]
    inputs[0].set_data_from_numpy(a)
    inputs[1].set_data_from_numpy(b)
    result = client.infer("simple", inputs, client_timeout=10)
    np.testing.assert_array_equal(result.as_numpy("OUTPUT1"), a - b)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def test_https_grpc_tls_and_metrics(start_server, repo, certs, tmp_path):
    config = certs_module.write_ssl_config(tmp_path / "ssl.pbtxt", certs)
    metrics_port = support.free_ports(1)[0]
    srv = start_server(
        repo, f"--ssl_config_file={config}", f"--metrics_port={metrics_port}", "--http_timeout_in_ms=1500", wait_live=False
    )
    _wait_live_tls(srv, _context(certs))
    assert "HTTPS (KServe v2 REST) listening" in srv.log_text()

    # A connection that never starts its TLS handshake is closed after the timeout.
    with socket.create_connection(("127.0.0.1", srv.http_port), timeout=15) as quiet:
        start = time.monotonic()
        assert quiet.recv(1) == b""
        assert time.monotonic() - start >= 1.0, "closed before --http_timeout_in_ms"

    # tritonclient over HTTPS, verifying the server against the test CA.
    client = httpclient.InferenceServerClient(srv.http_url, ssl=True, ssl_options={"ca_certs": certs.ca})
    try:
        assert client.is_server_ready()
        _http_infer(client)
    finally:
        client.close()
    # curl, verifying the server's name (localhost is in the certificate's SAN).
    r = _curl("--cacert", certs.ca, f"https://localhost:{srv.http_port}/v2/health/ready", "-o", "/dev/null",
              "-w", "%{http_code}")  # fmt: skip
    assert r.returncode == 0 and r.stdout == "200", (r.returncode, r.stdout, r.stderr)
    # HEAD over TLS too.
    r = _curl("--cacert", certs.ca, "-I", f"https://127.0.0.1:{srv.http_port}/v2/models/simple")
    assert r.returncode == 0 and r.stdout.startswith("HTTP/1.1 200"), (r.stdout, r.stderr)
    # An untrusted client refuses the server; plain HTTP gets no HTTP answer.
    r = _curl(f"https://127.0.0.1:{srv.http_port}/v2/health/ready")
    assert r.returncode != 0, "curl trusted the test server without its CA"
    r = _curl(f"http://127.0.0.1:{srv.http_port}/v2/health/ready", "-o", "/dev/null", "-w", "%{http_code}")
    assert r.stdout != "200", "plain HTTP answered on the TLS port"
    # The metrics port is TLS too.
    r = _curl("--cacert", certs.ca, f"https://127.0.0.1:{metrics_port}/metrics")
    assert r.returncode == 0 and "# TYPE" in r.stdout, (r.stdout[:300], r.stderr)
    r = _curl(f"http://127.0.0.1:{metrics_port}/metrics", "-o", "/dev/null", "-w", "%{http_code}")
    assert r.stdout != "200", "plain HTTP answered on the TLS metrics port"

    # gRPC over TLS.
    grpc = grpcclient.InferenceServerClient(srv.grpc_url, ssl=True, root_certificates=certs.ca)
    try:
        assert grpc.is_server_live(client_timeout=10)
        _grpc_infer(grpc)
    finally:
        grpc.close()
    plain = grpcclient.InferenceServerClient(srv.grpc_url)
    try:
        with pytest.raises(InferenceServerException):
            plain.is_server_live(client_timeout=5)
    finally:
        plain.close()


def test_mutual_tls(start_server, repo, certs, tmp_path):
    config = certs_module.write_ssl_config(tmp_path / "mtls.pbtxt", certs, client_verify=True)
    srv = start_server(repo, f"--ssl_config_file={config}", wait_live=False)
    _wait_live_tls(srv, _context(certs, client_cert=True))
    url = f"https://127.0.0.1:{srv.http_port}/v2/health/ready"

    # With a client certificate signed by custom_ca: accepted.
    r = _curl("--cacert", certs.ca, "--cert", certs.client_cert, "--key", certs.client_key, url, "-o", "/dev/null",
              "-w", "%{http_code}")  # fmt: skip
    assert r.returncode == 0 and r.stdout == "200", (r.returncode, r.stdout, r.stderr)
    client = httpclient.InferenceServerClient(
        srv.http_url,
        ssl=True,
        ssl_options={"ca_certs": certs.ca, "certfile": certs.client_cert, "keyfile": certs.client_key},
    )
    try:
        _http_infer(client)
    finally:
        client.close()
    grpc = grpcclient.InferenceServerClient(
        srv.grpc_url,
        ssl=True,
        root_certificates=certs.ca,
        private_key=certs.client_key,
        certificate_chain=certs.client_cert,
    )
    try:
        _grpc_infer(grpc)
    finally:
        grpc.close()

    # Without one: refused, over both protocols.
    r = _curl("--cacert", certs.ca, url, "-o", "/dev/null", "-w", "%{http_code}")
    assert r.returncode != 0 and r.stdout != "200", (r.returncode, r.stdout, r.stderr)
    with pytest.raises((ssl.SSLError, OSError, http.client.HTTPException)):
        _https_get(srv.http_port, "/v2/health/ready", _context(certs))
    client = httpclient.InferenceServerClient(srv.http_url, ssl=True, ssl_options={"ca_certs": certs.ca})
    try:
        with pytest.raises(Exception):
            client.is_server_ready()
    finally:
        client.close()
    grpc = grpcclient.InferenceServerClient(srv.grpc_url, ssl=True, root_certificates=certs.ca)
    try:
        with pytest.raises(InferenceServerException):
            grpc.is_server_live(client_timeout=5)
    finally:
        grpc.close()
    # A client certificate from another CA: refused.
    other = certs_module.make_certs(tmp_path / "other")
    r = _curl("--cacert", certs.ca, "--cert", other.client_cert, "--key", other.client_key, url, "-o", "/dev/null",
              "-w", "%{http_code}")  # fmt: skip
    assert r.returncode != 0 and r.stdout != "200", (r.returncode, r.stdout, r.stderr)
    # The server goes on serving clients that have one.
    assert _https_get(srv.http_port, "/v2/health/ready", _context(certs, client_cert=True))[0] == 200


def _bad_configs(certs, tmp_path):
    key, cert, ca = (certs.read(n) for n in ("server.key", "server.pem", "ca.pem"))
    other = certs_module.make_certs(tmp_path / "other")
    q = certs_module._text_string
    return {
        "missing_file": (str(tmp_path / "nope.pbtxt"), "cannot open"),
        "bad_text": ('server_key: "x"\nserver_cert: "y"\nno_such_field: 1\n', ":3:"),
        "no_key": (f"server_cert: {q(cert)}\n", "server_key is missing"),
        "no_cert": (f"server_key: {q(key)}\n", "server_cert is missing"),
        "key_not_pem": (f'server_key: "not a key"\nserver_cert: {q(cert)}\n', "server_key is not a PEM private key"),
        "cert_not_pem": (
            f"server_key: {q(key)}\nserver_cert: {q(cert[:200])}\n",
            "server_cert is not a PEM certificate",
        ),
        "key_of_other_cert": (
            f"server_key: {q(other.read('server.key'))}\nserver_cert: {q(cert)}\n",
            "server_key is not the private key of server_cert",
        ),
        "verify_without_ca": (f"server_key: {q(key)}\nserver_cert: {q(cert)}\nclient_verify: true\n", "custom_ca is empty"),
        "ca_not_pem": (
            f'server_key: {q(key)}\nserver_cert: {q(cert)}\ncustom_ca: "junk"\nclient_verify: true\n',
            "custom_ca is not a PEM certificate",
        ),
        "ok_for_reference": (f"server_key: {q(key)}\nserver_cert: {q(cert)}\ncustom_ca: {q(ca)}\n", None),
    }


def test_bad_ssl_config_refused_at_start(start_server, repo, certs, tmp_path):
    for name, (text, message) in _bad_configs(certs, tmp_path).items():
        if name == "missing_file":
            path = text
        else:
            path = str(tmp_path / f"{name}.pbtxt")
            with open(path, "w") as f:
                f.write(text)
        srv = start_server(
            repo, f"--ssl_config_file={path}", name=f"bad_ssl_{name}", wait_live=False, expect_exit=message is not None
        )
        if message is None:
            _wait_live_tls(srv, _context(certs))
            continue
        code = srv.proc.wait(timeout=60)
        log = srv.log_text()
        assert code == 2, f"{name}: exit code {code}\n{log[-2000:]}"
        assert "--ssl_config_file" in log and message in log, f"{name}: expected {message!r} in:\n{log[-2000:]}"
        assert path in log, f"{name}: the message does not name the file:\n{log[-2000:]}"
