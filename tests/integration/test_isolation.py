"""Models that cannot load are reported as not ready and refuse inference with a reason,
while the server starts and every good model serves."""

import numpy as np
import pytest
import tritonclient.grpc as grpcclient

import support

# model -> words of which the error must contain at least one (case-insensitive)
BROKEN = {
    "broken_config": ("config", "pbtxt", "parse"),
    "broken_onnx": ("onnx", "protobuf", "parse", "load"),
    "broken_input": ("NOT_THERE",),
}
GOOD = ("simple", "simple_string", "simple_fp16", "simple_identity", "classifier")


def _body():
    a, b = support.simple_inputs(1, seed=3)
    return {
        "inputs": [
            {"name": "INPUT0", "shape": [1, 16], "datatype": "INT32", "data": a.flatten().tolist()},
            {"name": "INPUT1", "shape": [1, 16], "datatype": "INT32", "data": b.flatten().tolist()},
        ]
    }


def test_server_live_with_broken_models(http_client, grpc_client):
    assert http_client.is_server_live()
    assert grpc_client.is_server_live()


@pytest.mark.parametrize("model", sorted(BROKEN))
def test_broken_model_not_ready(http_client, grpc_client, http_url, model):
    assert not http_client.is_model_ready(model)
    assert not http_client.is_model_ready(model, model_version="1")
    assert not grpc_client.is_model_ready(model)
    r = support.http_request(http_url, "GET", f"/v2/models/{model}/ready")
    assert 400 <= r.status < 600, r


@pytest.mark.parametrize("model", sorted(BROKEN))
def test_broken_model_refuses_http_infer(http_url, model):
    r = support.http_request(http_url, "POST", f"/v2/models/{model}/infer", _body())
    assert r.status in (400, 503), r
    message = r.error()
    assert any(w.lower() in message.lower() for w in BROKEN[model]), (model, message)
    support.check_simple(http_url)


@pytest.mark.parametrize("model", sorted(BROKEN))
def test_broken_model_refuses_grpc_infer(grpc_client, grpc_url, model):
    inputs = []
    for name, value in zip(("INPUT0", "INPUT1"), support.simple_inputs(1, seed=4)):
        i = grpcclient.InferInput(name, [1, 16], "INT32")
        i.set_data_from_numpy(value)
        inputs.append(i)
    with pytest.raises(support.InferenceServerException) as e:
        grpc_client.infer(model, inputs)
    assert e.value.status() in ("StatusCode.UNAVAILABLE", "StatusCode.INVALID_ARGUMENT"), e.value
    assert any(w.lower() in e.value.message().lower() for w in BROKEN[model]), (model, e.value.message())
    support.check_simple(grpc_url, "grpc")


def test_good_models_ready_and_serving(http_client, grpc_client, http_url, grpc_url):
    for model in GOOD:
        assert http_client.is_model_ready(model), model
        assert grpc_client.is_model_ready(model), model
    support.check_simple(http_url, "http_binary", batch=8)
    support.check_simple(grpc_url, "grpc", batch=8)
    data = np.array([[b"still", b"serving"]], dtype=object)
    out = support.infer("grpc", grpc_url, "simple_identity", {"INPUT0": data}, ["OUTPUT0"])
    assert out["OUTPUT0"].tolist() == data.tolist()


def test_server_log_names_broken_models(server):
    """The log says which models failed to load."""
    log = server.log_text()
    for model in BROKEN:
        assert model in log, f"{model} not mentioned in the server log"


def test_repository_index_states(http_url):
    """POST /v2/repository/index lists every model with its state and, for the broken
    ones, the reason."""
    r = support.http_request(http_url, "POST", "/v2/repository/index", b"")
    assert r.status == 200, r
    index = {m["name"]: m for m in r.json()}
    for model in GOOD:
        assert index[model]["state"] == "READY", index[model]
    for model, words in BROKEN.items():
        assert index[model]["state"] == "UNAVAILABLE", index[model]
        reason = index[model].get("reason", "")
        assert any(w.lower() in reason.lower() for w in words), (model, reason)
    r = support.http_request(http_url, "POST", "/v2/repository/index", {"ready": True})
    assert r.status == 200, r
    assert sorted(m["name"] for m in r.json()) == sorted(GOOD)
