"""Version policies (config.pbtxt's version_policy) on a model with versions 1, 2 and 3,
and what happens to versions that come and go."""

import time

import pytest
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

import lifecycle_support as ls
import support

# Version v of `simple` answers OUTPUT0 = a + b + OFFSETS[v].
OFFSETS = {1: 0, 2: 100, 3: 200}

POLICIES = [
    pytest.param("", [3], id="default_latest_1"),
    pytest.param("version_policy { all {} }\n", [1, 2, 3], id="all"),
    pytest.param("version_policy { latest { num_versions: 2 } }\n", [2, 3], id="latest_2"),
    pytest.param("version_policy { specific { versions: [1] } }\n", [1], id="specific_1"),
    pytest.param("version_policy { specific { versions: [1, 3] } }\n", [1, 3], id="specific_1_3"),
]


def _stats(url, version):
    return support.http_request(url, "GET", f"/v2/models/simple/versions/{version}/stats")


def _policy_server(repo, start_server, policy):
    ls.write_model(repo, "simple", ls.simple_model_files(OFFSETS, ls.simple_config(extra=policy)))
    return start_server(repo, "--fs_poll_wait_seconds=0")


@pytest.mark.parametrize("policy, chosen", POLICIES)
def test_version_policy_metadata(repo, start_server, policy, chosen):
    """Model metadata without a version lists every served version, over both protocols
    (as Triton does: the versions a client may ask for)."""
    srv = _policy_server(repo, start_server, policy)
    r = support.http_request(srv.http_url, "GET", "/v2/models/simple")
    assert r.status == 200, r
    http_versions = sorted(r.json()["versions"], key=int)
    grpc = grpcclient.InferenceServerClient(srv.grpc_url)
    try:
        grpc_versions = sorted(grpc.get_model_metadata("simple").versions, key=int)
    finally:
        grpc.close()
    expected = [str(v) for v in chosen]
    assert (http_versions, grpc_versions) == (expected, expected)


@pytest.mark.parametrize("policy, chosen", POLICIES)
def test_version_policy(repo, start_server, policy, chosen):
    srv = _policy_server(repo, start_server, policy)
    url = srv.http_url
    others = sorted(set(OFFSETS) - set(chosen))

    # The index: exactly the chosen versions, all READY.
    listed = ls.versions_of(ls.index(url), "simple")
    assert {v: s for v, (s, _) in listed.items() if s == "READY"} == {str(v): "READY" for v in chosen}, listed
    for v in others:
        assert str(v) not in listed or listed[str(v)][0] != "READY", listed

    # Readiness and metadata of each version.
    grpc = grpcclient.InferenceServerClient(srv.grpc_url)
    try:
        for v in chosen:
            assert grpc.is_model_ready("simple", str(v))
            assert grpc.get_model_metadata("simple", str(v)).versions == [str(v)]
        for v in others:
            assert not grpc.is_model_ready("simple", str(v))
    finally:
        grpc.close()
    for v in chosen:
        r = support.http_request(url, "GET", f"/v2/models/simple/versions/{v}")
        assert r.status == 200 and r.json()["versions"] == [str(v)], r
        assert support.http_request(url, "GET", f"/v2/models/simple/versions/{v}/ready").status == 200

    # Each served version answers when named, with its own result; version v gets v + 1
    # requests (alternating protocols), and the newest also the unversioned one.
    sent = {}
    for v in chosen:
        for i in range(v + 1):
            protocol = ("http", "grpc")[i % 2]
            answered = ls.check_offset(srv, protocol, OFFSETS[v], version=str(v), seed=10 * v + i)
            assert answered == str(v)
        sent[v] = v + 1
    newest = max(chosen)
    assert ls.check_offset(srv, "http", OFFSETS[newest]) == str(newest)
    sent[newest] += 1

    # The others: NOT_FOUND, over both protocols, for inference, metadata and readiness.
    for v in others + [4]:
        for protocol in ("http", "grpc"):
            with pytest.raises(InferenceServerException) as e:
                ls.infer_simple(srv, protocol, version=str(v))
            status = str(e.value.status())
            assert status in ("404", "StatusCode.NOT_FOUND"), (v, protocol, status, e.value.message())
        r = support.http_request(url, "GET", f"/v2/models/simple/versions/{v}")
        assert r.status == 404, r
        assert _stats(url, v).status == 404

    # Each version has its own statistics.
    for v in chosen:
        r = _stats(url, v)
        assert r.status == 200, r
        entries = r.json()["model_stats"]
        assert [(e["name"], e["version"]) for e in entries] == [("simple", str(v))], entries
        st = entries[0]
        assert st["inference_count"] == sent[v], (v, st)
        assert st["inference_stats"]["success"]["count"] == sent[v], (v, st)
        assert st["inference_stats"]["fail"]["count"] == 0, (v, st)
    r = support.http_request(url, "GET", "/v2/models/simple/stats")
    assert r.status == 200, r
    counts = {e["version"]: e["inference_count"] for e in r.json()["model_stats"]}
    assert counts == {str(v): n for v, n in sent.items()}, counts


