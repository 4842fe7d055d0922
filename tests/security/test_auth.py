"""--auth_token_file: Bearer tokens with groups (infer, metadata, admin, metrics) on every
HTTP route, every gRPC RPC and the metrics port; the health probes stay open; the file is
re-read on SIGHUP; a malformed file is refused at start with its line named."""

import json
import os
import signal
import subprocess

import grpc
import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.grpc import service_pb2, service_pb2_grpc

import auth_support
from auth_support import TOKENS, bearer, grpc_metadata, support

GROUPS = ("infer", "metadata", "admin", "metrics")


@pytest.fixture(scope="module")
def auth_repo(tmp_path_factory):
    path = tmp_path_factory.mktemp("auth_models")
    support.make_example_repository(path)
    return path


@pytest.fixture(scope="module")
def auth_log_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("auth_logs")


@pytest.fixture(scope="module")
def token_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("auth_tokens") / "tokens.txt"
    path.write_text(auth_support.token_file_text())
    return path


@pytest.fixture(scope="module")
def server(auth_repo, auth_log_dir, token_file):
    (metrics_port,) = support.free_ports(1)
    srv = auth_support.start_server(
        auth_repo,
        auth_log_dir,
        "auth",
        f"--auth_token_file={token_file}",
        "--model_control_mode=explicit",
        "--load_model=simple",
        f"--metrics_port={metrics_port}",
    )
    srv.metrics_url = f"127.0.0.1:{metrics_port}"
    yield srv
    code = srv.stop()
    assert code == 0, f"exit code {code} after SIGTERM:\n{srv.log_tail()}"


def _infer_body():
    a, b = support.simple_inputs(1)
    return {
        "inputs": [
            {"name": "INPUT0", "datatype": "INT32", "shape": [1, 16], "data": a.flatten().tolist()},
            {"name": "INPUT1", "datatype": "INT32", "shape": [1, 16], "data": b.flatten().tolist()},
        ]
    }


# (method, path, body, group that the route needs). Unload names a model that is not
# loaded: the refusals come before routing; the allowed case is tested on its own.
HTTP_ROUTES = [
    ("GET", "/v2", None, "metadata"),
    ("GET", "/v2/models/simple", None, "metadata"),
    ("GET", "/v2/models/simple/versions/1", None, "metadata"),
    ("GET", "/v2/models/simple/ready", None, "metadata"),
    ("GET", "/v2/models/simple/config", None, "metadata"),
    ("GET", "/v2/models/simple/stats", None, "metadata"),
    ("GET", "/v2/models/stats", None, "metadata"),
    ("POST", "/v2/models/simple/infer", _infer_body(), "infer"),
    ("POST", "/v2/models/simple/versions/1/infer", _infer_body(), "infer"),
    ("POST", "/v2/repository/index", {}, "admin"),
    ("POST", "/v2/repository/models/simple/load", {}, "admin"),
    ("POST", "/v2/repository/models/not_loaded/unload", {}, "admin"),
    ("GET", "/v2/systemsharedmemory/status", None, "admin"),
    ("POST", "/v2/systemsharedmemory/unregister", {}, "admin"),
    ("GET", "/v2/cudasharedmemory/status", None, "admin"),
    ("GET", "/metrics", None, "metrics"),
]
ROUTE_IDS = [f"{m} {p}" for m, p, _, _ in HTTP_ROUTES]


@pytest.mark.parametrize("method,path,body,group", HTTP_ROUTES, ids=ROUTE_IDS)
def test_http_without_token_is_401(server, method, path, body, group):
    r = support.http_request(server.http_url, method, path, body=body)
    assert r.status == 401, r
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer"), r.headers
    assert "Authorization: Bearer" in r.error()
    # Neither a token of another scheme nor an unknown token gets in.
    for header in ("Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Bearer not-a-known-token", TOKENS["all"]):
        r = support.http_request(server.http_url, method, path, body=body, headers={"Authorization": header})
        assert r.status == 401, (header, r)
        assert "invalid_token" in r.headers.get("WWW-Authenticate", ""), r.headers


@pytest.mark.parametrize("method,path,body,group", HTTP_ROUTES, ids=ROUTE_IDS)
def test_http_wrong_group_is_403(server, method, path, body, group):
    for other in GROUPS:
        if other == group:
            continue
        r = support.http_request(server.http_url, method, path, body=body, headers=bearer(other))
        assert r.status == 403, (other, r)
        assert group in r.error(), r.error()


