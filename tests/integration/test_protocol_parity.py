"""HTTP and gRPC follow the same KServe rules: one table of inference requests, each sent
through both front ends (HTTP with binary tensors, gRPC with raw_input_contents), must be
accepted by both with the same outputs, or refused by both with the same message and
matching status codes."""

import json

import grpc
import numpy as np
import pytest
from tritonclient.grpc import service_pb2, service_pb2_grpc

import support

# HTTP status -> gRPC status code, as the two front ends map a core Status.
CODES = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    404: grpc.StatusCode.NOT_FOUND,
    413: grpc.StatusCode.RESOURCE_EXHAUSTED,
    500: grpc.StatusCode.INTERNAL,
    501: grpc.StatusCode.UNIMPLEMENTED,
    503: grpc.StatusCode.UNAVAILABLE,
}

A = np.arange(16, dtype=np.int32).reshape(1, 16)
B = np.full((1, 16), 3, dtype=np.int32)


def tensor(name, array=None, datatype="INT32", shape=None, raw=None):
    return {
        "name": name,
        "datatype": datatype,
        "shape": list(array.shape if shape is None else shape),
        "raw": array.tobytes() if raw is None else raw,
    }


def pair(**overrides):
    inputs = [tensor("INPUT0", A), tensor("INPUT1", B)]
    for i, t in enumerate(inputs):
        t.update(overrides.get(t["name"], {}))
    return inputs


# (id, model, inputs, request parameters, requested outputs as (name, parameters))
CASES = [
    ("good", "simple", pair(), {}, []),
    ("good_outputs", "simple", pair(), {}, [("OUTPUT1", {}), ("OUTPUT0", {})]),
    ("priority_zero", "simple", pair(), {"priority": 0}, []),
    ("priority_negative", "simple", pair(), {"priority": -1}, []),
    ("priority_string", "simple", pair(), {"priority": "high"}, []),
    ("priority_bool", "simple", pair(), {"priority": True}, []),
    ("priority_float", "simple", pair(), {"priority": 1.5}, []),
    ("timeout", "simple", pair(), {"timeout": 10_000_000}, []),
    ("timeout_negative", "simple", pair(), {"timeout": -5}, []),
    ("unknown_parameter", "simple", pair(), {"sequence_id_x": 3}, []),
    ("classification", "simple", pair(), {}, [("OUTPUT0", {"classification": 2})]),
    ("classification_zero", "simple", pair(), {}, [("OUTPUT0", {"classification": 0})]),
    ("classification_negative", "simple", pair(), {}, [("OUTPUT0", {"classification": -3})]),
    ("classification_string", "simple", pair(), {}, [("OUTPUT0", {"classification": "2"})]),
    ("classification_float", "simple", pair(), {}, [("OUTPUT0", {"classification": 2.5})]),
    ("config_datatype_name", "simple", pair(INPUT0={"datatype": "TYPE_INT32"}), {}, []),
    ("unknown_datatype", "simple", pair(INPUT1={"datatype": "FLOAT"}), {}, []),
    ("wrong_datatype", "simple", pair(INPUT0={"datatype": "FP32"}), {}, []),
    ("negative_dimension", "simple", pair(INPUT0={"shape": [-1, 16]}), {}, []),
    ("wrong_shape", "simple", pair(INPUT0={"shape": [1, 8], "raw": A.tobytes()[:32]}), {}, []),
    ("short_data", "simple", pair(INPUT1={"raw": B.tobytes()[:60]}), {}, []),
    ("batch_too_large", "simple",
     [tensor("INPUT0", np.zeros((9, 16), np.int32)), tensor("INPUT1", np.zeros((9, 16), np.int32))], {}, []),
    ("missing_input", "simple", pair()[:1], {}, []),
    ("unknown_input", "simple", pair() + [tensor("INPUT9", A)], {}, []),
    ("unknown_output", "simple", pair(), {}, [("OUTPUT7", {})]),
    ("unknown_model", "no_such_model", pair(), {}, []),
]


def http_parameters(params):
    return {k: v for k, v in params.items()}


