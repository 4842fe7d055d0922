"""Shared helpers for the integration tests: starting and stopping the server, building
model repositories, running inferences over every protocol, raw HTTP requests."""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException, np_to_triton_dtype

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAKE_MODELS = os.path.join(ROOT, "examples", "make_example_models.py")
LIVE_TIMEOUT_S = 60
STOP_TIMEOUT_S = 45  # the server drains for at most 30 s (--drain_timeout_seconds), then unloads

# Every server started by the tests, so that a failing test can show their logs.
SERVERS = []


def server_binary():
    return os.environ.get("ADLIK_SERVING", os.path.join(ROOT, "build", "bin", "adlik_serving"))


def free_ports(n):
    """n distinct free TCP ports on the loopback interface."""
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


class Server:
    """One adlik_serving process. Its stdout and stderr go to a log file."""

    def __init__(self, model_dir, log_dir, name="server", http=True, grpc=True, extra_args=()):
        self.model_dir = str(model_dir)
        self.name = name
        http_port, grpc_port = free_ports(2)
        self.http_port = http_port if http else 0
        self.grpc_port = grpc_port if grpc else 0
        self.extra_args = list(extra_args)
        self.log_path = os.path.join(str(log_dir), f"{name}.log")
        self.proc = None
        self.returncode = None

    @property
    def http_url(self):
        return f"127.0.0.1:{self.http_port}"

    @property
    def grpc_url(self):
        return f"127.0.0.1:{self.grpc_port}"

    def command(self):
        return [
            server_binary(),
            f"--model_base_path={self.model_dir}",
            f"--http_port={self.http_port}",
            f"--grpc_port={self.grpc_port}",
            *self.extra_args,
        ]

    def start(self):
        binary = server_binary()
        if not os.access(binary, os.X_OK):
            raise RuntimeError(f"server binary {binary} not found (build it, or set ADLIK_SERVING)")
        log = open(self.log_path, "wb")
        try:
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        finally:
            log.close()
        SERVERS.append(self)
        try:
            self.wait_live()
        except BaseException:
            self.kill()
            raise
        return self

    def wait_live(self, timeout=LIVE_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self.proc.returncode} before serving:\n{self.log_tail()}"
                )
            if self._is_live():
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not live after {timeout} s:\n{self.log_tail()}")

    def _is_live(self):
        """Live on every front end it was started with (HTTP starts before gRPC, so a
        live HTTP port alone does not mean gRPC listens yet)."""
        try:
            if self.http_port:
                conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=2)
                try:
                    conn.request("GET", "/v2/health/live")
                    if conn.getresponse().status != 200:
                        return False
                finally:
                    conn.close()
            if not self.grpc_port:
                return True
            client = grpcclient.InferenceServerClient(self.grpc_url)
            try:
                return client.is_server_live(client_timeout=2)
            finally:
                client.close()
        except (OSError, http.client.HTTPException, InferenceServerException):
            return False

    def stop(self, timeout=STOP_TIMEOUT_S):
        """SIGTERM, then wait; returns the exit code (None if it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        self.returncode = self.proc.returncode
        return self.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines=80):
        return "\n".join(self.log_text().splitlines()[-lines:])


# ---------------------------------------------------------------------------------------
# Model repositories


def make_example_repository(out_dir):
    result = subprocess.run(
        [sys.executable, MAKE_MODELS, str(out_dir)], capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        raise RuntimeError(f"make_example_models.py failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


BROKEN_MODELS = ("broken_config", "broken_onnx", "broken_input")


def _simple_config_text(name, input0="INPUT0"):
    return (
        f'name: "{name}"\n'
        'platform: "onnxruntime_onnx"\n'
        "max_batch_size: 8\n"
        "input [\n"
        f'  {{ name: "{input0}" data_type: TYPE_INT32 dims: [ 16 ] }},\n'
        '  { name: "INPUT1" data_type: TYPE_INT32 dims: [ 16 ] }\n'
        "]\n"
        "output [\n"
        '  { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 16 ] },\n'
        '  { name: "OUTPUT1" data_type: TYPE_INT32 dims: [ 16 ] }\n'
        "]\n"
    )


def add_broken_models(repo_dir):
    """Three models that cannot load, next to the good ones:
    broken_config: config.pbtxt does not parse;
    broken_onnx:   model.onnx is not an ONNX file;
    broken_input:  config.pbtxt names an input (NOT_THERE) that the ONNX file lacks."""
    simple_onnx = os.path.join(repo_dir, "simple", "1", "model.onnx")

    def model_dir(name):
        path = os.path.join(repo_dir, name, "1")
        os.makedirs(path, exist_ok=True)
        return os.path.join(repo_dir, name)

    d = model_dir("broken_config")
    with open(os.path.join(d, "config.pbtxt"), "w") as f:
        f.write(
            'name: "broken_config"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 8\n'
            'input [ { name: "INPUT0" ]]] {{ not a config\n'
        )
    shutil.copy(simple_onnx, os.path.join(d, "1", "model.onnx"))

    d = model_dir("broken_onnx")
    with open(os.path.join(d, "config.pbtxt"), "w") as f:
        f.write(_simple_config_text("broken_onnx"))
    with open(os.path.join(d, "1", "model.onnx"), "wb") as f:
        f.write(b"this is not an ONNX model\x00\xff\xfe\x01" * 64)

    d = model_dir("broken_input")
    with open(os.path.join(d, "config.pbtxt"), "w") as f:
        f.write(_simple_config_text("broken_input", input0="NOT_THERE"))
    shutil.copy(simple_onnx, os.path.join(d, "1", "model.onnx"))


# ---------------------------------------------------------------------------------------
# Inference over every protocol

PROTOCOLS = ("http_json", "http_binary", "grpc")


def infer(protocol, url, model, inputs, outputs, class_count=0, version=""):
    """Runs one inference. inputs: dict name -> numpy array (object arrays of bytes for
    BYTES). outputs: the names to request. Returns dict name -> numpy array."""
    if protocol.startswith("http"):
        binary = protocol == "http_binary"
        client = httpclient.InferenceServerClient(url)
        try:
            infer_inputs = []
            for name, array in inputs.items():
                i = httpclient.InferInput(name, list(array.shape), np_to_triton_dtype(array.dtype))
                i.set_data_from_numpy(array, binary_data=binary)
                infer_inputs.append(i)
            requested = [
                httpclient.InferRequestedOutput(n, binary_data=binary, class_count=class_count) for n in outputs
            ]
            result = client.infer(model, infer_inputs, outputs=requested, model_version=version)
            response = result.get_response()
            returned = [o["name"] for o in response["outputs"]]
            assert sorted(returned) == sorted(outputs), f"asked for outputs {outputs}, got {returned}"
            for o in response["outputs"]:
                in_binary = "binary_data_size" in (o.get("parameters") or {})
                assert in_binary == binary, f"output {o['name']} binary={in_binary}, asked binary={binary}: {o}"
                assert in_binary or "data" in o, o
            return {n: result.as_numpy(n) for n in outputs}
        finally:
            client.close()
    assert protocol == "grpc", protocol
    client = grpcclient.InferenceServerClient(url)
    try:
        infer_inputs = []
        for name, array in inputs.items():
            i = grpcclient.InferInput(name, list(array.shape), np_to_triton_dtype(array.dtype))
            i.set_data_from_numpy(array)
            infer_inputs.append(i)
        requested = [grpcclient.InferRequestedOutput(n, class_count=class_count) for n in outputs]
        result = client.infer(model, infer_inputs, outputs=requested, model_version=version)
        returned = [o.name for o in result.get_response().outputs]
        assert sorted(returned) == sorted(outputs), f"asked for outputs {outputs}, got {returned}"
        return {n: result.as_numpy(n) for n in outputs}
    finally:
        client.close()


def simple_inputs(batch, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.integers(-(2**20), 2**20, size=(batch, 16), dtype=np.int32)
    b = rng.integers(-(2**20), 2**20, size=(batch, 16), dtype=np.int32)
    return a, b


def check_simple(url, protocol="http_json", batch=1, seed=12345):
    """One good inference on `simple`; asserts the exact result."""
    a, b = simple_inputs(batch, seed)
    out = infer(protocol, url, "simple", {"INPUT0": a, "INPUT1": b}, ["OUTPUT0", "OUTPUT1"])
    np.testing.assert_array_equal(out["OUTPUT0"], a + b)
    np.testing.assert_array_equal(out["OUTPUT1"], a - b)


# ---------------------------------------------------------------------------------------
# Raw HTTP


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def error(self):
        """The `error` string of a JSON error body (asserts the body has that form)."""
        try:
            doc = self.json()
        except ValueError as e:
            raise AssertionError(f"error body is not JSON: {self.body[:300]!r}") from e
        assert isinstance(doc, dict) and isinstance(doc.get("error"), str), f"no error string in {doc!r}"
        assert doc["error"].strip(), "empty error message"
        return doc["error"]

    def __repr__(self):
        return f"<HTTP {self.status} {self.body[:300]!r}>"


def http_request(url, method, path, body=None, headers=None, timeout=30):
    host, port = url.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return Response(r.status, r.msg, r.read())
    finally:
        conn.close()


def binary_body(header, blobs):
    """Body and headers of a binary-extension request: JSON header, then the blobs."""
    head = json.dumps(header).encode()
    body = head + b"".join(blobs)
    return body, {"Inference-Header-Content-Length": str(len(head)), "Content-Type": "application/octet-stream"}


def split_binary_response(response):
    """(json header, remaining bytes) of a response that may carry binary outputs."""
    n = response.headers.get("Inference-Header-Content-Length")
    if n is None:
        return json.loads(response.body), b""
    n = int(n)
    return json.loads(response.body[:n]), response.body[n:]


def serialize_bytes(values):
    out = b""
    for v in values:
        out += len(v).to_bytes(4, "little") + v
    return out
