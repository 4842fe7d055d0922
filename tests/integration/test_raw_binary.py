"""Raw binary requests (Triton's binary tensor data extension): with
Inference-Header-Content-Length: 0 the body is only the bytes of the model's one input;
its datatype and shape come from the config (batch 1 for a batching model, the one
variable dimension deduced from the body's size, BYTES as one element of shape [1]), and
every output comes back as binary data."""

import json

import numpy as np
import onnx
import pytest
import requests
from onnx import TensorProto, helper

import support


def _identity(elem_type, shape):
    graph = helper.make_graph(
        [helper.make_node("Identity", ["IN"], ["OUT"])],
        "identity",
        [helper.make_tensor_value_info("IN", elem_type, shape)],
        [helper.make_tensor_value_info("OUT", elem_type, shape)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


MODELS = {
    # name: (onnx type, onnx shape, max_batch_size, config type, dims)
    "raw_fp32_rows": (TensorProto.FLOAT, ["batch", "n"], 8, "TYPE_FP32", [-1]),
    "raw_int32_fixed": (TensorProto.INT32, [2, 2], 0, "TYPE_INT32", [2, 2]),
    "raw_two_variable": (TensorProto.INT32, ["a", "b"], 0, "TYPE_INT32", [-1, -1]),
    "raw_bytes": (TensorProto.STRING, [1], 0, "TYPE_STRING", [1]),
}


@pytest.fixture(scope="module")
def raw_server(tmp_path_factory, example_repo, log_dir):
    import shutil

    repo = tmp_path_factory.mktemp("raw") / "repo"
    shutil.copytree(example_repo / "simple", repo / "simple")
    for name, (elem, shape, batch, dtype, dims) in MODELS.items():
        (repo / name / "1").mkdir(parents=True)
        (repo / name / "1" / "model.onnx").write_bytes(_identity(elem, shape))
        dims_text = ", ".join(str(d) for d in dims)
        (repo / name / "config.pbtxt").write_text(
            f'name: "{name}"\nmax_batch_size: {batch}\n'
            f'input [ {{ name: "IN" data_type: {dtype} dims: [ {dims_text} ] }} ]\n'
            f'output [ {{ name: "OUT" data_type: {dtype} dims: [ {dims_text} ] }} ]\n')
    srv = support.Server(repo, log_dir, name="raw_binary").start()
    yield srv
    assert srv.stop() == 0


def _raw(srv, model, data):
    return requests.post(f"http://{srv.http_url}/v2/models/{model}/infer", data=data,
                         headers={"Inference-Header-Content-Length": "0",
                                  "Content-Type": "application/octet-stream"}, timeout=30)


def _split(r):
    n = int(r.headers["Inference-Header-Content-Length"])
    return json.loads(r.content[:n]), r.content[n:]


def test_variable_dimension_is_deduced_and_batch_is_one(raw_server):
    x = np.array([1.5, -2, 3, 4.25, 5, 6], dtype=np.float32)
    r = _raw(raw_server, "raw_fp32_rows", x.tobytes())
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/octet-stream"
    header, blob = _split(r)
    (out,) = header["outputs"]
    assert out["name"] == "OUT" and out["datatype"] == "FP32" and out["shape"] == [1, 6], out
    assert out["parameters"]["binary_data_size"] == 24 and "data" not in out, out
    np.testing.assert_array_equal(np.frombuffer(blob, dtype=np.float32), x)


def test_fixed_shape(raw_server):
    x = np.array([[1, 2], [3, -4]], dtype=np.int32)
    r = _raw(raw_server, "raw_int32_fixed", x.tobytes())
    assert r.status_code == 200, r.text
    header, blob = _split(r)
    assert header["outputs"][0]["shape"] == [2, 2]
    np.testing.assert_array_equal(np.frombuffer(blob, dtype=np.int32).reshape(2, 2), x)
    # A body of the wrong size for the fixed shape is refused by the validator.
    r = _raw(raw_server, "raw_int32_fixed", x.tobytes()[:12])
    assert r.status_code == 400, r.text
    assert "input 'IN'" in r.json()["error"] and "12 bytes" in r.json()["error"], r.text


def test_bytes_input_is_one_element(raw_server):
    payload = b"\x00raw bytes, not JSON \xff"
    r = _raw(raw_server, "raw_bytes", payload)
    assert r.status_code == 200, r.text
    header, blob = _split(r)
    (out,) = header["outputs"]
    assert out["datatype"] == "BYTES" and out["shape"] == [1], out
    assert blob == len(payload).to_bytes(4, "little") + payload


@pytest.mark.parametrize("model,data,words", [
    ("simple", b"\0" * 64, ["exactly one input", "'simple' has 2"]),
    ("raw_two_variable", b"\0" * 16, ["input 'IN'", "more than one variable dimension"]),
    ("raw_fp32_rows", b"\0" * 6, ["input 'IN'", "6 bytes", "4-byte rows"]),
    ("no_such_model", b"\0" * 4, ["no_such_model"]),
])
def test_models_that_do_not_qualify(raw_server, model, data, words):
    r = _raw(raw_server, model, data)
    assert r.status_code in (400, 404), r.text
    assert r.status_code == (404 if model == "no_such_model" else 400), r.text
    message = r.json()["error"]
    for w in words:
        assert w in message, message
    support.check_simple(raw_server.http_url)
