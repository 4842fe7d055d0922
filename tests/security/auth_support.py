"""Helpers for the authentication and gRPC error tests: reuses tests/integration/support.py
(starting the real adlik_serving on free ports) and adds token files, raw gRPC calls and
curl. Imported by the test modules here, which define their own fixtures."""

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import grpc  # noqa: E402
import support  # noqa: E402

# Tokens of the test token file, one per group, and one with every group.
TOKENS = {
    "infer": "infer-token-0123456789abcdef",
    "metadata": "metadata-token-0123456789abcdef",
    "admin": "admin-token-0123456789abcdef",
    "metrics": "metrics-token-0123456789abcdef",
    "all": "all-token-0123456789abcdef",
}


def token_file_text(tokens=None):
    tokens = TOKENS if tokens is None else tokens
    lines = ["# test tokens: TOKEN GROUP[,GROUP...]", ""]
    for group, token in tokens.items():
        groups = "infer,metadata,admin,metrics" if group == "all" else group
        lines.append(f"{token} {groups}   # {group}")
    return "\n".join(lines) + "\n"


def bearer(group):
    return {"Authorization": f"Bearer {TOKENS[group]}"}


def grpc_metadata(group):
    """gRPC metadata keys are lower case."""
    return {"authorization": f"Bearer {TOKENS[group]}"}


def raw_unary(url, method, payload, metadata=(), timeout=30):
    """Sends `payload` (bytes, not serialized again) to `method` ("/pkg.Service/Method").
    Returns (code, details, response bytes or None)."""
    channel = grpc.insecure_channel(url)
    try:
        call = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
        try:
            response = call(payload, metadata=tuple(metadata), timeout=timeout)
            return grpc.StatusCode.OK, "", response
        except grpc.RpcError as e:
            return e.code(), e.details() or "", None
    finally:
        channel.close()


def curl(url, path, method="GET", headers=None, data=None):
    """(status, headers text, body) of a curl request to 127.0.0.1."""
    cmd = ["curl", "-sS", "-X", method, "-D", "-", "-o", "-", f"http://{url}{path}"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    if data is not None:
        cmd += ["-H", "Content-Type: application/json", "--data-binary", data]
    out = subprocess.run(cmd, capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr.decode()
    text = out.stdout.decode("utf-8", "replace")
    head, _, body = text.partition("\r\n\r\n")
    status = int(head.split()[1])
    return status, head, body


def wait_for(predicate, what, timeout=60):
    """Polls `predicate` until it is true; fails with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def start_server(repo, log_dir, name, *args, http=True, grpc_on=True):
    return support.Server(repo, log_dir, name=name, http=http, grpc=grpc_on, extra_args=list(args)).start()


def run_to_exit(repo, *args, timeout=60):
    """Runs adlik_serving with `args` on free ports and expects it to exit on its own.
    Returns (exit code, output)."""
    http_port, grpc_port = support.free_ports(2)
    cmd = [
        support.server_binary(),
        f"--model_base_path={repo}",
        f"--http_port={http_port}",
        f"--grpc_port={grpc_port}",
        *args,
    ]
    out = subprocess.run(cmd, capture_output=True, timeout=timeout)
    return out.returncode, (out.stdout + out.stderr).decode("utf-8", "replace")