@pytest.mark.parametrize(
    "method,path,body,group", [r for r in HTTP_ROUTES if "unload" not in r[1]], ids=[i for i in ROUTE_IDS if "unload" not in i]
)
def test_http_right_group_is_200(server, method, path, body, group):
    for who in (group, "all"):
        r = support.http_request(server.http_url, method, path, body=body, headers=bearer(who))
        assert r.status == 200, (who, r)
    # The scheme is case-insensitive.
    r = support.http_request(
        server.http_url, method, path, body=body, headers={"authorization": f"bearer {TOKENS[group]}"}
    )
    assert r.status == 200, r


def test_http_health_stays_open(server):
    for path in ("/v2/health/live", "/v2/health/ready"):
        assert support.http_request(server.http_url, "GET", path).status == 200
        assert support.http_request(server.http_url, "GET", path, headers={"Authorization": "Bearer bad"}).status == 200


def test_http_unknown_route_needs_a_token(server):
    r = support.http_request(server.http_url, "GET", "/v2/nothing/here")
    assert r.status == 401, r
    r = support.http_request(server.http_url, "GET", "/v2/nothing/here", headers=bearer("metrics"))
    assert r.status == 404, r


def test_metrics_port(server):
    assert support.http_request(server.metrics_url, "GET", "/metrics").status == 401
    assert support.http_request(server.metrics_url, "GET", "/metrics", headers=bearer("infer")).status == 403
    r = support.http_request(server.metrics_url, "GET", "/metrics", headers=bearer("metrics"))
    assert r.status == 200, r
    assert b"nv_inference" in r.body or b"# TYPE" in r.body, r.body[:300]


def test_curl(server):
    url = server.http_url
    status, head, body = auth_support.curl(url, "/v2/models/simple")
    assert status == 401, head
    assert "www-authenticate: bearer" in head.lower(), head
    status, _, body = auth_support.curl(url, "/v2/models/simple", headers=bearer("infer"))
    assert status == 403, body
    status, _, body = auth_support.curl(url, "/v2/models/simple", headers=bearer("metadata"))
    assert status == 200, body
    assert json.loads(body)["name"] == "simple"
    status, _, body = auth_support.curl(
        url, "/v2/models/simple/infer", "POST", headers=bearer("infer"), data=json.dumps(_infer_body())
    )
    assert status == 200, body
    status, _, _ = auth_support.curl(url, "/v2/health/ready")
    assert status == 200
    status, _, body = auth_support.curl(url, "/v2/repository/index", "POST", headers=bearer("metadata"), data="{}")
    assert status == 403, body
    status, _, body = auth_support.curl(url, "/v2/repository/index", "POST", headers=bearer("admin"), data="{}")
    assert status == 200, body


def test_tritonclient_http(server):
    client = httpclient.InferenceServerClient(server.http_url)
    try:
        assert client.is_server_live() and client.is_server_ready()
        with pytest.raises(support.InferenceServerException) as e:
            client.get_server_metadata()
        assert e.value.status() == "401", e.value
        with pytest.raises(support.InferenceServerException) as e:
            client.get_server_metadata(headers=bearer("infer"))
        assert e.value.status() == "403", e.value
        assert client.get_server_metadata(headers=bearer("metadata"))["name"]

        a, b = support.simple_inputs(2, seed=7)
        inputs = []
        for name, array in (("INPUT0", a), ("INPUT1", b)):
            i = httpclient.InferInput(name, list(array.shape), "INT32")
            i.set_data_from_numpy(array, binary_data=True)
            inputs.append(i)
        with pytest.raises(support.InferenceServerException) as e:
            client.infer("simple", inputs, headers=bearer("metadata"))
        assert e.value.status() == "403", e.value
        result = client.infer("simple", inputs, headers=bearer("infer"))
        np.testing.assert_array_equal(result.as_numpy("OUTPUT0"), a + b)
    finally:
        client.close()


