"""Inference on every example model over HTTP JSON, HTTP binary and gRPC, with exact
expected outputs (the classifier against onnx.reference on the same model file)."""

import json

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from onnx.reference import ReferenceEvaluator
from tritonclient.grpc import service_pb2, service_pb2_grpc

import support
from support import PROTOCOLS, infer

PAIR = ["OUTPUT0", "OUTPUT1"]


def _url(protocol, http_url, grpc_url):
    return grpc_url if protocol == "grpc" else http_url


def _as_bytes(array):
    """BYTES results come back as bytes (binary, gRPC) or str (JSON): make them bytes."""
    return np.vectorize(lambda v: v.encode("utf-8") if isinstance(v, str) else bytes(v), otypes=[object])(array)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("batch", [1, 3, 8])
def test_simple(http_url, grpc_url, protocol, batch):
    a, b = support.simple_inputs(batch, seed=batch)
    out = infer(protocol, _url(protocol, http_url, grpc_url), "simple", {"INPUT0": a, "INPUT1": b}, PAIR)
    assert out["OUTPUT0"].dtype == np.int32 and out["OUTPUT1"].dtype == np.int32
    np.testing.assert_array_equal(out["OUTPUT0"], a + b)
    np.testing.assert_array_equal(out["OUTPUT1"], a - b)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_simple_explicit_version_and_one_output(http_url, grpc_url, protocol):
    a, b = support.simple_inputs(2, seed=99)
    out = infer(
        protocol, _url(protocol, http_url, grpc_url), "simple", {"INPUT0": a, "INPUT1": b}, ["OUTPUT1"], version="1"
    )
    np.testing.assert_array_equal(out["OUTPUT1"], a - b)


def _numeric_strings(array):
    return np.array([str(int(v)).encode() for v in array.flat], dtype=object).reshape(array.shape)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("batch", [1, 4])
def test_simple_string(http_url, grpc_url, protocol, batch):
    a, b = support.simple_inputs(batch, seed=100 + batch)
    inputs = {"INPUT0": _numeric_strings(a), "INPUT1": _numeric_strings(b)}
    out = infer(protocol, _url(protocol, http_url, grpc_url), "simple_string", inputs, PAIR)
    for name, expected in (("OUTPUT0", a + b), ("OUTPUT1", a - b)):
        got = _as_bytes(out[name])
        assert got.shape == expected.shape
        np.testing.assert_array_equal(np.vectorize(int)(got), expected)


@pytest.mark.parametrize("protocol", ["http_binary", "grpc"])
@pytest.mark.parametrize("batch", [1, 5])
def test_simple_fp16(http_url, grpc_url, protocol, batch):
    rng = np.random.default_rng(200 + batch)
    # Multiples of 1/4 in [-256, 256): sums and differences are exact in FP16.
    a = (rng.integers(-1024, 1024, size=(batch, 16)) / 4).astype(np.float16)
    b = (rng.integers(-1024, 1024, size=(batch, 16)) / 4).astype(np.float16)
    out = infer(protocol, _url(protocol, http_url, grpc_url), "simple_fp16", {"INPUT0": a, "INPUT1": b}, PAIR)
    assert out["OUTPUT0"].dtype == np.float16
    np.testing.assert_array_equal(out["OUTPUT0"], a + b)
    np.testing.assert_array_equal(out["OUTPUT1"], a - b)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    "rows",
    [
        [["hello"]],
        [["a", "bb", "ccc"], ["", "héllo wörld", "数据"]],
        [["x" * 1000, "y"]],
    ],
    ids=["1x1", "2x3_utf8_empty", "1x2_long"],
)
def test_identity(http_url, grpc_url, protocol, rows):
    data = np.array([[s.encode("utf-8") for s in row] for row in rows], dtype=object)
    out = infer(protocol, _url(protocol, http_url, grpc_url), "simple_identity", {"INPUT0": data}, ["OUTPUT0"])
    got = _as_bytes(out["OUTPUT0"])
    assert got.shape == data.shape
    assert got.tolist() == data.tolist()


@pytest.mark.parametrize("protocol", ["http_binary", "grpc"])
def test_identity_arbitrary_bytes(http_url, grpc_url, protocol):
    """BYTES elements are byte strings, not C strings: NUL and non-UTF-8 bytes survive."""
    data = np.array([[bytes(range(256)), b"\x00", b"a\x00b", b"\xff\xfe"]], dtype=object)
    out = infer(protocol, _url(protocol, http_url, grpc_url), "simple_identity", {"INPUT0": data}, ["OUTPUT0"])
    assert out["OUTPUT0"].tolist() == data.tolist()


