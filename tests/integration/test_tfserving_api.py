"""TensorFlow Serving's API (tensorflow.serving over gRPC, /v1/models/... over REST) on the
server's ports, through stubs generated from the server's .proto files (v1_stubs; the
official tensorflow-serving-api wheel imports TensorFlow's own protos, so it is not used):
predict in both REST formats and over gRPC, metadata, status, the refused RPCs, the flags
that turn the APIs off, authentication, and bad input."""

import base64
import os
import shutil

import grpc
import numpy as np
import pytest

import support
import v1_stubs

predict_pb2 = v1_stubs.load("tensorflow_serving.apis.predict_pb2")
metadata_pb2 = v1_stubs.load("tensorflow_serving.apis.get_model_metadata_pb2")
status_pb2 = v1_stubs.load("tensorflow_serving.apis.get_model_status_pb2")
classification_pb2 = v1_stubs.load("tensorflow_serving.apis.classification_pb2")
prediction_grpc = v1_stubs.load("tensorflow_serving.apis.prediction_service_pb2_grpc")
model_grpc = v1_stubs.load("tensorflow_serving.apis.model_service_pb2_grpc")
types_pb2 = v1_stubs.load("tensorflow.core.framework.types_pb2")
tensor_pb2 = v1_stubs.load("tensorflow.core.framework.tensor_pb2")

ONES = [1] * 16
RANGE = list(range(16))


@pytest.fixture
def channel(grpc_url):
    with grpc.insecure_channel(grpc_url) as ch:
        yield ch


def int_tensor(values, shape):
    t = tensor_pb2.TensorProto(dtype=types_pb2.DT_INT32, int_val=values)
    for d in shape:
        t.tensor_shape.dim.add().size = d
    return t


def simple_request(model="simple"):
    req = predict_pb2.PredictRequest()
    req.model_spec.name = model
    req.inputs["INPUT0"].CopyFrom(int_tensor(RANGE, [1, 16]))
    req.inputs["INPUT1"].CopyFrom(int_tensor(ONES, [1, 16]))
    return req


def test_grpc_predict(channel):
    req = simple_request()
    req.output_filter.append("OUTPUT1")
    res = prediction_grpc.PredictionServiceStub(channel).Predict(req)
    assert list(res.outputs) == ["OUTPUT1"]
    assert res.model_spec.name == "simple" and res.model_spec.version.value == 1
    assert res.model_spec.signature_name == "serving_default"
    t = res.outputs["OUTPUT1"]
    assert t.dtype == types_pb2.DT_INT32 and [d.size for d in t.tensor_shape.dim] == [1, 16]
    assert np.frombuffer(t.tensor_content, np.int32).tolist() == [i - 1 for i in RANGE]


def test_grpc_metadata_and_status(channel):
    req = metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    req.model_spec.name = "simple"
    res = prediction_grpc.PredictionServiceStub(channel).GetModelMetadata(req)
    signatures = metadata_pb2.SignatureDefMap()
    res.metadata["signature_def"].Unpack(signatures)
    sig = signatures.signature_def["serving_default"]
    assert sig.method_name == "tensorflow/serving/predict"
    assert sig.inputs["INPUT0"].dtype == types_pb2.DT_INT32
    assert [d.size for d in sig.inputs["INPUT0"].tensor_shape.dim] == [-1, 16]
    sreq = status_pb2.GetModelStatusRequest()
    sreq.model_spec.name = "simple"
    status = model_grpc.ModelServiceStub(channel).GetModelStatus(sreq)
    assert [(s.version, s.state) for s in status.model_version_status] == [(1, status_pb2.ModelVersionStatus.AVAILABLE)]


@pytest.mark.parametrize("rpc", ["Classify", "Regress", "MultiInference"])
def test_grpc_refused_rpcs(channel, rpc):
    stub = prediction_grpc.PredictionServiceStub(channel)
    request = {
        "Classify": classification_pb2.ClassificationRequest,
        "Regress": v1_stubs.load("tensorflow_serving.apis.regression_pb2").RegressionRequest,
        "MultiInference": v1_stubs.load("tensorflow_serving.apis.inference_pb2").MultiInferenceRequest,
    }[rpc]()
    with pytest.raises(grpc.RpcError) as e:
        getattr(stub, rpc)(request)
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED and rpc in e.value.details()


