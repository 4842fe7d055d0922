"""An ONNX model with a rank-0 (scalar) input and output, served without batching with a
config that gives them dims [1] (as Triton's ONNX Runtime backend allows): clients send
and receive shape [1], ONNX Runtime gets and gives the scalar. Without a config the
completed dims are [] and clients use shape []."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import support


def scalar_model():
    """Y = X * 2 on FP32 scalars."""
    graph = helper.make_graph(
        [helper.make_node("Mul", ["X", "TWO"], ["Y"])],
        "scalar_double",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [])],
        initializer=[helper.make_tensor("TWO", TensorProto.FLOAT, [], [2.0])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


@pytest.fixture(scope="module")
def scalar_server(tmp_path_factory, log_dir):
    repo = tmp_path_factory.mktemp("scalar") / "repo"
    for name in ("scalar_dims_one", "scalar_no_config"):
        (repo / name / "1").mkdir(parents=True)
        (repo / name / "1" / "model.onnx").write_bytes(scalar_model())
    (repo / "scalar_dims_one" / "config.pbtxt").write_text(
        'name: "scalar_dims_one"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 0\n'
        'input [ { name: "X" data_type: TYPE_FP32 dims: [ 1 ] } ]\n'
        'output [ { name: "Y" data_type: TYPE_FP32 dims: [ 1 ] } ]\n')
    srv = support.Server(repo, log_dir, name="scalar").start()
    yield srv
    assert srv.stop() == 0


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_dims_one_for_a_scalar(scalar_server, protocol):
    url = scalar_server.grpc_url if protocol == "grpc" else scalar_server.http_url
    x = np.array([1.25], dtype=np.float32)
    out = support.infer(protocol, url, "scalar_dims_one", {"X": x}, ["Y"])
    assert out["Y"].shape == (1,), out["Y"].shape
    np.testing.assert_array_equal(out["Y"], [2.5])


def test_metadata_and_config_show_dims_one(scalar_server):
    r = support.http_request(scalar_server.http_url, "GET", "/v2/models/scalar_dims_one")
    assert r.status == 200, r
    assert r.json()["inputs"][0]["shape"] == [1] and r.json()["outputs"][0]["shape"] == [1], r.json()


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_without_a_config_the_shape_is_empty(scalar_server, protocol):
    url = scalar_server.grpc_url if protocol == "grpc" else scalar_server.http_url
    x = np.array(3.0, dtype=np.float32)
    out = support.infer(protocol, url, "scalar_no_config", {"X": x}, ["Y"])
    assert out["Y"].shape == (), out["Y"].shape
    assert float(out["Y"]) == 6.0


def test_dims_one_refuses_other_shapes(scalar_server):
    body = {"inputs": [{"name": "X", "datatype": "FP32", "shape": [2], "data": [1, 2]}]}
    r = support.http_request(scalar_server.http_url, "POST", "/v2/models/scalar_dims_one/infer", body)
    assert r.status == 400, r
    assert "input 'X'" in r.error(), r
