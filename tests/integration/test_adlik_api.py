"""The original Adlik's API (package adlik.serving over gRPC, /v1/models/... over REST) on
the server's ports, through a small client written from the server's .proto files
(v1_stubs): the original's example flow (classify an image, print {idx, score, label}),
metadata, model operations, server status, and bad input."""

import base64
import json

import grpc
import numpy as np
import pytest

import support
import v1_stubs

predict_pb2 = v1_stubs.load("adlik_serving.apis.predict_pb2")
meta_pb2 = v1_stubs.load("adlik_serving.apis.get_model_meta_pb2")
operate_pb2 = v1_stubs.load("adlik_serving.apis.model_operate_pb2")
status_pb2 = v1_stubs.load("adlik_serving.apis.server_status_pb2")
predict_grpc = v1_stubs.load("adlik_serving.apis.predict_service_pb2_grpc")
operate_grpc = v1_stubs.load("adlik_serving.apis.model_operate_service_pb2_grpc")
status_grpc = v1_stubs.load("adlik_serving.apis.server_status_pb2_grpc")
task_pb2 = v1_stubs.load("adlik_serving.apis.task_service_pb2")
task_grpc = v1_stubs.load("adlik_serving.apis.task_service_pb2_grpc")
types_pb2 = v1_stubs.load("tensorflow.core.framework.types_pb2")
tensor_pb2 = v1_stubs.load("tensorflow.core.framework.tensor_pb2")

TF_TYPES = {np.dtype(np.float32): types_pb2.DT_FLOAT, np.dtype(np.int32): types_pb2.DT_INT32}


def tensor_proto(array):
    """As the original client sends it: the bytes in tensor_content, with the shape."""
    t = tensor_pb2.TensorProto(dtype=TF_TYPES[array.dtype], tensor_content=array.tobytes())
    for d in array.shape:
        t.tensor_shape.dim.add().size = d
    return t


def image(seed=0):
    return np.random.RandomState(seed).rand(1, 3, 224, 224).astype(np.float32)


def classify_request(k=3, batch=1, seed=0):
    req = predict_pb2.PredictRequest(batch_size=batch)
    req.model_spec.name = "classifier"
    req.inputs["input"].CopyFrom(tensor_proto(np.concatenate([image(seed + i) for i in range(batch)])))
    req.output_filter["output"].cls.count = k
    return req


def classes(output):
    return [[{"idx": c.idx, "score": c.score, "label": c.label} for c in row.cls] for row in output.batch_classes]


def expected_classes(grpc_url, k=3, seed=0):
    """The same classification through the KServe API: (idx, label) per rank."""
    out = support.infer("grpc", grpc_url, "classifier", {"input": image(seed)}, ["output"], class_count=k)
    entries = [e.decode().split(":", 2) for e in out["output"].reshape(-1)]
    return [(int(i), label, float(score)) for score, i, label in entries]


@pytest.fixture
def channel(grpc_url):
    with grpc.insecure_channel(grpc_url) as ch:
        yield ch


def test_grpc_image_classification(channel, grpc_url):
    stub = predict_grpc.PredictServiceStub(channel)
    res = stub.predict(classify_request(k=3))
    assert res.model_spec.name == "classifier" and res.model_spec.version.value == 1
    found = classes(res.outputs["output"])
    print("Image: 'random', result:", found[0])
    assert len(found) == 1 and len(found[0]) == 3
    assert not res.outputs["output"].HasField("tensor")
    want = expected_classes(grpc_url, k=3)
    assert [(c["idx"], c["label"]) for c in found[0]] == [(i, label) for i, label, _ in want]
    for c, (_, _, score) in zip(found[0], want):
        assert c["score"] == pytest.approx(score, rel=1e-5, abs=1e-5)
    assert found[0][0]["score"] >= found[0][1]["score"] >= found[0][2]["score"]


def test_grpc_batch_and_plain_tensor(channel):
    stub = predict_grpc.PredictServiceStub(channel)
    req = classify_request(k=2, batch=2)
    res = stub.predict(req)
    assert len(res.outputs["output"].batch_classes) == 2
    # Without cls: the tensor itself, [batch, 1000] FP32 in tensor_content.
    del req.output_filter["output"]
    req.output_filter["output"].SetInParent()
    t = stub.predict(req).outputs["output"].tensor
    assert t.dtype == types_pb2.DT_FLOAT and [d.size for d in t.tensor_shape.dim] == [2, 1000]
    scores = np.frombuffer(t.tensor_content, np.float32).reshape(2, 1000)
    assert int(scores[0].argmax()) == res.outputs["output"].batch_classes[0].cls[0].idx


