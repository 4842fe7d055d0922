"""The statistics extension: per-model counters move exactly with the requests made."""

import time

import numpy as np

import support

KINDS = ("success", "queue", "compute_input", "compute_infer", "compute_output")


def _http_stats(http_client, model, version=""):
    doc = http_client.get_inference_statistics(model, model_version=version)
    entries = [m for m in doc["model_stats"] if m["name"] == model]
    assert len(entries) == 1, doc
    m = entries[0]
    stats = m["inference_stats"]
    flat = {"inference_count": int(m.get("inference_count", 0)), "execution_count": int(m.get("execution_count", 0))}
    flat["last_inference"] = int(m.get("last_inference", 0))
    flat["version"] = m.get("version")
    for kind in KINDS + ("fail",):
        entry = stats.get(kind, {})
        flat[kind] = (int(entry.get("count", 0)), int(entry.get("ns", 0)))
    return flat


def _grpc_stats(grpc_client, model):
    response = grpc_client.get_inference_statistics(model)
    entries = [m for m in response.model_stats if m.name == model]
    assert len(entries) == 1, response
    m = entries[0]
    flat = {"inference_count": m.inference_count, "execution_count": m.execution_count}
    flat["last_inference"] = m.last_inference
    flat["version"] = m.version
    for kind in KINDS + ("fail",):
        d = getattr(m.inference_stats, kind)
        flat[kind] = (d.count, d.ns)
    return flat


def _run_batches(http_url, grpc_url, batches):
    for i, batch in enumerate(batches):
        protocol = ("http_json", "grpc", "http_binary")[i % 3]
        support.check_simple(grpc_url if protocol == "grpc" else http_url, protocol, batch=batch, seed=i)


def test_success_counters(http_client, grpc_client, http_url, grpc_url):
    batches = [1, 2, 3, 4, 8]
    before = _http_stats(http_client, "simple")
    before_grpc = _grpc_stats(grpc_client, "simple")
    start_ms = int(time.time() * 1000)
    _run_batches(http_url, grpc_url, batches)
    after = _http_stats(http_client, "simple")
    after_grpc = _grpc_stats(grpc_client, "simple")

    for b, a in ((before, after), (before_grpc, after_grpc)):
        for kind in KINDS:
            assert a[kind][0] - b[kind][0] == len(batches), (kind, b[kind], a[kind])
        assert a["success"][1] > b["success"][1], "success ns did not grow"
        assert a["compute_infer"][1] > b["compute_infer"][1], "compute_infer ns did not grow"
        assert a["fail"] == b["fail"]
        # inference_count counts batch elements, execution_count model executions
        assert a["inference_count"] - b["inference_count"] == sum(batches)
        assert a["execution_count"] - b["execution_count"] == len(batches)
        assert a["last_inference"] >= start_ms - 2000, (a["last_inference"], start_ms)
    # both protocols report the same numbers
    assert after["success"][0] == after_grpc["success"][0]
    assert after["inference_count"] == after_grpc["inference_count"]
    assert after_grpc["version"] == "1"


def test_fail_counter(http_client, grpc_client, http_url, grpc_url):
    before = _http_stats(http_client, "simple")
    r = support.http_request(
        http_url,
        "POST",
        "/v2/models/simple/infer",
        {
            "inputs": [
                {"name": "INPUT0", "shape": [1, 15], "datatype": "INT32", "data": list(range(15))},
                {"name": "INPUT1", "shape": [1, 15], "datatype": "INT32", "data": list(range(15))},
            ]
        },
    )
    assert r.status == 400, r
    middle = _http_stats(http_client, "simple")
    assert middle["fail"][0] == before["fail"][0] + 1, (before["fail"], middle["fail"])
    assert middle["success"][0] == before["success"][0]

    import tritonclient.grpc as grpcclient

    bad = grpcclient.InferInput("INPUT0", [1, 16], "FP32")
    bad.set_data_from_numpy(np.zeros((1, 16), dtype=np.float32))
    good = grpcclient.InferInput("INPUT1", [1, 16], "INT32")
    good.set_data_from_numpy(np.zeros((1, 16), dtype=np.int32))
    try:
        grpc_client.infer("simple", [bad, good])
        raise AssertionError("FP32 input to an INT32 model was accepted")
    except support.InferenceServerException:
        pass
    after = _grpc_stats(grpc_client, "simple")
    assert after["fail"][0] == middle["fail"][0] + 1, (middle["fail"], after["fail"])
    assert after["success"][0] == middle["success"][0]


def test_versioned_and_all_models_stats(http_client, http_url):
    support.check_simple(http_url)
    versioned = _http_stats(http_client, "simple", version="1")
    assert versioned["version"] == "1"
    assert versioned["success"][0] >= 1
    r = support.http_request(http_url, "GET", "/v2/models/stats")
    assert r.status == 200, r
    names = {m["name"] for m in r.json()["model_stats"]}
    for model in ("simple", "simple_string", "simple_fp16", "simple_identity", "classifier"):
        assert model in names, (model, names)


def test_success_time_holds_its_parts(http_client, grpc_client, http_url, grpc_url):
    """A request's success duration runs from the parse of its bytes to the hand-over of
    its response, so it holds the queue and compute durations measured inside it."""
    parts = ("queue", "compute_input", "compute_infer", "compute_output")
    for protocol, url in (("http_json", http_url), ("http_binary", http_url), ("grpc", grpc_url)):
        before = _http_stats(http_client, "simple")
        for seed in range(5):
            support.check_simple(url, protocol, batch=2, seed=seed)
        after = _http_stats(http_client, "simple")
        success_ns = after["success"][1] - before["success"][1]
        inside_ns = sum(after[k][1] - before[k][1] for k in parts)
        assert after["success"][0] - before["success"][0] == 5, protocol
        assert success_ns >= inside_ns > 0, (protocol, success_ns, inside_ns)
