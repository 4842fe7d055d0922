"""A model version in a request is a decimal number: anything else (letters, a sign, an
empty path segment, a number past int64) is a malformed request, 400 over HTTP and
INVALID_ARGUMENT over gRPC, with a message naming the version, on every per-version
route. A well-formed version the model lacks stays 404 / NOT_FOUND."""

import grpc
import pytest
from tritonclient.grpc import service_pb2, service_pb2_grpc

import support

BAD_VERSIONS = ("wrong_specification", "abc", "-1", "1.0", "9223372036854775808")
# (method, path after /v2/models/simple/versions/{v}, sends a body)
ROUTES = (("POST", "/infer"), ("GET", ""), ("GET", "/ready"), ("GET", "/config"), ("GET", "/stats"))

INFER_BODY = {
    "inputs": [
        {"name": n, "datatype": "INT32", "shape": [1, 16], "data": list(range(16))} for n in ("INPUT0", "INPUT1")
    ]
}


@pytest.mark.parametrize("method,suffix", ROUTES)
@pytest.mark.parametrize("version", BAD_VERSIONS)
def test_http_malformed_version_is_400(http_url, method, suffix, version):
    body = INFER_BODY if method == "POST" else None
    r = support.http_request(http_url, method, f"/v2/models/simple/versions/{version}{suffix}", body)
    assert r.status == 400, r
    message = r.error()
    assert f"'{version}'" in message, message
    assert "version" in message, message


@pytest.mark.parametrize("method,suffix", ROUTES)
def test_http_empty_version_is_400(http_url, method, suffix):
    body = INFER_BODY if method == "POST" else None
    # An empty segment: "versions//infer"; for metadata "versions//" (a trailing '/' is
    # dropped, as on every route).
    path = f"/v2/models/simple/versions/{suffix or '/'}"
    r = support.http_request(http_url, method, path, body)
    assert r.status == 400, (path, r)
    message = r.error()
    assert "version" in message and "empty" in message, message


@pytest.mark.parametrize("method,suffix", ROUTES)
def test_http_unknown_version_is_still_404(http_url, method, suffix):
    body = INFER_BODY if method == "POST" else None
    r = support.http_request(http_url, method, f"/v2/models/simple/versions/7{suffix}", body)
    if suffix == "/ready":
        assert r.status == 400, r  # not ready: the readiness probe's "false"
        return
    assert r.status == 404, r
    assert "7" in r.error(), r


def test_http_good_version_still_serves(http_url):
    r = support.http_request(http_url, "POST", "/v2/models/simple/versions/1/infer", INFER_BODY)
    assert r.status == 200, r
    assert r.json()["model_version"] == "1"


def _grpc_calls(stub, version):
    """Every gRPC call that takes a version, as (name, thunk)."""
    infer = service_pb2.ModelInferRequest(model_name="simple", model_version=version)
    for n in ("INPUT0", "INPUT1"):
        t = infer.inputs.add(name=n, datatype="INT32", shape=[1, 16])
        t.contents.int_contents.extend(range(16))
    return [
        ("ModelInfer", lambda: stub.ModelInfer(infer, timeout=30)),
        ("ModelReady", lambda: stub.ModelReady(service_pb2.ModelReadyRequest(name="simple", version=version))),
        ("ModelMetadata",
         lambda: stub.ModelMetadata(service_pb2.ModelMetadataRequest(name="simple", version=version))),
        ("ModelConfig", lambda: stub.ModelConfig(service_pb2.ModelConfigRequest(name="simple", version=version))),
        ("ModelStatistics",
         lambda: stub.ModelStatistics(service_pb2.ModelStatisticsRequest(name="simple", version=version))),
    ]


@pytest.mark.parametrize("version", BAD_VERSIONS)
def test_grpc_malformed_version_is_invalid_argument(grpc_url, version):
    with grpc.insecure_channel(grpc_url) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        for name, call in _grpc_calls(stub, version):
            with pytest.raises(grpc.RpcError) as e:
                call()
            assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (name, e.value)
            assert f"'{version}'" in e.value.details(), (name, e.value.details())


def test_grpc_empty_and_good_versions_still_serve(grpc_url):
    with grpc.insecure_channel(grpc_url) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        for version in ("", "1"):
            for name, call in _grpc_calls(stub, version):
                response = call()
                if name == "ModelReady":
                    assert response.ready, version