def test_grpc_typed_values_and_implied_shape(channel):
    """int_val instead of tensor_content, no tensor_shape: the model's shape with batch_size."""
    req = predict_pb2.PredictRequest(batch_size=1)
    req.model_spec.name = "simple"
    req.inputs["INPUT0"].CopyFrom(tensor_pb2.TensorProto(dtype=types_pb2.DT_INT32, int_val=list(range(16))))
    req.inputs["INPUT1"].CopyFrom(tensor_pb2.TensorProto(dtype=types_pb2.DT_INT32, int_val=[1] * 16))
    res = predict_grpc.PredictServiceStub(channel).predict(req)
    assert set(res.outputs) == {"OUTPUT0", "OUTPUT1"}
    out0 = np.frombuffer(res.outputs["OUTPUT0"].tensor.tensor_content, np.int32)
    assert out0.tolist() == [i + 1 for i in range(16)]


def test_grpc_model_meta(channel):
    req = meta_pb2.GetModelMetaRequest()
    req.model_spec.name = "classifier"
    res = predict_grpc.PredictServiceStub(channel).getModelMeta(req)
    assert res.config.name == "classifier" and res.config.max_batch_size == 8
    assert res.config.input[0].name == "input" and res.config.input[0].data_type == types_pb2.DT_FLOAT
    assert list(res.config.input[0].dims) == [3, 224, 224]
    assert res.config.output[0].label_filename == "labels.txt"
    assert res.version_status[1].ready_state == meta_pb2.MODEL_READY


def test_grpc_server_status_and_query(channel):
    assert status_grpc.ServerStatusServiceStub(channel).serverStatus(status_pb2.ServerStatusRequest()).status == "running"
    ops = operate_grpc.ModelOperateServiceStub(channel)
    res = ops.queryModel(operate_pb2.ModelOperateRequest(model_name="simple"))
    assert res.status == "SUCCESS" and list(res.models) == ["simple"]
    assert [(v.version_no, v.state) for v in res.models["simple"].versions] == [(1, "READY")]
    # As the original answers: gRPC OK, the outcome in status/error_message.
    res = ops.addModelVersion(operate_pb2.ModelOperateRequest(model_name="simple", model_version=2))
    assert res.status == "ERROR" and "addModelVersion" in res.error_message, res
    res = ops.queryModel(operate_pb2.ModelOperateRequest(model_name="nope"))
    assert res.status == "ERROR" and "'nope'" in res.error_message and not res.models, res


def test_ml_tasks_are_refused_with_the_reason(channel, http_url):
    req = task_pb2.CreateTaskRequest(task_type=task_pb2.CreateTaskRequest.TRAINING_TASK)
    req.model_spec.name = "simple"
    with pytest.raises(grpc.RpcError) as e:
        task_grpc.TaskServiceStub(channel).create(req)
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED, e.value
    assert "TaskService.create" in e.value.details() and "treelite" in e.value.details()
    r = support.http_request(http_url, "POST", "/v1/models/simple:ml_predict", "{}")
    assert r.status == 501 and ":ml_predict" in r.error(), r


def test_grpc_model_operate_in_explicit_mode(start_server, example_repo):
    srv = start_server(example_repo, "--model_control_mode=explicit")
    with grpc.insecure_channel(srv.grpc_url) as ch:
        ops = operate_grpc.ModelOperateServiceStub(ch)
        res = ops.addModel(operate_pb2.ModelOperateRequest(model_name="simple"))
        assert res.status == "SUCCESS" and res.models["simple"].versions[0].state == "READY"
        req = predict_pb2.PredictRequest(batch_size=1)
        req.model_spec.name = "simple"
        for name in ("INPUT0", "INPUT1"):
            req.inputs[name].CopyFrom(tensor_proto(np.ones((1, 16), np.int32)))
        predict_grpc.PredictServiceStub(ch).predict(req)
        assert ops.deleteModel(operate_pb2.ModelOperateRequest(model_name="simple")).status == "SUCCESS"
        res = ops.addModel(operate_pb2.ModelOperateRequest(model_name="no_such_model"))
        assert res.status == "ERROR" and "no_such_model" in res.error_message, res
        res = ops.addModel(operate_pb2.ModelOperateRequest())
        assert res.status == "ERROR" and "model_name is missing" in res.error_message, res
        with pytest.raises(grpc.RpcError) as e:
            predict_grpc.PredictServiceStub(ch).predict(req)
        assert e.value.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNAVAILABLE)


def rest_body(req):
    """The original client's REST body: proto3 JSON, tensor_content in base64."""
    from google.protobuf import json_format

    return json_format.MessageToJson(req, preserving_proto_field_name=True)


def test_rest_image_classification(http_url, grpc_url):
    r = support.http_request(http_url, "POST", "/v1/models/classifier:predict", rest_body(classify_request(k=3)))
    assert r.status == 200, r
    body = r.json()
    found = body["outputs"]["output"]["batch_classes"][0]["cls"]
    print("Image: 'random', result:", found)
    want = expected_classes(grpc_url, k=3)
    assert [(c["idx"], c["label"]) for c in found] == [(i, label) for i, label, _ in want]
    assert body["model_spec"]["name"] == "classifier" and body["model_spec"]["version"] == "1"


