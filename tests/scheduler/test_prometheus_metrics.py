"""GET /metrics, on the HTTP port and on --metrics_port: Prometheus text that parses, and
counters that count exactly what was sent."""

import numpy as np
import tritonclient.grpc as grpcclient

from sched_support import metrics_text, parse_metrics, sample, simple_config, stats, support

BATCHES = [1, 2, 3, 4, 5, 8, 1, 1, 2, 7]  # one request each, sent one after another


def test_metrics_count_what_was_sent(start_server):
    metrics_port = support.free_ports(1)[0]
    config = simple_config("simple", "dynamic_batching { max_queue_delay_microseconds: 1000 }\n")
    srv = start_server(
        {"simple": ("simple", config), "idle": ("simple", simple_config("idle"))}, metrics_port=metrics_port
    )
    for i, batch in enumerate(BATCHES):
        protocol = ("http_json", "grpc", "http_binary")[i % 3]
        support.check_simple(srv.grpc_url if protocol == "grpc" else srv.http_url, protocol, batch=batch, seed=i)
    # Two failures: a wrong shape over HTTP, a wrong datatype over gRPC.
    r = support.http_request(
        srv.http_url,
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
    client = grpcclient.InferenceServerClient(srv.grpc_url)
    try:
        bad = grpcclient.InferInput("INPUT0", [1, 16], "FP32")
        bad.set_data_from_numpy(np.zeros((1, 16), dtype=np.float32))
        good = grpcclient.InferInput("INPUT1", [1, 16], "INT32")
        good.set_data_from_numpy(np.zeros((1, 16), dtype=np.int32))
        try:
            client.infer("simple", [bad, good])
            raise AssertionError("an FP32 input to an INT32 model was accepted")
        except support.InferenceServerException:
            pass
    finally:
        client.close()

    s = stats(srv.http_url, "simple")
    # Sent one at a time: every request ran alone.
    assert s["execution_count"] == len(BATCHES) and s["inference_count"] == sum(BATCHES), s

    texts = {"http port": metrics_text(srv.http_url), "metrics port": metrics_text(f"127.0.0.1:{metrics_port}")}
    parsed = {}
    for where, text in texts.items():
        # The names of prometheus_metrics.h, as written.
        lines = text.splitlines()
        assert f'adlik_inference_request_success{{model="simple",version="1"}} {len(BATCHES)}' in lines, (where, text)
        assert 'adlik_inference_request_failure{model="simple",version="1"} 2' in lines, (where, text)
        families = parse_metrics(text)
        parsed[where] = families
        expected_counts = {
            "adlik_inference_request_success": len(BATCHES),
            "adlik_inference_request_failure": 2,
            "adlik_inference_count": sum(BATCHES),
            "adlik_inference_exec_count": s["execution_count"],
            "adlik_inference_pending_request_count": 0,
        }
        for family, want in expected_counts.items():
            assert sample(families, family, "simple") == want, (where, family, families[family].samples)
            assert sample(families, family, "idle") == 0, (where, family, families[family].samples)
        for family in ("adlik_inference_request_success", "adlik_inference_count"):
            assert families[family].type == "counter", (where, families[family])
        assert families["adlik_inference_pending_request_count"].type == "gauge"
        for family in (
            "adlik_inference_request_duration_us",
            "adlik_inference_queue_duration_us",
            "adlik_inference_compute_input_duration_us",
            "adlik_inference_compute_infer_duration_us",
            "adlik_inference_compute_output_duration_us",
        ):
            assert families[family].type == "counter", (where, family)
            assert sample(families, family, "simple") >= 0, (where, family)
        assert sample(families, "adlik_inference_request_duration_us", "simple") > 0, where
        assert sample(families, "adlik_inference_compute_infer_duration_us", "simple") > 0, where

        # The batch size histogram: one observation per execution, of its batch size.
        hist = "adlik_inference_batch_size"
        assert families[hist].type == "histogram", (where, families[hist])
        assert sample(families, hist, "simple", hist + "_count") == s["execution_count"], where
        assert sample(families, hist, "simple", hist + "_sum") == sum(BATCHES), where
        buckets = {
            float(x.labels["le"]): x.value
            for x in families[hist].samples
            if x.name == hist + "_bucket" and x.labels.get("model") == "simple"
        }
        for bound, count in buckets.items():
            assert count == sum(1 for b in BATCHES if b <= bound), (where, bound, buckets)
        assert buckets[float("inf")] == len(BATCHES), (where, buckets)
        assert {1.0, 2.0, 4.0, 8.0} <= set(buckets), (where, buckets)
        assert sample(families, hist, "idle", hist + "_count") == 0, where

        # The latency histograms: one observation per successful request (request latency)
        # and per request executed (queue time); their sums are the cumulative durations.
        for hist, total in (
            ("adlik_inference_request_latency_us", "adlik_inference_request_duration_us"),
            ("adlik_inference_queue_latency_us", "adlik_inference_queue_duration_us"),
        ):
            assert families[hist].type == "histogram", (where, families[hist])
            assert sample(families, hist, "simple", hist + "_count") == len(BATCHES), where
            assert sample(families, hist, "simple", hist + "_sum") == sample(families, total, "simple"), where
            bounds = [
                (float(x.labels["le"]), x.value)
                for x in families[hist].samples
                if x.name == hist + "_bucket" and x.labels.get("model") == "simple"
            ]
            assert [b for b, _ in bounds] == sorted(b for b, _ in bounds), (where, bounds)
            assert bounds[0][0] == 25 and bounds[-2][0] == 10_000_000, (where, bounds)
            counts = [c for _, c in bounds]
            assert counts == sorted(counts) and counts[-1] == len(BATCHES), (where, hist, bounds)
            assert sample(families, hist, "idle", hist + "_count") == 0, where

    # Both ports serve the same numbers.
    for family in ("adlik_inference_request_success", "adlik_inference_request_failure", "adlik_inference_count"):
        assert sample(parsed["http port"], family, "simple") == sample(parsed["metrics port"], family, "simple")