def send_http(url, model, inputs, params, outputs):
    header = {
        "inputs": [
            {"name": t["name"], "datatype": t["datatype"], "shape": t["shape"],
             "parameters": {"binary_data_size": len(t["raw"])}}
            for t in inputs
        ],
        "parameters": {"binary_data_output": True, **http_parameters(params)},
    }
    if outputs:
        header["outputs"] = [{"name": n, "parameters": {"binary_data": True, **p}} for n, p in outputs]
    body, headers = support.binary_body(header, [t["raw"] for t in inputs])
    r = support.http_request(url, "POST", f"/v2/models/{model}/infer", body=body, headers=headers)
    if r.status != 200:
        return r.status, r.error()
    doc, blobs = support.split_binary_response(r)
    result, offset = {}, 0
    for o in doc["outputs"]:
        n = o["parameters"]["binary_data_size"]
        result[o["name"]] = (o["datatype"], o["shape"], blobs[offset:offset + n])
        offset += n
    return 200, result


def grpc_parameter(message, value):
    if isinstance(value, bool):
        message.bool_param = value
    elif isinstance(value, int):
        message.int64_param = value
    elif isinstance(value, float):
        message.double_param = value
    else:
        message.string_param = value


def send_grpc(url, model, inputs, params, outputs):
    request = service_pb2.ModelInferRequest(model_name=model)
    for t in inputs:
        i = request.inputs.add(name=t["name"], datatype=t["datatype"])
        i.shape.extend(t["shape"])
        request.raw_input_contents.append(t["raw"])
    for k, v in params.items():
        grpc_parameter(request.parameters[k], v)
    for n, p in outputs:
        o = request.outputs.add(name=n)
        for k, v in p.items():
            grpc_parameter(o.parameters[k], v)
    with grpc.insecure_channel(url) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        try:
            response = stub.ModelInfer(request, timeout=30)
        except grpc.RpcError as e:
            return e.code(), e.details()
    result = {}
    for o, raw in zip(response.outputs, response.raw_output_contents):
        result[o.name] = (o.datatype, list(o.shape), raw)
    return grpc.StatusCode.OK, result


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_http_and_grpc_agree(http_url, grpc_url, case):
    _, model, inputs, params, outputs = case
    http_code, http_answer = send_http(http_url, model, inputs, params, outputs)
    grpc_code, grpc_answer = send_grpc(grpc_url, model, inputs, params, outputs)
    if http_code == 200:
        assert grpc_code == grpc.StatusCode.OK, f"HTTP accepted, gRPC refused: {grpc_code} {grpc_answer}"
        assert http_answer == grpc_answer
        return
    assert grpc_code == CODES[http_code], f"HTTP {http_code} ({http_answer}) vs gRPC {grpc_code} ({grpc_answer})"
    assert http_answer == grpc_answer


def test_the_table_covers_both_answers(http_url):
    """The table holds requests that are accepted and requests that are refused."""
    codes = {send_http(http_url, *case[1:])[0] for case in CASES}
    assert 200 in codes and 400 in codes and 404 in codes, codes


def test_good_answers_are_right(http_url):
    code, outputs = send_http(http_url, "simple", pair(), {}, [])
    assert code == 200
    assert np.frombuffer(outputs["OUTPUT0"][2], np.int32).tolist() == (A + B).ravel().tolist()
    assert json.dumps(sorted(outputs)) == json.dumps(["OUTPUT0", "OUTPUT1"])


