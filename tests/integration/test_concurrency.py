"""Many clients at once: each gets exactly its own results."""

import http.client
import json
import threading

import numpy as np
import tritonclient.grpc as grpcclient

import support

THREADS = 16
REQUESTS = 50


def _run_threads(target, n):
    errors = []
    barrier = threading.Barrier(n)

    def wrapper(index):
        try:
            barrier.wait(timeout=30)
            target(index)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(f"thread {index}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=wrapper, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "threads still running after 120 s"
    assert not errors, "\n".join(errors[:10])


def _request_data(thread, i):
    batch = 1 + (thread + i) % 4
    a = np.full((batch, 16), thread * 100000 + i, dtype=np.int32) + np.arange(16, dtype=np.int32)
    b = np.full((batch, 16), i, dtype=np.int32) - np.arange(batch * 16, dtype=np.int32).reshape(batch, 16)
    return a, b


def _http_infer(conn, a, b, binary, request_id):
    shape = list(a.shape)
    if binary:
        header = {
            "id": request_id,
            "inputs": [
                {"name": "INPUT0", "shape": shape, "datatype": "INT32", "parameters": {"binary_data_size": a.nbytes}},
                {"name": "INPUT1", "shape": shape, "datatype": "INT32", "parameters": {"binary_data_size": b.nbytes}},
            ],
            "outputs": [
                {"name": "OUTPUT0", "parameters": {"binary_data": True}},
                {"name": "OUTPUT1", "parameters": {"binary_data": True}},
            ],
        }
        body, headers = support.binary_body(header, [a.tobytes(), b.tobytes()])
    else:
        doc = {
            "id": request_id,
            "inputs": [
                {"name": "INPUT0", "shape": shape, "datatype": "INT32", "data": a.flatten().tolist()},
                {"name": "INPUT1", "shape": shape, "datatype": "INT32", "data": b.flatten().tolist()},
            ],
        }
        body, headers = json.dumps(doc).encode(), {"Content-Type": "application/json"}
    conn.request("POST", "/v2/models/simple/infer", body=body, headers=headers)
    r = conn.getresponse()
    response = support.Response(r.status, r.msg, r.read())
    assert response.status == 200, response
    doc, blob = support.split_binary_response(response)
    assert doc.get("id") == request_id, (doc.get("id"), request_id)
    outputs = {}
    offset = 0
    for o in doc["outputs"]:
        size = (o.get("parameters") or {}).get("binary_data_size")
        if size is not None:
            outputs[o["name"]] = np.frombuffer(blob[offset : offset + size], dtype="<i4").reshape(o["shape"])
            offset += size
        else:
            outputs[o["name"]] = np.array(o["data"], dtype=np.int32).reshape(o["shape"])
    return outputs


def test_http_concurrent_clients(http_url):
    host, port = http_url.rsplit(":", 1)

    def client(thread):
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        try:
            for i in range(REQUESTS):
                a, b = _request_data(thread, i)
                out = _http_infer(conn, a, b, binary=(thread + i) % 2 == 0, request_id=f"{thread}-{i}")
                np.testing.assert_array_equal(out["OUTPUT0"], a + b)
                np.testing.assert_array_equal(out["OUTPUT1"], a - b)
        finally:
            conn.close()

    _run_threads(client, THREADS)


def test_grpc_concurrent_clients(grpc_url):
    def client(thread):
        c = grpcclient.InferenceServerClient(grpc_url)
        try:
            for i in range(REQUESTS):
                a, b = _request_data(thread, i)
                inputs = []
                for name, value in (("INPUT0", a), ("INPUT1", b)):
                    x = grpcclient.InferInput(name, list(value.shape), "INT32")
                    x.set_data_from_numpy(value)
                    inputs.append(x)
                result = c.infer("simple", inputs, request_id=f"{thread}-{i}")
                assert result.get_response().id == f"{thread}-{i}"
                np.testing.assert_array_equal(result.as_numpy("OUTPUT0"), a + b)
                np.testing.assert_array_equal(result.as_numpy("OUTPUT1"), a - b)
        finally:
            c.close()

    _run_threads(client, THREADS)


def test_concurrent_mixed_models(http_url, grpc_url):
    """Different models at the same time, over both protocols."""

    def client(thread):
        protocol = ("grpc", "http_binary", "http_json")[thread % 3]
        url = grpc_url if protocol == "grpc" else http_url
        for i in range(8):
            kind = (thread + i) % 3
            a, b = _request_data(thread, i)
            if kind == 0:
                out = support.infer(protocol, url, "simple", {"INPUT0": a, "INPUT1": b}, ["OUTPUT0", "OUTPUT1"])
                np.testing.assert_array_equal(out["OUTPUT0"], a + b)
            elif kind == 1:
                sa = np.array([str(v).encode() for v in a.flat], dtype=object).reshape(a.shape)
                sb = np.array([str(v).encode() for v in b.flat], dtype=object).reshape(b.shape)
                out = support.infer(protocol, url, "simple_string", {"INPUT0": sa, "INPUT1": sb}, ["OUTPUT1"])
                got = [int(v.decode() if isinstance(v, bytes) else v) for v in out["OUTPUT1"].flat]
                assert got == (a - b).flatten().tolist()
            else:
                words = np.array([[f"t{thread}-r{i}-{k}".encode() for k in range(3)]], dtype=object)
                out = support.infer(protocol, url, "simple_identity", {"INPUT0": words}, ["OUTPUT0"])
                got = [v.encode() if isinstance(v, str) else v for v in out["OUTPUT0"].flat]
                assert got == words.flatten().tolist()

    _run_threads(client, 12)


def test_concurrent_large_requests(http_url, grpc_url, example_model_file):
    """Batch-8 classifier requests (4.8 MB each) from several threads at once."""
    from onnx.reference import ReferenceEvaluator

    evaluator = ReferenceEvaluator(example_model_file("classifier"))
    rng = np.random.default_rng(77)
    cases = []
    for _ in range(3):
        images = rng.standard_normal((8, 3, 224, 224)).astype(np.float32)
        cases.append((images, evaluator.run(None, {"input": images})[0]))

    def client(thread):
        protocol = ("grpc", "http_binary")[thread % 2]
        url = grpc_url if protocol == "grpc" else http_url
        for i in range(3):
            images, expected = cases[(thread + i) % len(cases)]
            out = support.infer(protocol, url, "classifier", {"input": images}, ["output"])
            np.testing.assert_allclose(out["output"], expected, rtol=1e-4, atol=1e-4)

    _run_threads(client, 6)
