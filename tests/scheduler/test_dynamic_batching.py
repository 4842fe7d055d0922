"""Dynamic batching: requests of many clients are merged into batches, and every client
still gets exactly its own rows back."""

import http.client
import json
import threading
import time

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

from sched_support import (
    Background,
    grpc_slow,
    http_slow,
    simple_config,
    slow_config,
    slow_inputs,
    stats,
    wait_pending,
)

THREADS = 32
REQUESTS = 25  # per thread

BATCHING = """dynamic_batching {
  preferred_batch_size: [ 4, 8 ]
  max_queue_delay_microseconds: 2000
}
"""


def _check_batch_stats(s):
    """batch_stats agree with the counters: one entry per executed batch size."""
    assert sum(s["batch_stats"].values()) == s["execution_count"], s
    assert sum(size * n for size, n in s["batch_stats"].items()) == s["inference_count"], s
    assert all(1 <= size <= 8 for size in s["batch_stats"]), s


def test_concurrent_clients_get_their_own_rows(start_server):
    srv = start_server({"simple": ("simple", simple_config("simple", BATCHING))})
    host, port = srv.http_url.rsplit(":", 1)
    sent_batches = []
    errors = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def data(rng):
        batch = int(rng.integers(1, 5))
        a = rng.integers(-(2**30), 2**30, size=(batch, 16), dtype=np.int32)
        b = rng.integers(-(2**30), 2**30, size=(batch, 16), dtype=np.int32)
        return a, b

    def http_json_client(index):
        # Raw JSON on one keep-alive connection.
        rng = np.random.default_rng(1000 + index)
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        try:
            barrier.wait(timeout=30)
            for i in range(REQUESTS):
                a, b = data(rng)
                doc = {
                    "id": f"h{index}-{i}",
                    "inputs": [
                        {"name": "INPUT0", "shape": list(a.shape), "datatype": "INT32", "data": a.flatten().tolist()},
                        {"name": "INPUT1", "shape": list(b.shape), "datatype": "INT32", "data": b.flatten().tolist()},
                    ],
                }
                conn.request("POST", "/v2/models/simple/infer", json.dumps(doc), {"Content-Type": "application/json"})
                r = conn.getresponse()
                body = r.read()
                assert r.status == 200, (r.status, body[:300])
                out = {o["name"]: o for o in json.loads(body)["outputs"]}
                assert json.loads(body)["id"] == f"h{index}-{i}"
                for name, want in (("OUTPUT0", a + b), ("OUTPUT1", a - b)):
                    assert out[name]["shape"] == list(want.shape), out[name]["shape"]
                    np.testing.assert_array_equal(np.array(out[name]["data"], dtype=np.int32).reshape(want.shape), want)
                with lock:
                    sent_batches.append(a.shape[0])
        finally:
            conn.close()

    def http_binary_client(index):
        rng = np.random.default_rng(2000 + index)
        client = httpclient.InferenceServerClient(srv.http_url)
        try:
            barrier.wait(timeout=30)
            for _ in range(REQUESTS):
                a, b = data(rng)
                inputs = []
                for name, v in (("INPUT0", a), ("INPUT1", b)):
                    x = httpclient.InferInput(name, list(v.shape), "INT32")
                    x.set_data_from_numpy(v, binary_data=True)
                    inputs.append(x)
                result = client.infer("simple", inputs)
                np.testing.assert_array_equal(result.as_numpy("OUTPUT0"), a + b)
                np.testing.assert_array_equal(result.as_numpy("OUTPUT1"), a - b)
                with lock:
                    sent_batches.append(a.shape[0])
        finally:
            client.close()

    def grpc_client(index):
        rng = np.random.default_rng(3000 + index)
        client = grpcclient.InferenceServerClient(srv.grpc_url)
        try:
            barrier.wait(timeout=30)
            for i in range(REQUESTS):
                a, b = data(rng)
                inputs = []
                for name, v in (("INPUT0", a), ("INPUT1", b)):
                    x = grpcclient.InferInput(name, list(v.shape), "INT32")
                    x.set_data_from_numpy(v)
                    inputs.append(x)
                result = client.infer("simple", inputs, request_id=f"g{index}-{i}")
                assert result.get_response().id == f"g{index}-{i}"
                np.testing.assert_array_equal(result.as_numpy("OUTPUT0"), a + b)
                np.testing.assert_array_equal(result.as_numpy("OUTPUT1"), a - b)
                with lock:
                    sent_batches.append(a.shape[0])
        finally:
            client.close()

    kinds = (http_json_client, http_binary_client, grpc_client, grpc_client)

    def run(index):
        try:
            kinds[index % len(kinds)](index)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(f"client {index} ({kinds[index % len(kinds)].__name__}): {type(e).__name__}: {e}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "clients still running after 120 s"
    assert not errors, "\n".join(errors[:10])

    requests = THREADS * REQUESTS
    assert len(sent_batches) == requests
    s = stats(srv.http_url, "simple")
    assert s["success"] == requests, s
    assert s["fail"] == 0, s
    assert s["inference_count"] == sum(sent_batches), s
    # Requests were merged: fewer executions than requests, hence than batch elements.
    assert s["execution_count"] < s["inference_count"], s
    assert s["execution_count"] < requests, s
    assert any(size > 1 for size in s["batch_stats"]), s
    _check_batch_stats(s)


def test_preferred_batch_size_forms_when_the_instance_frees(start_server, trips_for):
    """While the one instance runs a long request, six batch-1 requests queue; when it
    frees, preferred_batch_size [4] makes a batch of 4 run first, then the 2 left (no
    queue delay, so they do not wait for more)."""
    config = slow_config("slow", max_batch_size=8, extra="dynamic_batching { preferred_batch_size: [ 4 ] }\n")
    srv = start_server({"slow": ("slow", config)})
    long_x = slow_inputs(1, seed=1)
    first = Background(http_slow, srv.http_url, "slow", long_x, trips_for(1.5))
    time.sleep(0.5)  # it is running now, alone
    xs = [slow_inputs(1, seed=10 + k) for k in range(6)]
    waiting = []
    for k, x in enumerate(xs):
        if k % 2:
            waiting.append(Background(grpc_slow, srv.grpc_url, "slow", x, 1))
        else:
            waiting.append(Background(http_slow, srv.http_url, "slow", x, 1))
    wait_pending(srv.http_url, "slow", 6)
    assert first.alive(), "the long request finished before the others were queued (too fast a machine?)"

    long_result = first.join()
    assert long_result.ok, long_result
    np.testing.assert_array_equal(long_result.value, 2 * long_x)
    for x, w in zip(xs, waiting):
        r = w.join()
        assert r.ok, r
        np.testing.assert_array_equal(r.value, 2 * x)

    s = stats(srv.http_url, "slow")
    assert s["batch_stats"] == {1: 1, 4: 1, 2: 1}, s
    assert s["execution_count"] == 3 and s["inference_count"] == 7 and s["success"] == 7, s
    _check_batch_stats(s)