def test_policy_edits_follow_the_config(repo, start_server):
    """Poll mode: editing version_policy loads and unloads versions accordingly, and a
    version served throughout keeps its statistics."""
    stage = ls.Stager(repo.parent / "staging")
    ls.write_model(repo, "simple", ls.simple_model_files(OFFSETS))
    srv = start_server(repo, "--fs_poll_wait_seconds=1")
    url = srv.http_url
    assert ls.ready_versions(url, "simple") == [3]

    def set_policy(policy, chosen):
        stage.write_file(repo / "simple" / "config.pbtxt", ls.simple_config(extra=policy))
        ls.wait_for(
            lambda: (
                (listed := ls.versions_of(ls.index(url), "simple"))
                and sorted(int(v) for v, (s, _) in listed.items() if s == "READY") == chosen
                and all(s in ("READY", "UNAVAILABLE") for s, _ in listed.values())
            ),
            f"versions {chosen} READY",
        )
        for v in chosen:
            assert ls.check_offset(srv, "grpc", OFFSETS[v], version=str(v)) == str(v)

    set_policy("version_policy { all {} }\n", [1, 2, 3])
    set_policy("version_policy { specific { versions: [2] } }\n", [2])
    assert ls.check_offset(srv, "http", OFFSETS[2]) == "2"
    with pytest.raises(InferenceServerException):
        ls.infer_simple(srv, "http", version="3")
    set_policy("version_policy { latest { num_versions: 2 } }\n", [2, 3])
    # Versions 1 (unloaded twice now) and 3 (reloaded) answer right; none is stuck.
    assert ls.check_offset(srv, "http", OFFSETS[3]) == "3"


def test_unloaded_version_stays_listed(repo, start_server):
    """A version that stopped serving because a newer one took over stays in the index as
    UNAVAILABLE with an 'unloaded' reason (as in Triton's repository index), not only
    until the next poll."""
    stage = ls.Stager(repo.parent / "staging")
    ls.write_model(repo, "simple", ls.simple_model_files({1: 0}))
    srv = start_server(repo, "--fs_poll_wait_seconds=1")
    url = srv.http_url
    stage.add_dir(repo / "simple" / "2", {"model.onnx": ls.offset_simple_model(OFFSETS[2])})
    ls.wait_for(lambda: ls.ready_versions(url, "simple") == [2], "version 2 READY")
    time.sleep(3.5)  # three more polls of the repository, which change nothing
    listed = ls.versions_of(ls.index(url), "simple")
    assert "1" in listed, f"version 1 vanished from the index: {listed}"
    state, reason = listed["1"]
    assert state == "UNAVAILABLE" and "unloaded" in reason, listed


def test_failed_new_version_keeps_the_served_one(repo, start_server):
    """A new version that cannot load does not take the model down: the version that was
    serving keeps serving (model_manager.h: 'A load that fails leaves the model's other
    versions ... as they were'), and the index gives the new one's reason."""
    stage = ls.Stager(repo.parent / "staging")
    ls.write_model(repo, "simple", ls.simple_model_files({1: 0}))
    srv = start_server(repo, "--fs_poll_wait_seconds=1")
    url = srv.http_url
    loop = ls.InferLoop(srv, {"1": 0}).start()
    try:
        loop.wait_successes(20)
        stage.add_dir(repo / "simple" / "2", {"model.onnx": ls.CORRUPT_ONNX})
        state, reason = ls.wait_for(
            lambda: (e := ls.versions_of(ls.index(url), "simple").get("2")) and e[0] == "UNAVAILABLE" and e,
            "version 2 UNAVAILABLE",
        )
        assert "model.onnx" in reason, reason
        time.sleep(2.5)  # two more polls of the repository
    finally:
        loop.stop()
    assert not loop.failures, f"{len(loop.failures)} failed requests, first: {loop.failures[:3]}"
    assert loop.successes >= 20, loop.successes
    assert ls.ready_versions(url, "simple") == [1], ls.index(url)
    assert ls.check_offset(srv, "http", 0) == "1"
