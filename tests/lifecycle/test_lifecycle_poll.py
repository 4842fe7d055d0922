"""Poll mode: the repository changes one step at a time while a client keeps calling
`simple`, and not one of its requests may fail."""

import numpy as np
import pytest
from tritonclient.utils import InferenceServerException

import lifecycle_support as ls
import support

OFFSET_V2 = 1000  # version 2 of simple answers OUTPUT0 = a + b + 1000


def _entry(url, name, version):
    return ls.versions_of(ls.index(url), name).get(version)


def test_repository_changes_under_load(repo, example_repo, start_server):
    stage = ls.Stager(repo.parent / "staging")
    ls.write_model(repo, "simple", ls.simple_model_files({1: 0}))
    ls.copy_example(example_repo, repo, "simple_fp16")
    srv = start_server(repo, "--fs_poll_wait_seconds=1")
    url = srv.http_url
    assert ls.ready_versions(url, "simple") == [1]
    assert ls.ready_versions(url, "simple_fp16") == [1]

    loop = ls.InferLoop(srv, {"1": 0, "2": OFFSET_V2}).start()
    try:
        loop.wait_successes(50)

        # 1. Version 2 of simple appears: it loads beside version 1, takes over, and
        #    version 1 is unloaded.
        stage.add_dir(repo / "simple" / "2", {"model.onnx": ls.offset_simple_model(OFFSET_V2)})
        seen_v1_unloaded = []

        def v2_took_over():
            versions = ls.versions_of(ls.index(url), "simple")
            v1 = versions.get("1")
            if v1 is not None and v1[0] == "UNAVAILABLE" and "unloaded" in v1[1]:
                seen_v1_unloaded.append(v1)
            return versions.get("2", ("",))[0] == "READY" and (v1 is None or v1[0] == "UNAVAILABLE")

        ls.wait_for(v2_took_over, "simple version 2 READY and version 1 UNAVAILABLE")
        assert seen_v1_unloaded, "version 1 was never listed UNAVAILABLE with an 'unloaded' reason"
        loop.wait_version("2")
        r = support.http_request(url, "GET", "/v2/models/simple")
        assert r.status == 200 and r.json()["versions"] == ["2"], r
        assert ls.check_offset(srv, "http", OFFSET_V2) == "2"
        with pytest.raises(InferenceServerException):
            ls.infer_simple(srv, "http", version="1")
        loop.wait_successes(50)

        # 2. A new model folder: it becomes READY and serves.
        stage.add_dir(repo / "added", ls.simple_model_files({1: 7}, ls.simple_config("added")))
        ls.wait_for(lambda: _entry(url, "added", "1") == ("READY", ""), "model 'added' READY")
        assert ls.check_offset(srv, "grpc", 7, model="added") == "1"

        # 3. A model folder goes away: the model stops serving.
        stage.remove_dir(repo / "simple_fp16")
        seen_removed = []

        def fp16_gone():
            e = _entry(url, "simple_fp16", "1")
            if e is not None and e[0] == "UNAVAILABLE":
                seen_removed.append(e)
            return e is None or e[0] == "UNAVAILABLE"

        ls.wait_for(fp16_gone, "simple_fp16 UNAVAILABLE")
        assert seen_removed, "simple_fp16 was never listed UNAVAILABLE after its folder went away"
        assert "removed" in seen_removed[0][1], seen_removed
        r = support.http_request(url, "GET", "/v2/models/simple_fp16/ready")
        assert r.status != 200, r
        x = np.ones((1, 16), dtype=np.float16)
        with pytest.raises(InferenceServerException):
            support.infer("http_binary", url, "simple_fp16", {"INPUT0": x, "INPUT1": x}, ["OUTPUT0"])

        # 4. A corrupt model: UNAVAILABLE, with a reason that names the file.
        stage.add_dir(
            repo / "corrupt",
            {"config.pbtxt": ls.simple_config("corrupt"), "1/model.onnx": ls.CORRUPT_ONNX},
        )
        state, reason = ls.wait_for(
            lambda: (e := _entry(url, "corrupt", "1")) and e[0] == "UNAVAILABLE" and e,
            "model 'corrupt' UNAVAILABLE",
        )
        assert "model.onnx" in reason, reason
        assert ls.ready_versions(url, "simple") == [2]
        loop.wait_successes(50)

        # 5. simple's config changes: the served copy is replaced by one with the new
        #    config, still without a failed request.
        mb8 = ls.model_config(url, "simple")
        assert mb8["max_batch_size"] == 8 and "dynamic_batching" not in mb8, mb8
        with pytest.raises(InferenceServerException):
            ls.infer_simple(srv, "http", batch=16)
        stage.write_file(repo / "simple" / "config.pbtxt", ls.simple_config(max_batch_size=16, extra="dynamic_batching {}\n"))
        ls.wait_for(
            lambda: (c := ls.model_config(url, "simple"))["max_batch_size"] == 16 and "dynamic_batching" in c,
            "simple's /config with max_batch_size 16 and dynamic_batching",
        )
        a, b, out0, _, version = ls.infer_simple(srv, "http", batch=16)
        assert version == "2"
        np.testing.assert_array_equal(out0, a + b + OFFSET_V2)
        loop.wait_successes(50)

        # 6. simple's config becomes unparsable: the previous copy keeps serving and the
        #    index says why.
        stage.write_file(repo / "simple" / "config.pbtxt", ls.simple_config(extra="dynamic_batching { ]]] oops\n"))
        state, reason = ls.wait_for(
            lambda: (e := _entry(url, "simple", "2")) and "failed" in e[1] and e,
            "a 'failed' reason on simple version 2 after its config broke",
        )
        assert state == "READY", (state, reason)
        assert "config.pbtxt" in reason, reason
        assert ls.model_config(url, "simple")["max_batch_size"] == 16
        loop.wait_successes(100)
        assert ls.check_offset(srv, "grpc", OFFSET_V2) == "2"
    finally:
        loop.stop()

    print(f"inference loop: {loop.successes} succeeded, by version {loop.by_version}, {len(loop.failures)} failed")
    assert not loop.failures, f"{len(loop.failures)} failed requests, first: {loop.failures[:5]}"
    assert not loop.regressions, f"version 1 answered after version 2 had: {loop.regressions[:5]}"
    assert loop.successes >= 300, loop.successes
    assert loop.by_version.get("1", 0) > 0 and loop.by_version.get("2", 0) > 0, loop.by_version


