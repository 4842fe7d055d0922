"""Helpers of the scheduler tests: a slow batching model, model repositories with
config.pbtxt variants, inference calls that report errors instead of raising, the
statistics and the Prometheus metrics of a running server."""

import http.client
import json
import os
import shutil
import socket
import sys
import threading
import time

import numpy as np
import onnx
import tritonclient.grpc as grpcclient
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import support  # noqa: E402  (tests/integration/support.py)

STATE = 256  # the loop state is STATE x STATE; one trip is one STATE^3 MatMul
WIDTH = 4  # x is FP32 [batch, WIDTH]


def slow_model():
    """A model that batches and takes as long as a request asks.

    Inputs  x FP32 [batch, 4], n INT64 [batch, 1].
    Output  y FP32 [batch, 4] = 2 * x, exactly.
    It first runs max(n) trips of a Loop whose body is a 256x256 MatMul and a Tanh on a
    state that does not depend on x, and adds 0 * sum(state) to y: so the time of an
    execution grows with the largest n of its batch while y stays exact."""
    rng = np.random.default_rng(1)
    w = (rng.standard_normal((STATE, STATE)) / np.sqrt(STATE)).astype(np.float32)
    body = helper.make_graph(
        [
            helper.make_node("MatMul", ["s_in", "W"], ["prod"]),
            helper.make_node("Tanh", ["prod"], ["s_out"]),
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
        ],
        "body",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("s_in", TensorProto.FLOAT, [STATE, STATE]),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("s_out", TensorProto.FLOAT, [STATE, STATE]),
        ],
    )
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMax", ["n"], ["trips"], keepdims=0),
            helper.make_node("Loop", ["trips", "true", "W"], ["state"], body=body),
            helper.make_node("ReduceSum", ["state"], ["total"], keepdims=0),
            helper.make_node("Mul", ["total", "zero"], ["nothing"]),
            helper.make_node("Mul", ["x", "two"], ["doubled"]),
            helper.make_node("Add", ["doubled", "nothing"], ["y"]),
        ],
        "slow",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", WIDTH]),
            helper.make_tensor_value_info("n", TensorProto.INT64, ["batch", 1]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", WIDTH])],
        initializer=[
            numpy_helper.from_array(w, "W"),
            numpy_helper.from_array(np.array(True), "true"),
            numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero"),
            numpy_helper.from_array(np.array(2.0, dtype=np.float32), "two"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def trips_per_second(samples=3):
    """How many Loop trips of slow_model() one thread runs per second, measured with
    ONNX Runtime in this process (the servers of these tests run with --cores=1, so each
    of their instances also runs on one thread)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(slow_model().SerializeToString(), options, providers=["CPUExecutionProvider"])
    x = np.zeros((1, WIDTH), dtype=np.float32)
    trips = 100
    session.run(None, {"x": x, "n": np.array([[trips]], dtype=np.int64)})
    best = None
    for _ in range(samples):
        start = time.perf_counter()
        session.run(None, {"x": x, "n": np.array([[trips]], dtype=np.int64)})
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    return trips / max(best, 1e-6)


# ---------------------------------------------------------------------------------------
# Repositories


def tensor_block(kind, tensors):
    items = ",\n".join(f'  {{ name: "{n}" data_type: {t} dims: [ {", ".join(map(str, d))} ] }}' for n, t, d in tensors)
    return f"{kind} [\n{items}\n]\n"


def slow_config(name, max_batch_size=1, extra=""):
    return (
        f'name: "{name}"\nplatform: "onnxruntime_onnx"\nmax_batch_size: {max_batch_size}\n'
        + tensor_block("input", [("x", "TYPE_FP32", [WIDTH]), ("n", "TYPE_INT64", [1])])
        + tensor_block("output", [("y", "TYPE_FP32", [WIDTH])])
        + extra
    )


def simple_config(name, extra=""):
    return (
        f'name: "{name}"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 8\n'
        + tensor_block("input", [("INPUT0", "TYPE_INT32", [16]), ("INPUT1", "TYPE_INT32", [16])])
        + tensor_block("output", [("OUTPUT0", "TYPE_INT32", [16]), ("OUTPUT1", "TYPE_INT32", [16])])
        + extra
    )


def build_repository(repo, models, example_repo):
    """models: name -> (kind, config text); kind "slow" (slow_model()) or "simple" (the
    example model's ONNX file)."""
    slow_bytes = None
    for name, (kind, config) in models.items():
        version_dir = os.path.join(str(repo), name, "1")
        os.makedirs(version_dir, exist_ok=True)
        target = os.path.join(version_dir, "model.onnx")
        if kind == "slow":
            if slow_bytes is None:
                slow_bytes = slow_model().SerializeToString()
            with open(target, "wb") as f:
                f.write(slow_bytes)
        elif kind == "simple":
            shutil.copy(os.path.join(str(example_repo), "simple", "1", "model.onnx"), target)
        else:
            raise ValueError(kind)
        with open(os.path.join(str(repo), name, "config.pbtxt"), "w") as f:
            f.write(config)


# ---------------------------------------------------------------------------------------
# Calls. Each returns an Outcome instead of raising, so that threads can report.


class Outcome:
    def __init__(self, ok, value=None, status=None, message="", started=0.0):
        self.ok = ok
        self.value = value  # the output array when ok
        self.status = status  # HTTP status (int) or gRPC status name (str) when not ok
        self.message = message
        self.started = started
        self.finished = time.monotonic()

    @property
    def seconds(self):
        return self.finished - self.started

    def __repr__(self):
        if self.ok:
            return f"<ok after {self.seconds:.3f} s>"
        return f"<{self.status} after {self.seconds:.3f} s: {self.message[:200]}>"


def slow_inputs(rows, seed):
    return np.random.default_rng(seed).standard_normal((rows, WIDTH)).astype(np.float32)


def http_slow(url, model, x, trips, parameters=None, timeout=120):
    """POST /v2/models/MODEL/infer with JSON tensors; `parameters` go in the request."""
    started = time.monotonic()
    body = {
        "inputs": [
            {"name": "x", "shape": list(x.shape), "datatype": "FP32", "data": x.flatten().tolist()},
            {"name": "n", "shape": [x.shape[0], 1], "datatype": "INT64", "data": [int(trips)] * x.shape[0]},
        ]
    }
    if parameters:
        body["parameters"] = parameters
    try:
        r = support.http_request(url, "POST", f"/v2/models/{model}/infer", body, timeout=timeout)
    except (OSError, http.client.HTTPException) as e:
        return Outcome(False, status="connection", message=f"{type(e).__name__}: {e}", started=started)
    if r.status != 200:
        try:
            message = r.error()
        except AssertionError as e:
            message = f"(no JSON error) {e}"
        return Outcome(False, status=r.status, message=message, started=started)
    out = r.json()["outputs"]
    assert [o["name"] for o in out] == ["y"], out
    y = np.array(out[0]["data"], dtype=np.float32).reshape(out[0]["shape"])
    return Outcome(True, value=y, started=started)


def grpc_slow(url, model, x, trips, priority=0, timeout=None, client_timeout=120):
    """ModelInfer through tritonclient; priority= and timeout= as tritonclient sends them."""
    started = time.monotonic()
    client = grpcclient.InferenceServerClient(url)
    try:
        ix = grpcclient.InferInput("x", list(x.shape), "FP32")
        ix.set_data_from_numpy(x)
        inn = grpcclient.InferInput("n", [x.shape[0], 1], "INT64")
        inn.set_data_from_numpy(np.full((x.shape[0], 1), trips, dtype=np.int64))
        result = client.infer(
            model, [ix, inn], priority=priority, timeout=timeout, client_timeout=client_timeout
        )
        return Outcome(True, value=result.as_numpy("y"), started=started)
    except support.InferenceServerException as e:
        status = str(e.status() or "").replace("StatusCode.", "")
        return Outcome(False, status=status, message=e.message() or str(e), started=started)
    finally:
        client.close()


class Background:
    """Runs fn(*args) on a thread; join() returns what it returned (or raises what it
    raised)."""

    def __init__(self, fn, *args, **kwargs):
        self._result = None
        self._error = None

        def run():
            try:
                self._result = fn(*args, **kwargs)
            except BaseException as e:  # noqa: BLE001 - re-raised by join()
                self._error = e

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def alive(self):
        return self._thread.is_alive()

    def join(self, timeout=120):
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"call still running after {timeout} s"
        if self._error is not None:
            raise self._error
        return self._result


def together(calls, timeout=120):
    """Starts every call (a zero-argument function) at once, on its own thread, and
    returns their results in order."""
    barrier = threading.Barrier(len(calls))

    def gated(call):
        barrier.wait(timeout=30)
        return call()

    running = [Background(gated, c) for c in calls]
    return [b.join(timeout) for b in running]


# ---------------------------------------------------------------------------------------
# Statistics and metrics


def stats(url, model):
    """The model's entry of GET /v2/models/MODEL/stats, with every count as an int."""
    r = support.http_request(url, "GET", f"/v2/models/{model}/stats")
    assert r.status == 200, r
    entries = [m for m in r.json()["model_stats"] if m["name"] == model]
    assert len(entries) == 1, r.json()
    m = entries[0]
    flat = {
        "inference_count": int(m.get("inference_count", 0)),
        "execution_count": int(m.get("execution_count", 0)),
    }
    for kind in ("success", "fail", "queue", "compute_input", "compute_infer", "compute_output"):
        entry = m.get("inference_stats", {}).get(kind, {})
        flat[kind] = int(entry.get("count", 0))
        flat[kind + "_ns"] = int(entry.get("ns", 0))
    flat["batch_stats"] = {
        int(b["batch_size"]): int(b.get("compute_infer", {}).get("count", 0)) for b in m.get("batch_stats", [])
    }
    return flat


def metrics_text(host_port):
    r = support.http_request(host_port, "GET", "/metrics")
    assert r.status == 200, r
    return r.body.decode("utf-8")


def parse_metrics(text):
    """{family name: family} from prometheus_client's parser of the exposition text."""
    from prometheus_client.parser import text_string_to_metric_families

    return {f.name: f for f in text_string_to_metric_families(text)}


def sample(families, family, model, sample_name=None, **labels):
    """The value of the sample of `family` labelled model=MODEL version=1 (and `labels`)."""
    want = {"model": model, "version": "1", **labels}
    names = {sample_name or family}
    if sample_name is None and families[family].type == "counter":
        names.add(family + "_total")  # the parser's name for a counter's sample
    values = [
        s.value
        for s in families[family].samples
        if s.name in names and all(s.labels.get(k) == v for k, v in want.items())
    ]
    assert len(values) == 1, (family, names, want, families[family].samples)
    return values[0]


def pending(url, model):
    return int(sample(parse_metrics(metrics_text(url)), "adlik_inference_pending_request_count", model))


def wait_pending(url, model, n, timeout=30):
    """Waits until MODEL has exactly n requests waiting in its queue."""
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = pending(url, model)
        if seen == n:
            return
        time.sleep(0.01)
    raise AssertionError(f"model {model}: {seen} requests queued after {timeout} s, waited for {n}")


def open_infer_socket(url, model, x, trips):
    """Sends an HTTP infer request on a raw socket and returns the socket, without
    reading the answer (so that the caller can hang up)."""
    host, port = url.rsplit(":", 1)
    body = json.dumps(
        {
            "inputs": [
                {"name": "x", "shape": list(x.shape), "datatype": "FP32", "data": x.flatten().tolist()},
                {"name": "n", "shape": [x.shape[0], 1], "datatype": "INT64", "data": [int(trips)] * x.shape[0]},
            ]
        }
    ).encode()
    sock = socket.create_connection((host, int(port)), timeout=30)
    head = (
        f"POST /v2/models/{model}/infer HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock.sendall(head + body)
    return sock


def grpc_int64_priority(url, model, x, trips, priority):
    """ModelInfer with the priority in InferParameter.int64_param (None: not set), sent
    with tritonclient's generated stubs (its infer() sends priority as uint64_param)."""
    import grpc
    from tritonclient.grpc import service_pb2, service_pb2_grpc

    started = time.monotonic()
    request = service_pb2.ModelInferRequest(model_name=model)
    if priority is not None:
        request.parameters["priority"].int64_param = priority
    for name, dtype, shape, data in (
        ("x", "FP32", list(x.shape), x.astype("<f4").tobytes()),
        ("n", "INT64", [x.shape[0], 1], np.full((x.shape[0], 1), trips, dtype="<i8").tobytes()),
    ):
        t = request.inputs.add()
        t.name, t.datatype = name, dtype
        t.shape.extend(shape)
        request.raw_input_contents.append(data)
    channel = grpc.insecure_channel(url)
    try:
        response = service_pb2_grpc.GRPCInferenceServiceStub(channel).ModelInfer(request, timeout=120)
    except grpc.RpcError as e:
        return Outcome(False, status=e.code().name, message=e.details() or "", started=started)
    finally:
        channel.close()
    out = response.outputs[0]
    assert out.name == "y", response
    y = np.frombuffer(response.raw_output_contents[0], dtype="<f4").reshape(list(out.shape))
    return Outcome(True, value=y, started=started)