# ---------------------------------------------------------------------------------------
# classifier


def classifier_images(batch, seed):
    """Images with per-image colour offsets and gradients, so that the classes the model
    ranks first are well apart (random noise alone averages out to near ties)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.meshgrid(np.linspace(-1, 1, 224), np.linspace(-1, 1, 224), indexing="ij")
    x = rng.standard_normal((batch, 3, 1, 1)) * 1.5 + rng.standard_normal((batch, 3, 224, 224)) * 0.5
    x = x + rng.standard_normal((batch, 3, 1, 1)) * yy + rng.standard_normal((batch, 3, 1, 1)) * xx
    return x.astype(np.float32)


@pytest.fixture(scope="module")
def classifier_reference(example_model_file):
    evaluator = ReferenceEvaluator(example_model_file("classifier"))

    def run(images):
        return evaluator.run(None, {"input": images})[0]

    return run


@pytest.fixture(scope="module")
def labels(example_repo):
    with open(example_repo / "classifier" / "labels.txt") as f:
        return [line.rstrip("\n") for line in f]


CLASSIFIER_CASES = [
    ("http_json", 1),
    ("http_json", 2),
    ("http_binary", 1),
    ("http_binary", 8),
    ("grpc", 1),
    ("grpc", 8),
]


@pytest.mark.parametrize("protocol,batch", CLASSIFIER_CASES)
def test_classifier(http_url, grpc_url, classifier_reference, protocol, batch):
    images = classifier_images(batch, seed=batch)
    out = infer(protocol, _url(protocol, http_url, grpc_url), "classifier", {"input": images}, ["output"])
    got = out["output"]
    assert got.shape == (batch, 1000) and got.dtype == np.float32
    np.testing.assert_allclose(got, classifier_reference(images), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("protocol,batch", CLASSIFIER_CASES)
def test_classification(http_url, grpc_url, classifier_reference, labels, protocol, batch):
    # Images whose first four scores are apart, so that the top 3 is unambiguous.
    for seed in range(50, 100):
        images = classifier_images(batch, seed=seed)
        ref = classifier_reference(images)
        ranked = -np.sort(-ref, axis=1)[:, :4]
        if np.diff(ranked, axis=1).max() < -1e-3:
            break
    else:
        raise AssertionError("no test images without near ties")
    top = np.argsort(-ref, axis=1, kind="stable")[:, :3]

    out = infer(
        protocol, _url(protocol, http_url, grpc_url), "classifier", {"input": images}, ["output"], class_count=3
    )
    got = _as_bytes(out["output"])
    assert got.shape == (batch, 3), got.shape
    for row in range(batch):
        for k in range(3):
            text = got[row, k].decode("utf-8")
            parts = text.split(":", 2)
            assert len(parts) == 3, f"expected score:index:label, got {text!r}"
            score, index, label = float(parts[0]), int(parts[1]), parts[2]
            assert index == top[row, k], (row, k, text, top[row])
            assert label == labels[index], (text, labels[index])
            assert abs(score - ref[row, index]) <= 1e-4 + 1e-4 * abs(ref[row, index]), (text, ref[row, index])


# ---------------------------------------------------------------------------------------
# Request forms the Python clients do not produce


def test_http_json_nested_data_and_id(http_url):
    a, b = support.simple_inputs(2, seed=7)
    body = {
        "id": "request-42",
        "inputs": [
            {"name": "INPUT0", "shape": [2, 16], "datatype": "INT32", "data": a.tolist()},
            {"name": "INPUT1", "shape": [2, 16], "datatype": "INT32", "data": b.flatten().tolist()},
        ],
        "outputs": [{"name": "OUTPUT0"}, {"name": "OUTPUT1"}],
    }
    r = support.http_request(http_url, "POST", "/v2/models/simple/infer", body)
    assert r.status == 200, r
    doc = r.json()
    assert doc["model_name"] == "simple"
    assert doc.get("model_version", "1") == "1"
    assert doc["id"] == "request-42"
    outputs = {o["name"]: o for o in doc["outputs"]}
    assert sorted(outputs) == PAIR
    for name, expected in (("OUTPUT0", a + b), ("OUTPUT1", a - b)):
        assert outputs[name]["datatype"] == "INT32"
        assert outputs[name]["shape"] == [2, 16]
        np.testing.assert_array_equal(np.array(outputs[name]["data"]).reshape(2, 16), expected)


def test_http_all_outputs_when_none_requested(http_url):
    a, b = support.simple_inputs(1, seed=8)
    body = {
        "inputs": [
            {"name": "INPUT0", "shape": [1, 16], "datatype": "INT32", "data": a.flatten().tolist()},
            {"name": "INPUT1", "shape": [1, 16], "datatype": "INT32", "data": b.flatten().tolist()},
        ]
    }
    r = support.http_request(http_url, "POST", "/v2/models/simple/versions/1/infer", body)
    assert r.status == 200, r
    outputs = {o["name"]: np.array(o["data"]).reshape(o["shape"]) for o in r.json()["outputs"]}
    assert sorted(outputs) == PAIR
    np.testing.assert_array_equal(outputs["OUTPUT0"], a + b)
    np.testing.assert_array_equal(outputs["OUTPUT1"], a - b)


def test_http_binary_mixed_with_json(http_url):
    """INPUT0 in binary, INPUT1 in JSON; OUTPUT0 asked in binary, OUTPUT1 in JSON."""
    a, b = support.simple_inputs(3, seed=9)
    header = {
        "inputs": [
            {"name": "INPUT0", "shape": [3, 16], "datatype": "INT32", "parameters": {"binary_data_size": a.nbytes}},
            {"name": "INPUT1", "shape": [3, 16], "datatype": "INT32", "data": b.flatten().tolist()},
        ],
        "outputs": [{"name": "OUTPUT0", "parameters": {"binary_data": True}}, {"name": "OUTPUT1"}],
    }
    body, headers = support.binary_body(header, [a.tobytes()])
    r = support.http_request(http_url, "POST", "/v2/models/simple/infer", body, headers)
    assert r.status == 200, r
    doc, blob = support.split_binary_response(r)
    outputs = {o["name"]: o for o in doc["outputs"]}
    assert outputs["OUTPUT0"]["parameters"]["binary_data_size"] == a.nbytes
    assert "data" not in outputs["OUTPUT0"]
    assert len(blob) == a.nbytes
    np.testing.assert_array_equal(np.frombuffer(blob, dtype="<i4").reshape(3, 16), a + b)
    np.testing.assert_array_equal(np.array(outputs["OUTPUT1"]["data"]).reshape(3, 16), a - b)


def test_http_binary_data_output_parameter(http_url):
    """Request-level binary_data_output: every output comes back binary, in output order."""
    a, b = support.simple_inputs(2, seed=10)
    header = {
        "parameters": {"binary_data_output": True},
        "inputs": [
            {"name": "INPUT0", "shape": [2, 16], "datatype": "INT32", "parameters": {"binary_data_size": a.nbytes}},
            {"name": "INPUT1", "shape": [2, 16], "datatype": "INT32", "parameters": {"binary_data_size": b.nbytes}},
        ],
    }
    body, headers = support.binary_body(header, [a.tobytes(), b.tobytes()])
    r = support.http_request(http_url, "POST", "/v2/models/simple/infer", body, headers)
    assert r.status == 200, r
    doc, blob = support.split_binary_response(r)
    offset = 0
    seen = []
    for o in doc["outputs"]:
        size = o["parameters"]["binary_data_size"]
        value = np.frombuffer(blob[offset : offset + size], dtype="<i4").reshape(o["shape"])
        offset += size
        seen.append(o["name"])
        np.testing.assert_array_equal(value, a + b if o["name"] == "OUTPUT0" else a - b)
    assert sorted(seen) == PAIR
    assert offset == len(blob)


def test_http_binary_bytes_tensor(http_url):
    data = [b"alpha", b"", b"\x00\x01\x02", "ü".encode()]
    header = {
        "inputs": [
            {
                "name": "INPUT0",
                "shape": [2, 2],
                "datatype": "BYTES",
                "parameters": {"binary_data_size": len(support.serialize_bytes(data))},
            }
        ],
        "outputs": [{"name": "OUTPUT0", "parameters": {"binary_data": True}}],
    }
    body, headers = support.binary_body(header, [support.serialize_bytes(data)])
    r = support.http_request(http_url, "POST", "/v2/models/simple_identity/infer", body, headers)
    assert r.status == 200, r
    doc, blob = support.split_binary_response(r)
    assert doc["outputs"][0]["datatype"] == "BYTES"
    assert doc["outputs"][0]["shape"] == [2, 2]
    assert blob == support.serialize_bytes(data)


def _grpc_stub(grpc_url):
    import grpc

    channel = grpc.insecure_channel(grpc_url)
    return channel, service_pb2_grpc.GRPCInferenceServiceStub(channel)


def _grpc_output(response, index, dtype):
    """Output `index` of a ModelInferResponse, raw or typed contents."""
    if response.raw_output_contents:
        return np.frombuffer(response.raw_output_contents[index], dtype=dtype)
    contents = response.outputs[index].contents
    return np.array(contents.int_contents, dtype=dtype)


def test_grpc_typed_contents(grpc_url):
    """Inputs in InferTensorContents (int_contents, bytes_contents) instead of raw bytes."""
    a, b = support.simple_inputs(2, seed=11)
    channel, stub = _grpc_stub(grpc_url)
    try:
        request = service_pb2.ModelInferRequest(model_name="simple", id="typed")
        for name, value in (("INPUT0", a), ("INPUT1", b)):
            t = request.inputs.add(name=name, datatype="INT32", shape=[2, 16])
            t.contents.int_contents.extend(value.flatten().tolist())
        response = stub.ModelInfer(request, timeout=30)
        assert response.model_name == "simple"
        assert response.id == "typed"
        names = [o.name for o in response.outputs]
        assert sorted(names) == PAIR
        for i, name in enumerate(names):
            assert list(response.outputs[i].shape) == [2, 16]
            assert response.outputs[i].datatype == "INT32"
            expected = a + b if name == "OUTPUT0" else a - b
            np.testing.assert_array_equal(_grpc_output(response, i, "<i4").reshape(2, 16), expected)

        request = service_pb2.ModelInferRequest(model_name="simple_identity")
        t = request.inputs.add(name="INPUT0", datatype="BYTES", shape=[1, 3])
        t.contents.bytes_contents.extend([b"one", b"", b"\x00three"])
        response = stub.ModelInfer(request, timeout=30)
        assert list(response.outputs[0].shape) == [1, 3]
        if response.raw_output_contents:
            assert response.raw_output_contents[0] == support.serialize_bytes([b"one", b"", b"\x00three"])
        else:
            assert list(response.outputs[0].contents.bytes_contents) == [b"one", b"", b"\x00three"]
    finally:
        channel.close()


def test_grpc_infer_response_metadata(grpc_url):
    a, b = support.simple_inputs(1, seed=12)
    client = grpcclient.InferenceServerClient(grpc_url)
    try:
        inputs = []
        for name, value in (("INPUT0", a), ("INPUT1", b)):
            i = grpcclient.InferInput(name, [1, 16], "INT32")
            i.set_data_from_numpy(value)
            inputs.append(i)
        result = client.infer("simple", inputs, request_id="abc")
        response = result.get_response()
        assert response.model_name == "simple"
        assert response.model_version in ("", "1")
        assert response.id == "abc"
        np.testing.assert_array_equal(result.as_numpy("OUTPUT0"), a + b)
        np.testing.assert_array_equal(result.as_numpy("OUTPUT1"), a - b)
    finally:
        client.close()


def test_http_response_is_json_by_default(http_url):
    a, b = support.simple_inputs(1, seed=13)
    body = json.dumps(
        {
            "inputs": [
                {"name": "INPUT0", "shape": [1, 16], "datatype": "INT32", "data": a.flatten().tolist()},
                {"name": "INPUT1", "shape": [1, 16], "datatype": "INT32", "data": b.flatten().tolist()},
            ],
            "outputs": [{"name": "OUTPUT0"}],
        }
    ).encode()
    r = support.http_request(http_url, "POST", "/v2/models/simple/infer", body, {"Content-Type": "application/json"})
    assert r.status == 200, r
    assert r.headers.get("Inference-Header-Content-Length") is None
    assert "application/json" in (r.headers.get("Content-Type") or "")
    out = r.json()["outputs"]
    assert [o["name"] for o in out] == ["OUTPUT0"]
    np.testing.assert_array_equal(np.array(out[0]["data"]).reshape(1, 16), a + b)