def test_tritonclient_grpc(server):
    client = grpcclient.InferenceServerClient(server.grpc_url)
    try:
        # ServerLive and ServerReady stay open to probes.
        assert client.is_server_live() and client.is_server_ready()
        with pytest.raises(support.InferenceServerException) as e:
            client.get_server_metadata()
        assert e.value.status() == "StatusCode.UNAUTHENTICATED", e.value
        assert "authorization" in e.value.message()
        with pytest.raises(support.InferenceServerException) as e:
            client.get_server_metadata(headers={"authorization": "Bearer nope"})
        assert e.value.status() == "StatusCode.UNAUTHENTICATED", e.value
        with pytest.raises(support.InferenceServerException) as e:
            client.get_server_metadata(headers=grpc_metadata("infer"))
        assert e.value.status() == "StatusCode.PERMISSION_DENIED", e.value
        assert "metadata" in e.value.message()
        assert client.get_server_metadata(headers=grpc_metadata("metadata")).name
        assert client.is_model_ready("simple", headers=grpc_metadata("metadata"))

        a, b = support.simple_inputs(3, seed=9)
        inputs = []
        for name, array in (("INPUT0", a), ("INPUT1", b)):
            i = grpcclient.InferInput(name, list(array.shape), "INT32")
            i.set_data_from_numpy(array)
            inputs.append(i)
        with pytest.raises(support.InferenceServerException) as e:
            client.infer("simple", inputs)
        assert e.value.status() == "StatusCode.UNAUTHENTICATED", e.value
        with pytest.raises(support.InferenceServerException) as e:
            client.infer("simple", inputs, headers=grpc_metadata("metadata"))
        assert e.value.status() == "StatusCode.PERMISSION_DENIED", e.value
        result = client.infer("simple", inputs, headers=grpc_metadata("infer"))
        np.testing.assert_array_equal(result.as_numpy("OUTPUT1"), a - b)

        with pytest.raises(support.InferenceServerException) as e:
            client.get_model_repository_index(headers=grpc_metadata("metadata"))
        assert e.value.status() == "StatusCode.PERMISSION_DENIED", e.value
        index = client.get_model_repository_index(headers=grpc_metadata("admin"), as_json=True)
        assert any(m["name"] == "simple" for m in index.get("models", [])), index
    finally:
        client.close()


# (RPC, request, group) for every RPC of the inference service but the open probes.
def _grpc_rpcs():
    infer = service_pb2.ModelInferRequest(model_name="simple")
    a, b = support.simple_inputs(1)
    for name, array in (("INPUT0", a), ("INPUT1", b)):
        infer.inputs.add(name=name, datatype="INT32", shape=[1, 16])
        infer.raw_input_contents.append(array.tobytes())
    return [
        ("ServerMetadata", service_pb2.ServerMetadataRequest(), "metadata"),
        ("ModelMetadata", service_pb2.ModelMetadataRequest(name="simple"), "metadata"),
        ("ModelReady", service_pb2.ModelReadyRequest(name="simple"), "metadata"),
        ("ModelConfig", service_pb2.ModelConfigRequest(name="simple"), "metadata"),
        ("ModelStatistics", service_pb2.ModelStatisticsRequest(name="simple"), "metadata"),
        ("ModelInfer", infer, "infer"),
        ("RepositoryIndex", service_pb2.RepositoryIndexRequest(), "admin"),
        ("RepositoryModelLoad", service_pb2.RepositoryModelLoadRequest(model_name="simple"), "admin"),
        ("RepositoryModelUnload", service_pb2.RepositoryModelUnloadRequest(model_name="not_loaded"), "admin"),
        ("SystemSharedMemoryStatus", service_pb2.SystemSharedMemoryStatusRequest(), "admin"),
        ("SystemSharedMemoryUnregister", service_pb2.SystemSharedMemoryUnregisterRequest(), "admin"),
        ("CudaSharedMemoryStatus", service_pb2.CudaSharedMemoryStatusRequest(), "admin"),
    ]


