"""SIGTERM: requests in flight complete, then the server exits with code 0."""

import http.client
import os
import shutil
import threading
import time

import numpy as np
import onnx
import pytest
import tritonclient.grpc as grpcclient
from onnx import TensorProto, helper, numpy_helper

import support

SIZE = 256


def slow_model():
    """y = x; n times: y = tanh(y @ W). Inputs x FP32 [256, 256], n INT64 [1] (the trip
    count, so a test can choose how long a request takes). No config: auto-completed."""
    rng = np.random.default_rng(1)
    w = numpy_helper.from_array((rng.standard_normal((SIZE, SIZE)) / np.sqrt(SIZE)).astype(np.float32), "W")
    body = helper.make_graph(
        [
            helper.make_node("MatMul", ["y_in", "W"], ["prod"]),
            helper.make_node("Tanh", ["prod"], ["y_out"]),
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
        ],
        "body",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("y_in", TensorProto.FLOAT, [SIZE, SIZE]),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("y_out", TensorProto.FLOAT, [SIZE, SIZE]),
        ],
    )
    graph = helper.make_graph(
        [
            helper.make_node("Squeeze", ["n", "axes"], ["trips"]),
            helper.make_node("Loop", ["trips", "true", "x"], ["y"], body=body),
        ],
        "slow",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [SIZE, SIZE]),
            helper.make_tensor_value_info("n", TensorProto.INT64, [1]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [SIZE, SIZE])],
        initializer=[
            w,
            numpy_helper.from_array(np.array([0], dtype=np.int64), "axes"),
            numpy_helper.from_array(np.array(True), "true"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


@pytest.fixture
def shutdown_server(tmp_path, example_repo, log_dir):
    repo = tmp_path / "repo"
    shutil.copytree(example_repo / "simple", repo / "simple")
    os.makedirs(repo / "slow" / "1")
    onnx.save(slow_model(), str(repo / "slow" / "1" / "model.onnx"))
    srv = support.Server(repo, log_dir, name="shutdown").start()
    yield srv
    srv.kill()


def _slow_http(url, x, n):
    body = {
        "inputs": [
            {"name": "x", "shape": [SIZE, SIZE], "datatype": "FP32", "parameters": {"binary_data_size": x.nbytes}},
            {"name": "n", "shape": [1], "datatype": "INT64", "data": [n]},
        ],
        "outputs": [{"name": "y", "parameters": {"binary_data": True}}],
    }
    data, headers = support.binary_body(body, [x.tobytes()])
    r = support.http_request(url, "POST", "/v2/models/slow/infer", data, headers, timeout=120)
    assert r.status == 200, r
    doc, blob = support.split_binary_response(r)
    return np.frombuffer(blob, dtype=np.float32).reshape(doc["outputs"][0]["shape"])


def _slow_grpc(url, x, n):
    client = grpcclient.InferenceServerClient(url)
    try:
        ix = grpcclient.InferInput("x", [SIZE, SIZE], "FP32")
        ix.set_data_from_numpy(x)
        inn = grpcclient.InferInput("n", [1], "INT64")
        inn.set_data_from_numpy(np.array([n], dtype=np.int64))
        return client.infer("slow", [ix, inn], client_timeout=120).as_numpy("y")
    finally:
        client.close()


def _reference(x, n):
    w = numpy_helper.to_array(slow_model().graph.initializer[0])
    y = x
    for _ in range(n):
        y = np.tanh(y @ w)
    return y


def test_sigterm_finishes_requests_in_flight(shutdown_server):
    srv = shutdown_server
    x = np.random.default_rng(2).standard_normal((SIZE, SIZE)).astype(np.float32)

    # The auto-completed signature: no batching, the ONNX shapes.
    r = support.http_request(srv.http_url, "GET", "/v2/models/slow")
    assert r.status == 200, r
    meta = r.json()
    assert [(t["name"], t["datatype"], t["shape"]) for t in meta["inputs"]] == [
        ("x", "FP32", [SIZE, SIZE]),
        ("n", "INT64", [1]),
    ]

    # How long does a request take here? Grow the trip count until one takes 0.3 s or
    # more, then aim for requests of about 2 s.
    np.testing.assert_allclose(_slow_http(srv.http_url, x, 20), _reference(x, 20), atol=1e-4)
    n = 20
    while True:
        start = time.monotonic()
        _slow_http(srv.http_url, x, n)
        took = time.monotonic() - start
        if took >= 0.3 or n >= 100000:
            break
        n *= 4
    n = int(min(max(n * 2.0 / took, 20), 200000))

    # An idle keep-alive connection must not hold the shutdown up.
    idle = http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=30)
    idle.request("GET", "/v2/health/live")
    assert idle.getresponse().status == 200

    results = {}

    def call(key, fn, url, k):
        try:
            results[key] = ("ok", fn(url, x, n + k))
        except BaseException as e:  # noqa: BLE001 - reported below
            results[key] = ("error", f"{type(e).__name__}: {e}")

    threads = []
    for k in range(2):
        threads.append(threading.Thread(target=call, args=(f"http{k}", _slow_http, srv.http_url, k)))
        threads.append(threading.Thread(target=call, args=(f"grpc{k}", _slow_grpc, srv.grpc_url, k)))
    sent = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(0.5)  # the requests are now running inside the server
    early = {k: v[0] for k, v in results.items()}
    assert all(t.is_alive() for t in threads), f"requests finished before SIGTERM: {early}"
    code = srv.stop(timeout=120)
    stopped = time.monotonic()
    for t in threads:
        t.join(timeout=120)
    idle.close()

    errors = {k: v[1] for k, v in results.items() if v[0] != "ok"}
    assert not errors, errors
    assert len(results) == 4
    for k, (_, y) in results.items():
        assert y.shape == (SIZE, SIZE), (k, y.shape)
        assert np.isfinite(y).all()
    assert code == 0, f"exit code {code} after SIGTERM (None: did not exit in 120 s)"
    assert stopped - sent >= 1.0, "the server exited before its requests could have finished"


def test_sigterm_when_idle(example_repo, log_dir):
    srv = support.Server(example_repo, log_dir, name="idle_shutdown").start()
    support.check_simple(srv.http_url)
    support.check_simple(srv.grpc_url, "grpc")
    start = time.monotonic()
    code = srv.stop(timeout=30)
    assert code == 0, f"exit code {code}"
    assert time.monotonic() - start < 10, "an idle server took over 10 s to stop"
    assert "Entering the event loop" in srv.log_text()