def bad_grpc_requests():
    wrong_type = simple_request()
    wrong_type.inputs["INPUT0"].dtype = types_pb2.DT_FLOAT
    wrong_count = simple_request()
    wrong_count.inputs["INPUT0"].int_val.append(3)
    content = simple_request()
    content.inputs["INPUT0"].ClearField("int_val")
    content.inputs["INPUT0"].tensor_content = b"\0" * 10
    too_big = simple_request()
    too_big.inputs["INPUT0"].ClearField("int_val")
    too_big.inputs["INPUT0"].dtype = types_pb2.DT_INT8
    too_big.inputs["INPUT0"].int_val.extend([300] * 16)
    label = simple_request()
    label.model_spec.version_label = "canary"
    version = simple_request()
    version.model_spec.version.value = 3
    signature = simple_request()
    signature.model_spec.signature_name = "other"
    return [
        ("dtype", wrong_type, grpc.StatusCode.INVALID_ARGUMENT, "DT_FLOAT"),
        ("value count", wrong_count, grpc.StatusCode.INVALID_ARGUMENT, "17 values"),
        ("tensor_content", content, grpc.StatusCode.INVALID_ARGUMENT, "tensor_content has 10 bytes"),
        ("range", too_big, grpc.StatusCode.INVALID_ARGUMENT, "300 is out of"),
        ("unknown model", simple_request("nope"), grpc.StatusCode.NOT_FOUND, "nope"),
        ("label", label, grpc.StatusCode.NOT_FOUND, "'canary'"),
        ("version", version, grpc.StatusCode.NOT_FOUND, "3"),
        ("signature", signature, grpc.StatusCode.INVALID_ARGUMENT, "'other'"),
    ]


@pytest.mark.parametrize("what,req,code,text", bad_grpc_requests(), ids=lambda x: x if isinstance(x, str) else "")
def test_grpc_bad_input(channel, what, req, code, text):
    with pytest.raises(grpc.RpcError) as e:
        prediction_grpc.PredictionServiceStub(channel).Predict(req)
    assert e.value.code() == code and text in e.value.details(), e.value.details()


def test_rest_row_and_columnar(http_url):
    rows = {"instances": [{"INPUT0": RANGE, "INPUT1": ONES}, {"INPUT0": ONES, "INPUT1": ONES}]}
    r = support.http_request(http_url, "POST", "/v1/models/simple:predict", rows)
    assert r.status == 200, r
    predictions = r.json()["predictions"]
    assert len(predictions) == 2 and predictions[0]["OUTPUT0"] == [i + 1 for i in RANGE]
    assert predictions[1]["OUTPUT1"] == [0] * 16
    columns = {"signature_name": "serving_default", "inputs": {"INPUT0": [RANGE], "INPUT1": [ONES]}}
    r = support.http_request(http_url, "POST", "/v1/models/simple/versions/1:predict", columns)
    assert r.status == 200, r
    assert r.json()["outputs"]["OUTPUT0"] == [[i + 1 for i in RANGE]]


def test_rest_single_input_and_b64(http_url):
    # simple_identity has one BYTES input: the row format gives it unnamed.
    values = [{"b64": base64.b64encode(b"\x00\xffraw").decode()}, "text"]
    r = support.http_request(http_url, "POST", "/v1/models/simple_identity:predict", {"instances": [values]})
    assert r.status == 200, r
    # Bytes that are not UTF-8 come back as {"b64": ...}, text as a string.
    assert r.json()["predictions"] == [[{"b64": values[0]["b64"]}, "text"]]
    r = support.http_request(http_url, "POST", "/v1/models/simple_string:predict",
                             {"inputs": {"INPUT0": [[{"b64": base64.b64encode(b"2").decode()}] * 16],
                                         "INPUT1": [["1"] * 16]}})
    assert r.status == 200, r
    assert r.json()["outputs"]["OUTPUT0"] == [["3"] * 16]


