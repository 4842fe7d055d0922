"""Bad requests: each gets the right status and an error that names the problem, and the
server goes on serving (a good inference after every case)."""

import json

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from tritonclient.grpc import service_pb2, service_pb2_grpc

import support


def mentions(message, *required):
    """Each item of `required` is a word or a tuple of alternatives; case-insensitive."""
    low = message.lower()
    for item in required:
        alternatives = item if isinstance(item, tuple) else (item,)
        assert any(a.lower() in low for a in alternatives), f"error {message!r} should mention {alternatives}"


def _tensor(name, shape, values=None, datatype="INT32"):
    n = int(np.prod(shape)) if values is None else None
    data = list(range(n)) if values is None else values
    return {"name": name, "shape": list(shape), "datatype": datatype, "data": data}


def _pair(shape0=(1, 16), shape1=(1, 16), **extra):
    body = {"inputs": [_tensor("INPUT0", shape0), _tensor("INPUT1", shape1)]}
    body.update(extra)
    return body


def _json(doc):
    return json.dumps(doc).encode(), {"Content-Type": "application/json"}


def _binary(header, blobs, header_length=None):
    body, headers = support.binary_body(header, blobs)
    if header_length is not None:
        headers["Inference-Header-Content-Length"] = str(header_length)
    return body, headers


ONES = np.ones((1, 16), dtype="<i4").tobytes()  # 64 bytes


def _binary_pair(size0=64, size1=64, shape=(1, 16)):
    return {
        "inputs": [
            {"name": "INPUT0", "shape": list(shape), "datatype": "INT32", "parameters": {"binary_data_size": size0}},
            {"name": "INPUT1", "shape": list(shape), "datatype": "INT32", "parameters": {"binary_data_size": size1}},
        ]
    }


SIMPLE = "/v2/models/simple/infer"
_valid_header_len = len(json.dumps(_binary_pair()).encode())

