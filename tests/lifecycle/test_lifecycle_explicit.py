"""Explicit model control: only --load_model models at start, then the repository API
(load, unload, load with a config) over HTTP and gRPC; and its refusals."""

import json
import re
import time

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

import lifecycle_support as ls
import support


def _fp16_ok(url, model="simple_fp16", batch=1):
    a = np.arange(16 * batch, dtype=np.float16).reshape(batch, 16)
    b = np.full((batch, 16), 2, dtype=np.float16)
    out = support.infer("http_binary", url, model, {"INPUT0": a, "INPUT1": b}, ["OUTPUT0", "OUTPUT1"])
    np.testing.assert_array_equal(out["OUTPUT0"], a + b)
    np.testing.assert_array_equal(out["OUTPUT1"], a - b)


def _string_ok(grpc_url):
    a = np.array([[str(i).encode() for i in range(16)]], dtype=object)
    b = np.array([[b"3"] * 16], dtype=object)
    out = support.infer("grpc", grpc_url, "simple_string", {"INPUT0": a, "INPUT1": b}, ["OUTPUT0"])
    assert [int(x) for x in out["OUTPUT0"].reshape(-1)] == [i + 3 for i in range(16)]


def _state(url, name):
    """(state, reason) of version 1 of `name`, or None when the index does not list it."""
    return ls.versions_of(ls.index(url), name).get("1")


@pytest.fixture
def explicit_server(repo, example_repo, start_server):
    for name in ("simple", "simple_fp16", "simple_string"):
        ls.copy_example(example_repo, repo, name)
    return start_server(repo, "--model_control_mode=explicit", "--load_model=simple")


def test_only_startup_models_are_loaded(explicit_server):
    srv = explicit_server
    url = srv.http_url
    ready = {e["name"] for e in ls.index(url) if e["state"] == "READY"}
    assert ready == {"simple"}, ls.index(url)
    support.check_simple(url)
    assert support.http_request(url, "GET", "/v2/health/ready").status == 200
    for name in ("simple_fp16", "simple_string"):
        assert support.http_request(url, "GET", f"/v2/models/{name}/ready").status != 200
    with pytest.raises(InferenceServerException):
        _fp16_ok(url)
    with pytest.raises(InferenceServerException):
        _string_ok(srv.grpc_url)


def test_load_and_unload_over_http_and_grpc(explicit_server):
    srv = explicit_server
    url = srv.http_url
    http = httpclient.InferenceServerClient(url)
    grpc = grpcclient.InferenceServerClient(srv.grpc_url)
    try:
        http.load_model("simple_fp16")
        assert http.is_model_ready("simple_fp16")
        assert _state(url, "simple_fp16") == ("READY", "")
        _fp16_ok(url)

        grpc.load_model("simple_string")
        assert grpc.is_model_ready("simple_string")
        _string_ok(srv.grpc_url)
        names = {m.name: m.state for m in grpc.get_model_repository_index().models if m.version == "1"}
        assert names == {"simple": "READY", "simple_fp16": "READY", "simple_string": "READY"}, names

        http.unload_model("simple_fp16")
        assert not http.is_model_ready("simple_fp16")
        state = _state(url, "simple_fp16")
        assert state is not None and state[0] == "UNAVAILABLE" and "unload" in state[1], state
        with pytest.raises(InferenceServerException):
            _fp16_ok(url)

        grpc.unload_model("simple_string")
        assert not grpc.is_model_ready("simple_string")
        with pytest.raises(InferenceServerException):
            _string_ok(srv.grpc_url)

        # The model loaded at start is still there, and a reload of a loaded model keeps
        # it serving.
        support.check_simple(srv.grpc_url, "grpc")
        grpc.load_model("simple")
        support.check_simple(url, "http_binary")

        # An unloaded model loads again.
        grpc.load_model("simple_fp16")
        _fp16_ok(url)
        http.unload_model("simple")
        with pytest.raises(InferenceServerException):
            support.check_simple(url)
        http.load_model("simple")
        support.check_simple(url)
    finally:
        http.close()
        grpc.close()
    # Readiness in explicit mode follows what was asked for: still ready.
    assert support.http_request(url, "GET", "/v2/health/ready").status == 200