def test_rest_status_and_metadata(http_url):
    r = support.http_request(http_url, "GET", "/v1/models/simple")
    assert r.status == 200, r
    assert r.json() == {"model_version_status": [
        {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]}
    r = support.http_request(http_url, "GET", "/v1/models/simple/versions/1/metadata")
    assert r.status == 200, r
    body = r.json()
    assert body["model_spec"] == {"name": "simple", "signature_name": "", "version": "1"}
    sig = body["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert sig["inputs"]["INPUT0"]["dtype"] == "DT_INT32"
    r = support.http_request(http_url, "GET", "/v1/models/broken_onnx")
    assert r.status == 200 and r.json()["model_version_status"][0]["state"] == "END", r
    for path in ("/v1/models/nope", "/v1/models/simple/labels/stable", "/v1/models/simple/versions/4/metadata"):
        r = support.http_request(http_url, "GET", path)
        assert r.status == 404 and r.error(), (path, r)


@pytest.mark.parametrize(
    "path,body,status,text",
    [
        ("simple", '{"instances": [', 400, "JSON"),
        ("simple", "[1, 2]", 400, "JSON object"),
        ("simple", {"instances": [], "inputs": {}}, 400, "both"),
        ("simple", {"signature_name": "x"}, 400, "'x'"),
        ("simple", {"instances": [{"INPUT0": RANGE, "INPUT1": ONES}, {"INPUT0": RANGE}]}, 400, "same inputs"),
        ("simple", {"inputs": {"INPUT0": [RANGE, [1]], "INPUT1": [ONES, ONES]}}, 400, "rectangular"),
        ("simple", {"inputs": {"INPUT0": [["a"] * 16], "INPUT1": [ONES]}}, 400, "INT32"),
        ("simple", {"inputs": {"INPUT0": [[1 << 40] * 16], "INPUT1": [ONES]}}, 400, "range"),
        ("simple", {"inputs": {"INPUT9": [ONES]}}, 400, "INPUT9"),
        ("simple", {"inputs": [ONES]}, 400, "2 inputs"),
        ("simple", {"inputs": {"INPUT0": [RANGE[:8]], "INPUT1": [ONES[:8]]}}, 400, "shape"),
        ("simple_identity", {"instances": [[{"b64": "@@not base64@@"}]]}, 400, "base64"),
        ("simple_identity", {"instances": [[5]]}, 400, "b64"),
        ("nope", {"instances": [[1]]}, 404, "nope"),
        ("simple/versions/0", {"instances": [[1]]}, 404, ""),
        ("simple/labels/canary", {"instances": [[1]]}, 404, "'canary'"),
    ],
)
def test_rest_bad_input(http_url, path, body, status, text):
    r = support.http_request(http_url, "POST", f"/v1/models/{path}:predict", body)
    assert r.status == status and text in r.error(), r


def test_rest_refused_verbs(http_url):
    r = support.http_request(http_url, "POST", "/v1/models/simple:classify", {"examples": []})
    assert r.status == 501 and ":classify" in r.error(), r


def test_flags_turn_each_api_off(start_server, example_repo):
    srv = start_server(example_repo, "--enable_tfserving_api=false")
    r = support.http_request(srv.http_url, "POST", "/v1/models/simple:predict", {"instances": [{"INPUT0": ONES}]})
    assert r.status == 404 and "--enable_tfserving_api" in r.error(), r
    with grpc.insecure_channel(srv.grpc_url) as ch:
        with pytest.raises(grpc.RpcError) as e:
            prediction_grpc.PredictionServiceStub(ch).Predict(simple_request())
        assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED
    srv = start_server(example_repo, "--enable_adlik_api=false", "--enable_tfserving_api=false")
    r = support.http_request(srv.http_url, "GET", "/v1/models/simple")
    assert r.status == 404, r


def test_token_applies_to_the_new_routes(start_server, example_repo, tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text("meta-token metadata\ninfer-token infer\n")
    srv = start_server(example_repo, f"--auth_token_file={tokens}")
    body = {"instances": [{"INPUT0": RANGE, "INPUT1": ONES}]}
    r = support.http_request(srv.http_url, "POST", "/v1/models/simple:predict", body)
    assert r.status == 401, r
    r = support.http_request(srv.http_url, "POST", "/v1/models/simple:predict", body,
                             headers={"Authorization": "Bearer meta-token"})
    assert r.status == 403, r
    r = support.http_request(srv.http_url, "POST", "/v1/models/simple:predict", body,
                             headers={"Authorization": "Bearer infer-token"})
    assert r.status == 200, r
    r = support.http_request(srv.http_url, "GET", "/v1/models/simple", headers={"Authorization": "Bearer meta-token"})
    assert r.status == 200, r
    with grpc.insecure_channel(srv.grpc_url) as ch:
        stub = prediction_grpc.PredictionServiceStub(ch)
        with pytest.raises(grpc.RpcError) as e:
            stub.Predict(simple_request())
        assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
        stub.Predict(simple_request(), metadata=[("authorization", "Bearer infer-token")])


def perf_analyzer():
    """The perf_analyzer command as scripts/perf_analyzer.sh finds it, or None."""
    if shutil.which("perf_analyzer"):
        return ["perf_analyzer"]
    deps = os.environ.get("ADLIK_DEPS", os.path.expanduser("~/.cache/adlik"))
    binary = os.path.join(deps, "perf_analyzer", "perf_analyzer", "bin", "perf_analyzer")
    libs = os.path.join(deps, "trixie-libs", "usr", "lib", "x86_64-linux-gnu")
    loader = os.path.join(libs, "ld-linux-x86-64.so.2")
    if os.path.isfile(binary) and os.access(loader, os.X_OK):
        return [loader, "--library-path", libs, binary]
    return None


@pytest.mark.skipif(perf_analyzer() is None, reason="perf_analyzer is not installed (ADLIK_SETUP_BENCH=1 scripts/setup.sh)")
def test_perf_analyzer_tfserving(grpc_url):
    """perf_analyzer's TensorFlow Serving client runs against the server (no timing asserted)."""
    import subprocess

    command = perf_analyzer() + ["-m", "simple", "--service-kind=tfserving", "-i", "grpc", "-u", grpc_url,
                                 "--shape", "INPUT0:1,16", "--shape", "INPUT1:1,16", "--measurement-interval", "1000",
                                 # Stability is not what is tested: a loaded machine must not fail it.
                                 "--stability-percentage", "500", "--max-trials", "6"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    counts = [int(line.split(":")[1]) for line in out.stdout.splitlines() if "Request count:" in line]
    assert counts and counts[-1] > 0, out.stdout
