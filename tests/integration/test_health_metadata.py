"""Health, server metadata, model metadata, model readiness and model configuration."""

import pytest

import support

GOOD_MODELS = ("simple", "simple_string", "simple_fp16", "simple_identity", "classifier")

# name -> (inputs, outputs); each tensor (name, datatype, shape)
EXPECTED_METADATA = {
    "simple": (
        [("INPUT0", "INT32", [-1, 16]), ("INPUT1", "INT32", [-1, 16])],
        [("OUTPUT0", "INT32", [-1, 16]), ("OUTPUT1", "INT32", [-1, 16])],
    ),
    "simple_string": (
        [("INPUT0", "BYTES", [-1, 16]), ("INPUT1", "BYTES", [-1, 16])],
        [("OUTPUT0", "BYTES", [-1, 16]), ("OUTPUT1", "BYTES", [-1, 16])],
    ),
    "simple_fp16": (
        [("INPUT0", "FP16", [-1, 16]), ("INPUT1", "FP16", [-1, 16])],
        [("OUTPUT0", "FP16", [-1, 16]), ("OUTPUT1", "FP16", [-1, 16])],
    ),
    # No config.pbtxt: no batching, shapes exactly as in the ONNX signature.
    "simple_identity": ([("INPUT0", "BYTES", [-1, -1])], [("OUTPUT0", "BYTES", [-1, -1])]),
    "classifier": ([("input", "FP32", [-1, 3, 224, 224])], [("output", "FP32", [-1, 1000])]),
}


def _tensors(items):
    return [(t["name"], t["datatype"], [int(d) for d in t["shape"]]) for t in items]


def _grpc_tensors(items):
    return [(t.name, t.datatype, list(t.shape)) for t in items]


def test_http_health(http_url):
    for path in ("/v2/health/live", "/v2/health/ready"):
        r = support.http_request(http_url, "GET", path)
        assert r.status == 200, (path, r)


def test_grpc_health(grpc_client):
    assert grpc_client.is_server_live()
    assert grpc_client.is_server_ready()


def test_http_server_metadata(http_client):
    meta = http_client.get_server_metadata()
    assert isinstance(meta["name"], str) and meta["name"]
    assert isinstance(meta["version"], str) and meta["version"]
    for ext in ("binary_tensor_data", "classification", "model_configuration", "statistics"):
        assert ext in meta["extensions"], (ext, meta)


def test_grpc_server_metadata(grpc_client, http_client):
    meta = grpc_client.get_server_metadata()
    http_meta = http_client.get_server_metadata()
    assert meta.name == http_meta["name"]
    assert meta.version == http_meta["version"]
    assert sorted(meta.extensions) == sorted(http_meta["extensions"])


@pytest.mark.parametrize("model", GOOD_MODELS)
@pytest.mark.parametrize("version", ["", "1"])
def test_http_model_metadata(http_client, model, version):
    meta = http_client.get_model_metadata(model, model_version=version)
    inputs, outputs = EXPECTED_METADATA[model]
    assert meta["name"] == model
    assert meta["versions"] == ["1"]
    assert meta["platform"] == "onnxruntime_onnx"
    assert _tensors(meta["inputs"]) == inputs
    assert _tensors(meta["outputs"]) == outputs


@pytest.mark.parametrize("model", GOOD_MODELS)
def test_grpc_model_metadata(grpc_client, model):
    for version in ("", "1"):
        meta = grpc_client.get_model_metadata(model, model_version=version)
        inputs, outputs = EXPECTED_METADATA[model]
        assert meta.name == model
        assert list(meta.versions) == ["1"]
        assert meta.platform == "onnxruntime_onnx"
        assert _grpc_tensors(meta.inputs) == inputs
        assert _grpc_tensors(meta.outputs) == outputs


@pytest.mark.parametrize("model", GOOD_MODELS)
def test_model_ready(http_client, grpc_client, http_url, model):
    assert http_client.is_model_ready(model)
    assert http_client.is_model_ready(model, model_version="1")
    assert grpc_client.is_model_ready(model)
    assert grpc_client.is_model_ready(model, model_version="1")
    r = support.http_request(http_url, "GET", f"/v2/models/{model}/ready")
    assert r.status == 200, r


def test_unknown_model_not_ready(http_client, grpc_client):
    assert not http_client.is_model_ready("no_such_model")
    assert not http_client.is_model_ready("simple", model_version="7")
    assert not grpc_client.is_model_ready("no_such_model")
    assert not grpc_client.is_model_ready("simple", model_version="7")