def _config_with(url, model, **changes):
    config = ls.model_config(url, model)
    config.update(changes)
    return json.dumps(config)


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_load_with_a_config(explicit_server, protocol):
    srv = explicit_server
    url = srv.http_url
    client = (httpclient if protocol == "http" else grpcclient).InferenceServerClient(
        url if protocol == "http" else srv.grpc_url
    )
    try:
        client.load_model("simple_fp16")
        assert ls.model_config(url, "simple_fp16")["max_batch_size"] == 8
        _fp16_ok(url, batch=8)

        # The same model with a config given in the request: max_batch_size 2 and
        # dynamic batching.
        config = _config_with(url, "simple_fp16", max_batch_size=2, dynamic_batching={})
        client.load_model("simple_fp16", config=config)
        got = ls.model_config(url, "simple_fp16")
        assert got["max_batch_size"] == 2 and "dynamic_batching" in got, got
        _fp16_ok(url, batch=2)
        with pytest.raises(InferenceServerException):
            _fp16_ok(url, batch=3)

        # A config that is not a ModelConfig is refused, and the model keeps what it had.
        with pytest.raises(InferenceServerException) as e:
            client.load_model("simple_fp16", config='{"max_batch_size": "many", "nonsense": [}')
        assert "config" in e.value.message().lower(), e.value.message()
        assert ls.model_config(url, "simple_fp16")["max_batch_size"] == 2
        _fp16_ok(url, batch=2)

        # A plain load goes back to the repository's config.pbtxt.
        client.load_model("simple_fp16")
        assert ls.model_config(url, "simple_fp16")["max_batch_size"] == 8
        _fp16_ok(url, batch=8)
    finally:
        client.close()


def test_load_refusals(explicit_server):
    srv = explicit_server
    url = srv.http_url

    # A model the repository does not have: NOT_FOUND.
    r = support.http_request(url, "POST", "/v2/repository/models/no_such_model/load", {})
    assert r.status == 404, r
    assert "no_such_model" in r.error(), r
    grpc = grpcclient.InferenceServerClient(srv.grpc_url)
    try:
        with pytest.raises(InferenceServerException) as e:
            grpc.load_model("no_such_model")
        assert e.value.status() == "StatusCode.NOT_FOUND", e.value

        # Names that escape the repository: INVALID_ARGUMENT (400).
        for encoded in ("%2E%2E%2Fx", "..%2Fsimple", "%2E%2E", "simple%2F..%2F..%2Fetc"):
            for action in ("load", "unload"):
                r = support.http_request(url, "POST", f"/v2/repository/models/{encoded}/{action}", {})
                assert r.status == 400, (encoded, action, r)
        for name in ("../x", "..", "/etc", "a/b"):
            with pytest.raises(InferenceServerException) as e:
                grpc.load_model(name)
            assert e.value.status() == "StatusCode.INVALID_ARGUMENT", (name, e.value)

        # Unloading a model that is not loaded: refused, nothing changes.
        r = support.http_request(url, "POST", "/v2/repository/models/simple_fp16/unload", {})
        assert r.status == 404, r
    finally:
        grpc.close()
    # None of that disturbed what serves.
    ready = {e["name"] for e in ls.index(url) if e["state"] == "READY"}
    assert ready == {"simple"}, ls.index(url)
    support.check_simple(url)


def test_load_of_a_broken_model_reports_why(explicit_server, repo):
    srv = explicit_server
    ls.write_model(repo, "corrupt", {"config.pbtxt": ls.simple_config("corrupt"), "1/model.onnx": ls.CORRUPT_ONNX})
    r = support.http_request(srv.http_url, "POST", "/v2/repository/models/corrupt/load", {})
    assert r.status >= 400 and r.status != 404, r
    assert "model.onnx" in r.error(), r
    state = _state(srv.http_url, "corrupt")
    assert state is not None and state[0] == "UNAVAILABLE" and "model.onnx" in state[1], state
    support.check_simple(srv.http_url)


def test_repository_control_needs_explicit_mode(repo, example_repo, start_server):
    ls.copy_example(example_repo, repo, "simple")
    ls.copy_example(example_repo, repo, "simple_fp16")
    srv = start_server(repo, "--fs_poll_wait_seconds=0")
    url = srv.http_url
    for model, action in (("simple", "load"), ("simple", "unload"), ("simple_fp16", "unload")):
        r = support.http_request(url, "POST", f"/v2/repository/models/{model}/{action}", {})
        assert r.status != 200, r
        assert "explicit" in r.error(), r
    grpc = grpcclient.InferenceServerClient(srv.grpc_url)
    try:
        for call in (grpc.load_model, grpc.unload_model):
            with pytest.raises(InferenceServerException) as e:
                call("simple")
            assert "explicit" in e.value.message(), e.value
    finally:
        grpc.close()
    # Nothing was unloaded.
    assert ls.ready_versions(url, "simple") == [1] and ls.ready_versions(url, "simple_fp16") == [1]
    support.check_simple(url)