# id -> (path, (body, headers), status, things the error must mention)
HTTP_CASES = {
    "malformed_json": (SIMPLE, (b'{"inputs": [ {"name": "INPUT0", ', {}), 400, [("json", "pars", "invalid")]),
    "json_not_an_object": (SIMPLE, _json([1, 2, 3]), 400, []),
    "no_inputs": (SIMPLE, _json({"inputs": []}), 400, [("input",)]),
    "wrong_datatype": (
        SIMPLE,
        _json({"inputs": [_tensor("INPUT0", (1, 16), [0.5] * 16, "FP32"), _tensor("INPUT1", (1, 16))]}),
        400,
        ["INPUT0", ("INT32", "FP32")],
    ),
    "data_of_wrong_json_type": (
        SIMPLE,
        _json({"inputs": [_tensor("INPUT0", (1, 16), ["x"] * 16), _tensor("INPUT1", (1, 16))]}),
        400,
        ["INPUT0"],
    ),
    "element_count_not_matching_shape": (
        SIMPLE,
        _json({"inputs": [_tensor("INPUT0", (1, 16), list(range(15))), _tensor("INPUT1", (1, 16))]}),
        400,
        ["INPUT0"],
    ),
    "shape_not_matching_model": (SIMPLE, _json(_pair(shape0=(1, 15))), 400, ["INPUT0"]),
    "wrong_rank": (SIMPLE, _json(_pair(shape0=(16,), shape1=(16,))), 400, [("INPUT0", "INPUT1")]),
    "negative_dimension": (
        SIMPLE,
        _json({"inputs": [_tensor("INPUT0", (-1, 16), list(range(16))), _tensor("INPUT1", (1, 16))]}),
        400,
        ["INPUT0"],
    ),
    "batch_over_max_batch_size": (SIMPLE, _json(_pair((9, 16), (9, 16))), 400, [("9", "batch")]),
    "missing_input": (SIMPLE, _json({"inputs": [_tensor("INPUT0", (1, 16))]}), 400, ["INPUT1"]),
    "unknown_input": (
        SIMPLE,
        _json({"inputs": [_tensor("INPUT0", (1, 16)), _tensor("INPUT1", (1, 16)), _tensor("INPUT2", (1, 16))]}),
        400,
        ["INPUT2"],
    ),
    "duplicate_input": (
        SIMPLE,
        _json({"inputs": [_tensor("INPUT0", (1, 16)), _tensor("INPUT0", (1, 16)), _tensor("INPUT1", (1, 16))]}),
        400,
        ["INPUT0"],
    ),
    "unknown_output": (SIMPLE, _json(_pair(outputs=[{"name": "OUTPUT9"}])), 400, ["OUTPUT9"]),
    "unknown_model": ("/v2/models/no_such_model/infer", _json(_pair()), 404, ["no_such_model"]),
    "unknown_version": ("/v2/models/simple/versions/7/infer", _json(_pair()), 404, [("7", "version")]),
    "binary_shorter_than_binary_data_size": (SIMPLE, _binary(_binary_pair(), [ONES, ONES[:60]]), 400, []),
    "binary_longer_than_binary_data_sizes": (SIMPLE, _binary(_binary_pair(), [ONES, ONES, b"\0" * 8]), 400, []),
    "binary_data_size_not_matching_shape": (
        SIMPLE,
        _binary(_binary_pair(size0=60), [ONES[:60], ONES]),
        400,
        ["INPUT0"],
    ),
    "binary_bytes_element_overruns": (
        "/v2/models/simple_identity/infer",
        _binary(
            {
                "inputs": [
                    {"name": "INPUT0", "shape": [1, 2], "datatype": "BYTES", "parameters": {"binary_data_size": 9}}
                ]
            },
            [(3).to_bytes(4, "little") + b"abc" + b"\x09\x00"],
        ),
        400,
        [],
    ),
    "header_length_larger_than_body": (
        SIMPLE,
        _binary(_binary_pair(), [ONES, ONES], header_length=_valid_header_len + 200),
        400,
        [],
    ),
    "header_length_not_a_number": (SIMPLE, _binary(_binary_pair(), [ONES, ONES], header_length="twelve"), 400, []),
}


@pytest.mark.parametrize("case", sorted(HTTP_CASES))
def test_http_bad_request(http_url, case):
    path, (body, headers), status, words = HTTP_CASES[case]
    r = support.http_request(http_url, "POST", path, body, headers)
    assert r.status == status, r
    message = r.error()
    mentions(message, *words)
    support.check_simple(http_url, "http_json")


def test_http_unknown_model_metadata_and_config(http_url):
    for path in ("/v2/models/no_such_model", "/v2/models/no_such_model/config", "/v2/models/no_such_model/stats"):
        r = support.http_request(http_url, "GET", path)
        assert r.status == 404, (path, r)
        mentions(r.error(), "no_such_model")
    support.check_simple(http_url)


def test_http_error_content_type(http_url):
    r = support.http_request(http_url, "POST", SIMPLE, *_json(_pair(shape0=(1, 15))))
    assert r.status == 400
    assert "application/json" in (r.headers.get("Content-Type") or ""), dict(r.headers)


# ---------------------------------------------------------------------------------------
# gRPC


def _input(name, array, datatype=None):
    i = grpcclient.InferInput(name, list(array.shape), datatype or "INT32")
    i.set_data_from_numpy(array)
    return i


INVALID = "StatusCode.INVALID_ARGUMENT"
NOT_FOUND = "StatusCode.NOT_FOUND"