@pytest.mark.parametrize("rpc,request_message,group", _grpc_rpcs(), ids=[r[0] for r in _grpc_rpcs()])
def test_grpc_every_rpc(server, rpc, request_message, group):
    channel = grpc.insecure_channel(server.grpc_url)
    try:
        call = getattr(service_pb2_grpc.GRPCInferenceServiceStub(channel), rpc)

        def code(metadata):
            try:
                call(request_message, metadata=metadata, timeout=60)
                return grpc.StatusCode.OK
            except grpc.RpcError as e:
                return e.code()

        assert code(()) == grpc.StatusCode.UNAUTHENTICATED
        assert code((("authorization", "Bearer unknown-token"),)) == grpc.StatusCode.UNAUTHENTICATED
        assert code((("authorization", TOKENS[group]),)) == grpc.StatusCode.UNAUTHENTICATED  # no scheme
        for other in GROUPS:
            if other != group:
                assert code(tuple(grpc_metadata(other).items())) == grpc.StatusCode.PERMISSION_DENIED, other
        if rpc != "RepositoryModelUnload":  # not_loaded: NOT_FOUND once let through
            assert code(tuple(grpc_metadata(group).items())) == grpc.StatusCode.OK
            assert code(tuple(grpc_metadata("all").items())) == grpc.StatusCode.OK
        else:
            assert code(tuple(grpc_metadata(group).items())) == grpc.StatusCode.NOT_FOUND
    finally:
        channel.close()


def test_grpc_health_service_stays_open(server):
    code, details, response = auth_support.raw_unary(server.grpc_url, "/grpc.health.v1.Health/Check", b"")
    assert code == grpc.StatusCode.OK, details
    assert response == b"\x08\x01"  # status: SERVING