def test_explicit_mode_does_not_follow_the_repository(repo, example_repo, start_server):
    """Explicit mode never reads the repository by itself: a model added after start is
    not loaded until asked for; a loaded model whose folder goes away keeps serving until
    unloaded."""
    stage = ls.Stager(repo.parent / "staging")
    ls.copy_example(example_repo, repo, "simple")
    ls.copy_example(example_repo, repo, "simple_fp16")
    srv = start_server(repo, "--model_control_mode=explicit", "--load_model=simple,simple_fp16",
                       "--fs_poll_wait_seconds=1")
    url = srv.http_url
    assert ls.ready_versions(url, "simple") == [1] and ls.ready_versions(url, "simple_fp16") == [1]
    stage.add_dir(repo / "added", ls.simple_model_files({1: 5}, ls.simple_config("added")))
    stage.remove_dir(repo / "simple_fp16")
    time.sleep(2.5)  # two poll intervals, if anything polled
    # Listed, as every model of the repository is, but not loaded.
    assert ls.versions_of(ls.index(url), "added") == {"": ("UNAVAILABLE", "unloaded")}
    assert ls.ready_versions(url, "simple_fp16") == [1]
    _fp16_ok(url)
    r = support.http_request(url, "POST", "/v2/repository/models/added/load", {})
    assert r.status == 200, r
    assert ls.check_offset(srv, "grpc", 5, model="added") == "1"


def _model_state_gauges(url):
    """{state: count} of the adlik_model_versions gauge on /metrics."""
    r = support.http_request(url, "GET", "/metrics")
    assert r.status == 200, r
    found = {}
    for line in r.body.decode().splitlines():
        m = re.match(r'adlik_model_versions\{state="(\w+)"\} (\S+)$', line)
        if m:
            found[m.group(1)] = float(m.group(2))
    return found


def test_the_index_lists_the_models_not_loaded(explicit_server):
    """The model-repository extension lists every model of the repository, loaded or
    not: over HTTP and gRPC, those never loaded are UNAVAILABLE with reason "unloaded"
    (as Triton lists them), and they stay listed after an unload."""
    srv = explicit_server
    url = srv.http_url
    entries = ls.index(url)
    assert {e["name"] for e in entries} == {"simple", "simple_fp16", "simple_string"}, entries
    assert ls.versions_of(entries, "simple") == {"1": ("READY", "")}, entries
    for name in ("simple_fp16", "simple_string"):
        assert ls.versions_of(entries, name) == {"": ("UNAVAILABLE", "unloaded")}, entries
    ready = support.http_request(url, "POST", "/v2/repository/index", {"ready": True}).json()
    assert [e["name"] for e in ready] == ["simple"], ready

    grpc = grpcclient.InferenceServerClient(srv.grpc_url)
    try:
        models = {(m.name, m.version): (m.state, m.reason) for m in grpc.get_model_repository_index().models}
        assert models == {
            ("simple", "1"): ("READY", ""),
            ("simple_fp16", ""): ("UNAVAILABLE", "unloaded"),
            ("simple_string", ""): ("UNAVAILABLE", "unloaded"),
        }, models
        grpc.load_model("simple_fp16")
        grpc.unload_model("simple")
    finally:
        grpc.close()
    after = ls.index(url)
    assert ls.versions_of(after, "simple_fp16") == {"1": ("READY", "")}, after
    state, reason = ls.versions_of(after, "simple")["1"]
    assert state == "UNAVAILABLE" and "unload" in reason, after
    assert ls.versions_of(after, "simple_string") == {"": ("UNAVAILABLE", "unloaded")}, after


def test_metrics_count_the_versions_in_each_state(explicit_server):
    srv = explicit_server
    url = srv.http_url
    assert _model_state_gauges(url) == {"LOADING": 0, "READY": 1, "UNLOADING": 0, "UNAVAILABLE": 0}
    http = httpclient.InferenceServerClient(url)
    try:
        http.load_model("simple_fp16")
        assert _model_state_gauges(url)["READY"] == 2
        http.unload_model("simple")
    finally:
        http.close()
    assert _model_state_gauges(url) == {"LOADING": 0, "READY": 1, "UNLOADING": 0, "UNAVAILABLE": 1}
