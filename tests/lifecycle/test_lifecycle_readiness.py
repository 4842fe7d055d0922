"""--strict_readiness: ready only while every model that should serve has a READY
version; without it, ready once the initial load is done, whatever failed."""

import tritonclient.grpc as grpcclient

import lifecycle_support as ls
import support


def _ready(srv):
    r = support.http_request(srv.http_url, "GET", "/v2/health/ready")
    assert r.status in (200, 400), r
    grpc = grpcclient.InferenceServerClient(srv.grpc_url)
    try:
        over_grpc = grpc.is_server_ready()
    finally:
        grpc.close()
    assert over_grpc == (r.status == 200), (r, over_grpc)
    return r.status == 200


def _repo_with_corrupt_model(repo, example_repo):
    ls.copy_example(example_repo, repo, "simple")
    ls.write_model(repo, "corrupt", {"config.pbtxt": ls.simple_config("corrupt"), "1/model.onnx": ls.CORRUPT_ONNX})


def test_corrupt_model_and_readiness(repo, example_repo, start_server):
    _repo_with_corrupt_model(repo, example_repo)
    lenient = start_server(repo, "--fs_poll_wait_seconds=0", name="lenient")
    strict = start_server(repo, "--fs_poll_wait_seconds=0", "--strict_readiness", name="strict")
    for srv in (lenient, strict):
        assert support.http_request(srv.http_url, "GET", "/v2/health/live").status == 200
        state, reason = ls.versions_of(ls.index(srv.http_url), "corrupt")["1"]
        assert state == "UNAVAILABLE" and "model.onnx" in reason, (state, reason)
        assert support.http_request(srv.http_url, "GET", "/v2/models/simple/ready").status == 200
        support.check_simple(srv.http_url)
    assert _ready(lenient)
    assert not _ready(strict)
    r = support.http_request(strict.http_url, "GET", "/v2/health/ready")
    assert r.status == 400, r


def test_strict_readiness_follows_the_repository(repo, example_repo, start_server):
    """Poll mode: taking the corrupt model out makes a strict server ready; a new corrupt
    one makes it not ready again; fixing that one makes it ready."""
    stage = ls.Stager(repo.parent / "staging")
    _repo_with_corrupt_model(repo, example_repo)
    srv = start_server(repo, "--fs_poll_wait_seconds=1", "--strict_readiness")
    assert not _ready(srv)
    stage.remove_dir(repo / "corrupt")
    ls.wait_for(lambda: _ready(srv), "strict server ready once the corrupt model is gone")

    stage.add_dir(repo / "late", {"config.pbtxt": ls.simple_config("late"), "1/model.onnx": ls.CORRUPT_ONNX})
    ls.wait_for(lambda: ls.versions_of(ls.index(srv.http_url), "late").get("1", ("",))[0] == "UNAVAILABLE",
                "model 'late' UNAVAILABLE")
    assert not _ready(srv)
    support.check_simple(srv.http_url)

    stage.write_file(repo / "late" / "1" / "model.onnx", ls.offset_simple_model(3))
    ls.wait_for(lambda: _ready(srv), "strict server ready once 'late' is fixed")
    assert ls.check_offset(srv, "http", 3, model="late") == "1"


def test_strict_readiness_in_explicit_mode(repo, example_repo, start_server):
    """Explicit mode: only the models asked for count; a failed load makes the server not
    ready until that model is unloaded."""
    _repo_with_corrupt_model(repo, example_repo)
    srv = start_server(repo, "--model_control_mode=explicit", "--load_model=simple", "--strict_readiness")
    assert _ready(srv)  # 'corrupt' is in the repository but was not asked for
    r = support.http_request(srv.http_url, "POST", "/v2/repository/models/corrupt/load", {})
    assert r.status != 200, r
    assert not _ready(srv)
    r = support.http_request(srv.http_url, "POST", "/v2/repository/models/corrupt/unload", {})
    assert r.status == 200, r
    assert _ready(srv)