def test_grpc_unparseable_request_needs_a_token_first(server):
    garbage = b"\xff\xff\xff\xff\xff"
    code, details, _ = auth_support.raw_unary(server.grpc_url, "/inference.GRPCInferenceService/ModelInfer", garbage)
    assert code == grpc.StatusCode.UNAUTHENTICATED, details
    code, details, _ = auth_support.raw_unary(
        server.grpc_url,
        "/inference.GRPCInferenceService/ModelInfer",
        garbage,
        metadata=grpc_metadata("infer").items(),
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT, details


def test_admin_load_and_unload(server):
    url = server.http_url
    r = support.http_request(url, "POST", "/v2/repository/models/simple_string/load", body={}, headers=bearer("infer"))
    assert r.status == 403, r
    r = support.http_request(url, "POST", "/v2/repository/models/simple_string/load", body={}, headers=bearer("admin"))
    assert r.status == 200, r
    r = support.http_request(url, "GET", "/v2/models/simple_string/ready", headers=bearer("metadata"))
    assert r.status == 200, r
    r = support.http_request(
        url, "POST", "/v2/repository/models/simple_string/unload", body={}, headers=bearer("metadata")
    )
    assert r.status == 403, r
    r = support.http_request(url, "POST", "/v2/repository/models/simple_string/unload", body={}, headers=bearer("admin"))
    assert r.status == 200, r
    r = support.http_request(url, "GET", "/v2/models/simple_string/ready", headers=bearer("metadata"))
    assert r.status == 400, r


# ---------------------------------------------------------------------------------------
# Reloading on SIGHUP


def _metadata_status(url, token):
    return support.http_request(url, "GET", "/v2", headers={"Authorization": f"Bearer {token}"}).status


def _grpc_metadata_code(url, token):
    channel = grpc.insecure_channel(url)
    try:
        service_pb2_grpc.GRPCInferenceServiceStub(channel).ServerMetadata(
            service_pb2.ServerMetadataRequest(), metadata=(("authorization", f"Bearer {token}"),), timeout=30
        )
        return grpc.StatusCode.OK
    except grpc.RpcError as e:
        return e.code()
    finally:
        channel.close()


def test_sighup_reloads_the_token_file(tmp_path, auth_log_dir):
    repo = tmp_path / "repo"
    repo.mkdir()
    tokens = tmp_path / "tokens.txt"
    old, new = "old-token-aaaaaaaaaaaaaaaa", "new-token-bbbbbbbbbbbbbbbb"
    tokens.write_text(f"{old} metadata\n")
    srv = auth_support.start_server(
        repo, auth_log_dir, "sighup", f"--auth_token_file={tokens}", "--model_control_mode=explicit"
    )
    try:
        url = srv.http_url
        assert _metadata_status(url, old) == 200
        assert _metadata_status(url, new) == 401
        assert _grpc_metadata_code(srv.grpc_url, new) == grpc.StatusCode.UNAUTHENTICATED

        tokens.write_text(f"# rotated\n{new} metadata\n")
        subprocess.run(["kill", "-HUP", str(srv.proc.pid)], check=True)
        auth_support.wait_for(lambda: _metadata_status(url, new) == 200, "the new token to work after SIGHUP")
        assert _metadata_status(url, old) == 401
        assert _grpc_metadata_code(srv.grpc_url, new) == grpc.StatusCode.OK
        assert _grpc_metadata_code(srv.grpc_url, old) == grpc.StatusCode.UNAUTHENTICATED

        # A malformed file on reload: logged with its line, the tokens in use stay.
        tokens.write_text(f"{old} metadata\n{new} metadata,superuser\n")
        os.kill(srv.proc.pid, signal.SIGHUP)
        auth_support.wait_for(lambda: f"{tokens}:2:" in srv.log_text(), "the reload error in the log")
        assert "unknown group 'superuser'" in srv.log_text()
        assert _metadata_status(url, new) == 200
        assert _metadata_status(url, old) == 401
        assert srv.proc.poll() is None
    finally:
        code = srv.stop()
    assert code == 0, srv.log_tail()


def test_sighup_without_auth_does_not_stop_the_server(tmp_path, auth_log_dir):
    repo = tmp_path / "repo"
    repo.mkdir()
    srv = auth_support.start_server(repo, auth_log_dir, "sighup_noauth", "--model_control_mode=explicit")
    try:
        os.kill(srv.proc.pid, signal.SIGHUP)
        auth_support.wait_for(lambda: "SIGHUP" in srv.log_text() or srv.proc.poll() is not None, "SIGHUP handled")
        assert srv.proc.poll() is None, srv.log_tail()
        assert support.http_request(srv.http_url, "GET", "/v2").status == 200
    finally:
        code = srv.stop()
    assert code == 0, srv.log_tail()


# ---------------------------------------------------------------------------------------
# Refusing a bad token file at start

BAD_FILES = [
    ("tok-1 infer\n\nlonely-token\n", ":3:", "no groups"),
    ("# comment\ntok-1 inferr\n", ":2:", "unknown group 'inferr'"),
    ("tok-1 infer,,admin\n", ":1:", "empty group name"),
    ("tok-1 infer metadata\n", ":1:", "unknown group 'infer metadata'"),
    ('tok"1 infer\n', ":1:", "Bearer token cannot hold"),
    ("tok-1 infer\ntok-2 admin\ntok-1 metrics\n", ":3:", "already on line 1"),
    ("# nothing but comments\n\n", "", "no tokens"),
]


@pytest.mark.parametrize("text,line,what", BAD_FILES, ids=[w for _, _, w in BAD_FILES])
def test_malformed_token_file_refused_at_start(tmp_path, text, line, what):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text(text)
    (tmp_path / "repo").mkdir()
    code, output = auth_support.run_to_exit(tmp_path / "repo", f"--auth_token_file={tokens}")
    assert code == 2, output
    assert f"{tokens}{line}" in output, output
    assert what in output, output


def test_missing_token_file_refused_at_start(tmp_path):
    (tmp_path / "repo").mkdir()
    missing = tmp_path / "no-such-tokens.txt"
    code, output = auth_support.run_to_exit(tmp_path / "repo", f"--auth_token_file={missing}")
    assert code == 2, output
    assert str(missing) in output, output


# ---------------------------------------------------------------------------------------
# The warning for an open repository API beyond loopback

WARNING = "no --auth_token_file"


@pytest.mark.parametrize(
    "args,warned",
    [
        (["--address=0.0.0.0", "--model_control_mode=explicit"], True),
        (["--address=127.0.0.1", "--model_control_mode=explicit"], False),
        (["--address=0.0.0.0", "--model_control_mode=poll"], False),
        (["--address=0.0.0.0", "--model_control_mode=explicit", "AUTH"], False),
    ],
    ids=["explicit-any-address", "explicit-loopback", "poll-any-address", "explicit-with-auth"],
)
def test_warning_for_open_repository_api(request, tmp_path, auth_log_dir, args, warned):
    repo = tmp_path / "repo"
    repo.mkdir()
    if "AUTH" in args:
        tokens = tmp_path / "tokens.txt"
        tokens.write_text("some-token admin\n")
        args = [a for a in args if a != "AUTH"] + [f"--auth_token_file={tokens}"]
    name = "warning-" + request.node.callspec.id
    srv = auth_support.start_server(repo, auth_log_dir, name, *args)
    try:
        log = srv.log_text()
    finally:
        code = srv.stop()
    assert code == 0, srv.log_tail()
    assert (WARNING in log) == warned, log