def _grpc_cases():
    """id -> (model, version, inputs, requested outputs, status, things the error must mention)"""
    a = np.arange(16, dtype=np.int32).reshape(1, 16)
    b = np.ones((1, 16), dtype=np.int32)

    def good():
        return [_input("INPUT0", a), _input("INPUT1", b)]

    def resized(name, array, shape):
        i = _input(name, array)
        i.set_shape(list(shape))
        return i

    a9, b9 = np.repeat(a, 9, 0), np.repeat(b, 9, 0)
    return {
        "wrong_datatype": (
            "simple", "", [_input("INPUT0", a.astype(np.float32), "FP32"), _input("INPUT1", b)], None,
            INVALID, ["INPUT0"],
        ),
        "raw_size_not_matching_shape": (
            "simple", "", [resized("INPUT0", a, (1, 15)), _input("INPUT1", b)], None, INVALID, ["INPUT0"],
        ),
        "shape_not_matching_model": (
            "simple", "", [_input("INPUT0", a[:, :15]), _input("INPUT1", b)], None, INVALID, ["INPUT0"],
        ),
        "batch_over_max_batch_size": (
            "simple", "", [_input("INPUT0", a9), _input("INPUT1", b9)], None, INVALID, [("9", "batch")],
        ),
        "missing_input": ("simple", "", [_input("INPUT0", a)], None, INVALID, ["INPUT1"]),
        "unknown_input": ("simple", "", good() + [_input("INPUT2", b)], None, INVALID, ["INPUT2"]),
        "unknown_output": (
            "simple", "", good(), [grpcclient.InferRequestedOutput("OUTPUT9")], INVALID, ["OUTPUT9"],
        ),
        "unknown_model": ("no_such_model", "", good(), None, NOT_FOUND, ["no_such_model"]),
        "unknown_version": ("simple", "7", good(), None, NOT_FOUND, [("7", "version")]),
    }


GRPC_CASES = sorted(_grpc_cases())


@pytest.mark.parametrize("case", GRPC_CASES)
def test_grpc_bad_request(grpc_client, grpc_url, case):
    model, version, inputs, outputs, status, words = _grpc_cases()[case]
    with pytest.raises(support.InferenceServerException) as e:
        grpc_client.infer(model, inputs, model_version=version, outputs=outputs)
    assert e.value.status() == status, e.value
    mentions(e.value.message(), *words)
    support.check_simple(grpc_url, "grpc")


def _raw_request(stub, request):
    import grpc

    with pytest.raises(grpc.RpcError) as e:
        stub.ModelInfer(request, timeout=30)
    return e.value


def test_grpc_malformed_contents(grpc_url):
    import grpc

    channel = grpc.insecure_channel(grpc_url)
    stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
    try:
        # typed contents with 15 elements for a [1, 16] tensor
        request = service_pb2.ModelInferRequest(model_name="simple")
        t = request.inputs.add(name="INPUT0", datatype="INT32", shape=[1, 16])
        t.contents.int_contents.extend(range(15))
        t = request.inputs.add(name="INPUT1", datatype="INT32", shape=[1, 16])
        t.contents.int_contents.extend(range(16))
        err = _raw_request(stub, request)
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err
        mentions(err.details(), "INPUT0")

        # two inputs, one raw_input_contents entry
        request = service_pb2.ModelInferRequest(model_name="simple")
        request.inputs.add(name="INPUT0", datatype="INT32", shape=[1, 16])
        request.inputs.add(name="INPUT1", datatype="INT32", shape=[1, 16])
        request.raw_input_contents.append(ONES)
        err = _raw_request(stub, request)
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err
        assert err.details()

        # an input with neither contents nor raw data
        request = service_pb2.ModelInferRequest(model_name="simple")
        request.inputs.add(name="INPUT0", datatype="INT32", shape=[1, 16])
        t = request.inputs.add(name="INPUT1", datatype="INT32", shape=[1, 16])
        t.contents.int_contents.extend(range(16))
        err = _raw_request(stub, request)
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err
        mentions(err.details(), "INPUT0")

        # BYTES raw data whose length prefix runs past the end
        request = service_pb2.ModelInferRequest(model_name="simple_identity")
        request.inputs.add(name="INPUT0", datatype="BYTES", shape=[1, 1])
        request.raw_input_contents.append((100).to_bytes(4, "little") + b"short")
        err = _raw_request(stub, request)
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err
    finally:
        channel.close()
    support.check_simple(grpc_url, "grpc")