def test_rest_simple_http_example(http_url):
    """The body of the original's clients/python/simple_http.py."""
    data = np.arange(16, dtype=np.float32).reshape(1, 16)
    body = {
        "batch_size": 1,
        "inputs": {
            name: {"dtype": "DT_INT32", "tensor_shape": {"dim": [{"size": 1}, {"size": 16}]},
                   "tensor_content": base64.b64encode(data.astype(np.int32).tobytes()).decode()}
            for name in ("INPUT0", "INPUT1")
        },
        "output_filter": {"OUTPUT0": {}},
    }
    r = support.http_request(http_url, "POST", "/v1/models/simple/versions/1:predict", json.dumps(body))
    assert r.status == 200, r
    out = r.json()["outputs"]
    assert list(out) == ["OUTPUT0"]
    values = np.frombuffer(base64.b64decode(out["OUTPUT0"]["tensor"]["tensor_content"]), np.int32)
    assert values.tolist() == [2 * i for i in range(16)]


def test_rest_metadata(http_url):
    r = support.http_request(http_url, "GET", "/v1/models/classifier/metadata")
    assert r.status == 200, r
    body = r.json()
    assert body["config"]["name"] == "classifier" and body["version_status"]["1"]["ready_state"] == "MODEL_READY"


def simple_request(dtype=types_pb2.DT_INT32, content=None, shape=(1, 16), batch=1, model="simple"):
    req = predict_pb2.PredictRequest(batch_size=batch)
    req.model_spec.name = model
    for name in ("INPUT0", "INPUT1"):
        t = req.inputs[name]
        t.dtype = dtype
        t.tensor_content = content if content is not None else np.ones(shape, np.int32).tobytes()
        for d in shape:
            t.tensor_shape.dim.add().size = d
    return req


BAD = [
    ("wrong dtype", simple_request(dtype=types_pb2.DT_FLOAT), grpc.StatusCode.INVALID_ARGUMENT, "FP32"),
    ("content size", simple_request(content=b"\0" * 60), grpc.StatusCode.INVALID_ARGUMENT, "tensor_content has 60"),
    ("batch size 0", simple_request(batch=0), grpc.StatusCode.INVALID_ARGUMENT, "batch_size"),
    ("batch mismatch", simple_request(batch=2), grpc.StatusCode.INVALID_ARGUMENT, "batch_size 2"),
    ("complex dtype", simple_request(dtype=types_pb2.DT_COMPLEX64), grpc.StatusCode.INVALID_ARGUMENT, "DT_COMPLEX64"),
    ("unknown model", simple_request(model="nope"), grpc.StatusCode.NOT_FOUND, "nope"),
]


@pytest.mark.parametrize("what,req,code,text", BAD, ids=[b[0] for b in BAD])
def test_grpc_bad_input(channel, what, req, code, text):
    with pytest.raises(grpc.RpcError) as e:
        predict_grpc.PredictServiceStub(channel).predict(req)
    assert e.value.code() == code and text in e.value.details(), e.value.details()


@pytest.mark.parametrize("what,req,code,text", BAD, ids=[b[0] for b in BAD])
def test_rest_bad_input(http_url, what, req, code, text):
    status = {grpc.StatusCode.INVALID_ARGUMENT: 400, grpc.StatusCode.NOT_FOUND: 404}[code]
    r = support.http_request(http_url, "POST", f"/v1/models/{req.model_spec.name}:predict", rest_body(req))
    assert r.status == status and text in r.error(), r


def test_grpc_version_and_label(channel):
    req = simple_request()
    req.model_spec.version.value = 7
    with pytest.raises(grpc.RpcError) as e:
        predict_grpc.PredictServiceStub(channel).predict(req)
    assert e.value.code() == grpc.StatusCode.NOT_FOUND and "7" in e.value.details()
    req.model_spec.version_label = "stable"
    with pytest.raises(grpc.RpcError) as e:
        predict_grpc.PredictServiceStub(channel).predict(req)
    assert e.value.code() == grpc.StatusCode.NOT_FOUND and "'stable'" in e.value.details()


@pytest.mark.parametrize(
    "body,text",
    [
        ('{"batch_size": 1, "inputs": {"INPUT0": {"dtype": "DT_INT32", "tensor_content": "!!!"}}}', "PredictRequest"),
        ('{"batch_size": 1, "inputs": ', "JSON"),
        ('{"batch_size": "many"}', "PredictRequest"),
    ],
)
def test_rest_malformed(http_url, body, text):
    r = support.http_request(http_url, "POST", "/v1/models/simple:predict", body)
    assert r.status == 400 and text in r.error(), r


def test_rest_version_path(http_url):
    r = support.http_request(http_url, "POST", "/v1/models/simple/versions/x:predict", rest_body(simple_request()))
    assert r.status == 400 and "version" in r.error(), r
    r = support.http_request(http_url, "POST", "/v1/models/simple/versions/9:predict", rest_body(simple_request()))
    assert r.status == 404, r