def test_unparsable_config_keeps_the_previous_copy(repo, start_server):
    """Without load: a served model whose config stops parsing keeps serving the copy it
    has, and the index names the file and the error; fixing the config applies it."""
    stage = ls.Stager(repo.parent / "staging")
    ls.write_model(repo, "simple", ls.simple_model_files({1: 0}))
    srv = start_server(repo, "--fs_poll_wait_seconds=1")
    url = srv.http_url
    assert _entry(url, "simple", "1") == ("READY", "")

    stage.write_file(repo / "simple" / "config.pbtxt", 'name: "simple"\nmax_batch_size: [ nonsense\n')
    state, reason = ls.wait_for(
        lambda: (e := _entry(url, "simple", "1")) and "failed" in e[1] and e, "a 'failed' reason on simple"
    )
    assert state == "READY" and "config.pbtxt" in reason, (state, reason)
    assert ls.check_offset(srv, "http", 0) == "1"
    assert ls.model_config(url, "simple")["max_batch_size"] == 8
    r = support.http_request(url, "GET", "/v2/health/ready")
    assert r.status == 200, r

    stage.write_file(repo / "simple" / "config.pbtxt", ls.simple_config(max_batch_size=4))
    ls.wait_for(lambda: ls.model_config(url, "simple")["max_batch_size"] == 4, "the fixed config applied")
    state, reason = _entry(url, "simple", "1")
    assert state == "READY" and "failed" not in reason, (state, reason)
    assert ls.check_offset(srv, "grpc", 0, batch=4) == "1"
    with pytest.raises(InferenceServerException):
        ls.infer_simple(srv, "grpc", batch=5)
