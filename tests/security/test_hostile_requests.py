"""Requests built to crash the server: each must get a clear 4xx (or gRPC
INVALID_ARGUMENT) naming what is wrong, and the server must go on serving.

Each case once killed the process: a BYTES shape claiming 2^40 elements (one slot
reserved per claimed element), JSON nested 30,000 or 200,000 deep (recursion), shape
products that overflow int64."""

import http.client
import json

import grpc
import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.grpc.model_config_pb2  # noqa: F401  (registers the types)
from tritonclient.grpc import service_pb2, service_pb2_grpc

import support


def post(srv, path, body, headers=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def assert_serving(srv):
    """The server answers a real inference afterwards, over both protocols."""
    a = np.arange(16, dtype=np.int32).reshape(1, 16)
    for protocol in ("http_json", "grpc"):
        url = srv.http_url if protocol.startswith("http") else srv.grpc_url
        out = support.infer(protocol, url, "simple", {"INPUT0": a, "INPUT1": a}, ["OUTPUT0"])
        np.testing.assert_array_equal(out["OUTPUT0"], a + a)


def grpc_stub(srv):
    channel = grpc.insecure_channel(srv.grpc_url)
    return channel, service_pb2_grpc.GRPCInferenceServiceStub(channel)


@pytest.fixture
def srv(repo, start_server):
    return start_server(repo, "--model_control_mode=explicit", "--load_model=simple,simple_identity")


def test_bytes_shape_claiming_2_to_the_40_elements(srv):
    body = json.dumps(
        {"inputs": [{"name": "INPUT0", "datatype": "BYTES", "shape": [1, 1099511627776],
                     "parameters": {"binary_data_size": 0}}]}
    ).encode()
    status, text = post(srv, "/v2/models/simple_identity/infer", body,
                        {"Inference-Header-Content-Length": str(len(body))})
    assert status == 400, text
    assert b"BYTES elements" in text, text

    channel, stub = grpc_stub(srv)
    with channel:
        req = service_pb2.ModelInferRequest(model_name="simple_identity")
        t = req.inputs.add(name="INPUT0", datatype="BYTES", shape=[1, 1099511627776])
        req.raw_input_contents.append(b"")
        assert t.name == "INPUT0"
        with pytest.raises(grpc.RpcError) as e:
            stub.ModelInfer(req, timeout=30)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT, e.value
        assert "BYTES elements" in e.value.details()
    assert_serving(srv)


@pytest.mark.parametrize("path", ["/v2/models/simple/infer", "/v2/repository/index",
                                  "/v2/repository/models/simple/load"])
def test_200k_open_brackets(srv, path):
    status, text = post(srv, path, b"[" * 200_000)
    assert status == 400, text
    assert b"nested deeper than 100" in text, text
    assert_serving(srv)


def test_data_nested_30000_deep(srv):
    data = "[" * 30000 + "1" + "]" * 30000
    body = ('{"inputs":[{"name":"INPUT0","datatype":"INT32","shape":[1,16],"data":' + data +
            '},{"name":"INPUT1","datatype":"INT32","shape":[1,16],"data":' + data + "}]}")
    status, text = post(srv, "/v2/models/simple/infer", body.encode())
    assert status == 400, text
    assert b"nested deeper than 100" in text, text
    assert_serving(srv)


def test_shape_products_that_overflow(srv):
    # JSON data: the element count of the shape overflows int64.
    body = json.dumps({"inputs": [{"name": "INPUT0", "datatype": "BYTES",
                                   "shape": [4294967296, 4294967296, 4], "data": ["a"]}]})
    status, text = post(srv, "/v2/models/simple_identity/infer", body.encode())
    assert status == 400, text
    assert b"too many elements" in text, text
    # Binary data and gRPC: refused by the validator before any size is computed.
    channel, stub = grpc_stub(srv)
    with channel:
        for dims in ([4294967296, 4294967296], [2**62, 4]):
            req = service_pb2.ModelInferRequest(model_name="simple_identity")
            req.inputs.add(name="INPUT0", datatype="BYTES", shape=dims)
            req.raw_input_contents.append(b"\x01\x00\x00\x00a")
            with pytest.raises(grpc.RpcError) as e:
                stub.ModelInfer(req, timeout=30)
            assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT, e.value
    body = json.dumps({"inputs": [
        {"name": n, "datatype": "INT32", "shape": [2**33, 2**31], "parameters": {"binary_data_size": 4}}
        for n in ("INPUT0", "INPUT1")]}).encode()
    status, text = post(srv, "/v2/models/simple/infer", body + b"\0" * 8,
                        {"Inference-Header-Content-Length": str(len(body))})
    assert status == 400, text
    assert_serving(srv)


def test_error_messages_are_valid_utf8(srv):
    body = json.dumps({"inputs": [{"name": "INPUT0", "datatype": "INT32", "shape": [1], "data": [1]}]})
    for path in ("/v2/models/%FF%FE/infer", "/v2/models/a%C3(/versions/1/infer"):
        status, text = post(srv, path, body.encode())
        assert status in (400, 404), text
        message = json.loads(text.decode("utf-8"))["error"]  # strict UTF-8
        assert "\\x" in message, message
    assert_serving(srv)


def test_huge_priority_levels_in_a_config_override(srv):
    config = json.dumps({"max_batch_size": 8, "dynamic_batching": {"priority_levels": 4294967295}})
    status, text = post(srv, "/v2/repository/models/simple/load",
                        json.dumps({"parameters": {"config": config}}).encode())
    assert status == 400, text
    assert b"priority_levels: 4294967295 is above the limit" in text, text
    # The version that served before keeps serving.
    assert_serving(srv)

    channel, stub = grpc_stub(srv)
    with channel:
        req = service_pb2.RepositoryModelLoadRequest(model_name="simple")
        req.parameters["config"].string_param = json.dumps({"max_batch_size": 8, "instance_group": [{"count": 1 << 30}]})
        with pytest.raises(grpc.RpcError) as e:
            stub.RepositoryModelLoad(req, timeout=60)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT, e.value
        assert "above the limit of 256" in e.value.details()
    assert_serving(srv)


def gather_model():
    """OUT = TABLE[INDICES] (Gather over a 3-entry FP32 table, INT64 indices of any
    length): an index past the table is an input the protocol accepts but the engine
    refuses."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [helper.make_node("Gather", ["TABLE", "INDICES"], ["OUT"], axis=0)],
        "gather",
        [helper.make_tensor_value_info("INDICES", TensorProto.INT64, ["n"])],
        [helper.make_tensor_value_info("OUT", TensorProto.FLOAT, ["n"])],
        initializer=[numpy_helper.from_array(np.array([1, 2, 3], dtype=np.float32), "TABLE")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def test_input_the_runtime_refuses_is_a_client_error(repo, start_server):
    """Before: every runtime failure was a 500 / INTERNAL, even when the input caused it."""
    (repo / "gather" / "1").mkdir(parents=True)
    (repo / "gather" / "1" / "model.onnx").write_bytes(gather_model())
    srv = start_server(repo, "--model_control_mode=explicit", "--load_model=gather")
    good = np.array([2, 0], dtype=np.int64)
    out = support.infer("http_json", srv.http_url, "gather", {"INDICES": good}, ["OUT"])
    np.testing.assert_array_equal(out["OUT"], [3, 1])
    bad = np.array([0, 10], dtype=np.int64)
    body = json.dumps({"inputs": [{"name": "INDICES", "datatype": "INT64", "shape": [2],
                                   "data": bad.tolist()}]}).encode()
    status, text = post(srv, "/v2/models/gather/infer", body)
    assert status == 400, text
    assert b"out of" in text and b"bounds" in text, text
    channel, stub = grpc_stub(srv)
    with channel:
        req = service_pb2.ModelInferRequest(model_name="gather")
        req.inputs.add(name="INDICES", datatype="INT64", shape=[2])
        req.raw_input_contents.append(bad.tobytes())
        with pytest.raises(grpc.RpcError) as e:
            stub.ModelInfer(req, timeout=30)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT, e.value
    out = support.infer("grpc", srv.grpc_url, "gather", {"INDICES": good}, ["OUT"])
    np.testing.assert_array_equal(out["OUT"], [3, 1])


def int32_identity_model():
    """OUT = IN, INT32 of shape [batch, n] (both dimensions symbolic)."""
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["IN"], ["OUT"])],
        "int32_identity",
        [helper.make_tensor_value_info("IN", TensorProto.INT32, ["batch", "n"])],
        [helper.make_tensor_value_info("OUT", TensorProto.INT32, ["batch", "n"])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def test_int32_shape_whose_byte_size_overflows(repo, start_server):
    """INT32 [1, 2^62] with no data: 2^62 elements fit in int64, their 2^64 bytes do not.
    The server's own checks refuse it, naming the input, before anything is sized from
    the shape; ONNX Runtime never sees it."""
    (repo / "int32_identity" / "1").mkdir(parents=True)
    (repo / "int32_identity" / "1" / "model.onnx").write_bytes(int32_identity_model())
    (repo / "int32_identity" / "config.pbtxt").write_text(
        'name: "int32_identity"\nmax_batch_size: 8\n'
        'input [ { name: "IN" data_type: TYPE_INT32 dims: [ -1 ] } ]\n'
        'output [ { name: "OUT" data_type: TYPE_INT32 dims: [ -1 ] } ]\n')
    srv = start_server(repo, "--model_control_mode=explicit", "--load_model=simple,int32_identity")
    shape = [1, 4611686018427387904]

    channel, stub = grpc_stub(srv)
    with channel:
        # Typed contents (empty) and raw contents (empty).
        for raw in (False, True):
            req = service_pb2.ModelInferRequest(model_name="int32_identity")
            req.inputs.add(name="IN", datatype="INT32", shape=shape)
            if raw:
                req.raw_input_contents.append(b"")
            with pytest.raises(grpc.RpcError) as e:
                stub.ModelInfer(req, timeout=30)
            assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT, e.value
            details = e.value.details()
            assert "input 'IN'" in details and "needs more than 2^64" in details, details
            assert "onnxruntime" not in details, details

    # HTTP, JSON data: the shape's element count does not match the (empty) data.
    body = json.dumps({"inputs": [{"name": "IN", "datatype": "INT32", "shape": shape, "data": []}]})
    status, text = post(srv, "/v2/models/int32_identity/infer", body.encode())
    assert status == 400, text
    message = json.loads(text)["error"]
    assert "input 'IN'" in message and "4611686018427387904 elements but 'data' has 0" in message, message

    # HTTP, binary data of 0 bytes.
    header = json.dumps({"inputs": [{"name": "IN", "datatype": "INT32", "shape": shape,
                                     "parameters": {"binary_data_size": 0}}]}).encode()
    status, text = post(srv, "/v2/models/int32_identity/infer", header,
                        {"Inference-Header-Content-Length": str(len(header))})
    assert status == 400, text
    message = json.loads(text)["error"]
    assert "input 'IN'" in message and "needs more than 2^64" in message, message

    a = np.arange(6, dtype=np.int32).reshape(1, 6)
    for protocol in ("http_binary", "grpc"):
        url = srv.http_url if protocol.startswith("http") else srv.grpc_url
        out = support.infer(protocol, url, "int32_identity", {"IN": a}, ["OUT"])
        np.testing.assert_array_equal(out["OUT"], a)
    assert_serving(srv)