# The answers besides inference: the KServe layer renders each once, so the two front
# ends carry the same content. (HTTP path and body, gRPC method and request.)
QUERIES = [
    ("server_metadata", "GET", "/v2", None, "ServerMetadata", service_pb2.ServerMetadataRequest()),
    ("model_metadata", "GET", "/v2/models/simple", None,
     "ModelMetadata", service_pb2.ModelMetadataRequest(name="simple")),
    ("model_metadata_version", "GET", "/v2/models/simple/versions/1", None,
     "ModelMetadata", service_pb2.ModelMetadataRequest(name="simple", version="1")),
    ("model_config", "GET", "/v2/models/simple/config", None,
     "ModelConfig", service_pb2.ModelConfigRequest(name="simple")),
    ("statistics", "GET", "/v2/models/simple/stats", None,
     "ModelStatistics", service_pb2.ModelStatisticsRequest(name="simple")),
    ("statistics_all", "GET", "/v2/models/stats", None,
     "ModelStatistics", service_pb2.ModelStatisticsRequest()),
    ("index", "POST", "/v2/repository/index", b"{}",
     "RepositoryIndex", service_pb2.RepositoryIndexRequest()),
    ("index_ready", "POST", "/v2/repository/index", b'{"ready": true}',
     "RepositoryIndex", service_pb2.RepositoryIndexRequest(ready=True)),
]


def as_plain(message):
    """A gRPC answer as the JSON the HTTP front end writes: field names of the .proto,
    defaults included, 64-bit integers as numbers (protobuf's Python JSON writes them as
    strings; the field types say which)."""
    from google.protobuf.descriptor import FieldDescriptor

    def value(field, v):
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            return plain(v)
        if field.type == FieldDescriptor.TYPE_ENUM:
            return field.enum_type.values_by_number[v].name
        return v

    def plain(m):
        out = {}
        for field in m.DESCRIPTOR.fields:
            v = getattr(m, field.name)
            if field.message_type is not None and field.message_type.GetOptions().map_entry:
                value_field = field.message_type.fields_by_name["value"]
                out[field.name] = {str(k): value(value_field, x) for k, x in v.items()}
            elif field.is_repeated:
                out[field.name] = [value(field, x) for x in v]
            elif field.type == FieldDescriptor.TYPE_MESSAGE and not m.HasField(field.name):
                continue
            elif field.containing_oneof is not None and not m.HasField(field.name):
                continue
            else:
                out[field.name] = value(field, v)
        return out

    return plain(message)


@pytest.mark.parametrize("query", QUERIES, ids=[q[0] for q in QUERIES])
def test_http_and_grpc_render_the_same_content(http_url, grpc_url, query):
    _, method, path, body, rpc, request = query
    # One inference first, so that the statistics have something to show.
    assert send_http(http_url, "simple", pair(), {}, [])[0] == 200
    r = support.http_request(http_url, method, path, body=body)
    assert r.status == 200, r.error()
    with grpc.insecure_channel(grpc_url) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        response = getattr(stub, rpc)(request, timeout=30)
    http_answer = r.json()
    if rpc == "RepositoryIndex":
        http_answer = {"models": http_answer}
    if rpc == "ModelConfig":
        response = response.config
    grpc_answer = as_plain(response)
    if rpc == "ModelStatistics":
        # Only the answers' shapes and names can be compared: the gRPC request is a
        # later one, and inferences may have come in between.
        def skeleton(doc):
            return [(m["name"], m["version"], sorted(m["inference_stats"]), len(m["batch_stats"]) > 0)
                    for m in doc["model_stats"]]
        assert skeleton(http_answer) == skeleton(grpc_answer)
        return
    assert http_answer == known_fields(grpc_answer, http_answer)


def known_fields(grpc_answer, http_answer):
    """`grpc_answer` without the fields that tritonclient's copy of the .proto has and
    this server's does not (a newer ModelConfig): those must hold their defaults."""
    if isinstance(grpc_answer, dict) and isinstance(http_answer, dict):
        out = {}
        for k, v in grpc_answer.items():
            if k in http_answer:
                out[k] = known_fields(v, http_answer[k])
            else:
                assert not any_content(v), f"{k}: {v} is missing from the HTTP answer"
        return out
    if isinstance(grpc_answer, list) and isinstance(http_answer, list) and len(grpc_answer) == len(http_answer):
        return [known_fields(g, h) for g, h in zip(grpc_answer, http_answer)]
    return grpc_answer


def any_content(v):
    if isinstance(v, dict):
        return any(any_content(x) for x in v.values())
    if isinstance(v, list):
        return bool(v)
    return v not in (0, "", False) and not (isinstance(v, str) and v.endswith("_UNSPECIFIED"))