def _dims(t):
    dims = t.get("dims", [])
    # JSON numbers, as Triton writes them (not the strings of proto3's int64 mapping)
    assert all(isinstance(d, int) for d in dims), f"dims of {t['name']} are not JSON integers: {dims!r}"
    return dims


def test_http_config_simple(http_client):
    for version in ("", "1"):
        config = http_client.get_model_config("simple", model_version=version)
        assert config["name"] == "simple"
        assert config["platform"] == "onnxruntime_onnx"
        assert config["max_batch_size"] == 8
        assert [(t["name"], t["data_type"], _dims(t)) for t in config["input"]] == [
            ("INPUT0", "TYPE_INT32", [16]),
            ("INPUT1", "TYPE_INT32", [16]),
        ]
        assert [(t["name"], t["data_type"], _dims(t)) for t in config["output"]] == [
            ("OUTPUT0", "TYPE_INT32", [16]),
            ("OUTPUT1", "TYPE_INT32", [16]),
        ]


def test_http_config_types(http_client):
    assert [t["data_type"] for t in http_client.get_model_config("simple_string")["input"]] == ["TYPE_STRING"] * 2
    assert [t["data_type"] for t in http_client.get_model_config("simple_fp16")["output"]] == ["TYPE_FP16"] * 2
    config = http_client.get_model_config("classifier")
    assert config["max_batch_size"] == 8
    assert _dims(config["input"][0]) == [3, 224, 224]
    assert config["output"][0]["label_filename"] == "labels.txt"


def test_grpc_config(grpc_client):
    from tritonclient.grpc import model_config_pb2

    config = grpc_client.get_model_config("simple").config
    assert config.name == "simple"
    assert config.platform == "onnxruntime_onnx"
    assert config.max_batch_size == 8
    assert [(t.name, t.data_type, list(t.dims)) for t in config.input] == [
        ("INPUT0", model_config_pb2.TYPE_INT32, [16]),
        ("INPUT1", model_config_pb2.TYPE_INT32, [16]),
    ]
    assert [(t.name, t.data_type, list(t.dims)) for t in config.output] == [
        ("OUTPUT0", model_config_pb2.TYPE_INT32, [16]),
        ("OUTPUT1", model_config_pb2.TYPE_INT32, [16]),
    ]
    classifier = grpc_client.get_model_config("classifier", model_version="1").config
    assert classifier.output[0].label_filename == "labels.txt"
    assert list(classifier.output[0].dims) == [1000]


def test_auto_completed_config(http_client, grpc_client):
    """simple_identity has no config.pbtxt: the server completes it from the ONNX file."""
    config = http_client.get_model_config("simple_identity")
    assert config["name"] == "simple_identity"
    assert config.get("max_batch_size", 0) == 0
    assert [(t["name"], t["data_type"], _dims(t)) for t in config["input"]] == [("INPUT0", "TYPE_STRING", [-1, -1])]
    assert [(t["name"], t["data_type"], _dims(t)) for t in config["output"]] == [("OUTPUT0", "TYPE_STRING", [-1, -1])]
    g = grpc_client.get_model_config("simple_identity").config
    assert g.max_batch_size == 0
    assert [(t.name, list(t.dims)) for t in g.input] == [("INPUT0", [-1, -1])]
    assert [(t.name, list(t.dims)) for t in g.output] == [("OUTPUT0", [-1, -1])]


def test_metadata_unknown_model(http_url, grpc_client):
    r = support.http_request(http_url, "GET", "/v2/models/no_such_model")
    assert r.status == 404, r
    assert "no_such_model" in r.error()
    r = support.http_request(http_url, "GET", "/v2/models/simple/versions/7")
    assert r.status == 404, r
    r.error()
    r = support.http_request(http_url, "GET", "/v2/models/no_such_model/config")
    assert r.status == 404, r
    assert "no_such_model" in r.error()
    with pytest.raises(support.InferenceServerException) as e:
        grpc_client.get_model_metadata("no_such_model")
    assert e.value.status() == "StatusCode.NOT_FOUND", e.value
    assert "no_such_model" in e.value.message()
    with pytest.raises(support.InferenceServerException) as e:
        grpc_client.get_model_config("no_such_model")
    assert e.value.status() == "StatusCode.NOT_FOUND", e.value
