"""gRPC ModelStreamInfer and decoupled models, through tritonclient.grpc's stream API.

The server serves the example repository's ONNX `simple` and the example runtime's decoupled
`repeat_int32` (runtimes/example/models/repeat_int32: for each IN[i], after DELAY[i] ms, one
response OUT = [IN[i]], IDX = [i]; then, WAIT ms later, the final flag alone).
"""

import os
import queue
import shutil
import time

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

import support

TIMEOUT_S = 30
DECOUPLED_REFUSAL = "doesn't support models with decoupled transaction policy"


@pytest.fixture(scope="module")
def stream_server(example_repo, tmp_path_factory, log_dir):
    repo = tmp_path_factory.mktemp("stream_models")
    shutil.copytree(os.path.join(str(example_repo), "simple"), repo / "simple")
    shutil.copytree(os.path.join(support.ROOT, "runtimes", "example", "models", "repeat_int32"), repo / "repeat_int32")
    srv = support.Server(repo, log_dir, name="streaming").start()
    yield srv
    code = srv.stop()
    assert code == 0, f"server exit code {code} after SIGTERM (None: did not exit):\n{srv.log_tail()}"


class Stream:
    """One ModelStreamInfer stream whose answers land in a queue as (result, error)."""

    def __init__(self, url):
        self.client = grpcclient.InferenceServerClient(url)
        self.answers = queue.Queue()
        self.client.start_stream(callback=lambda result, error: self.answers.put((result, error)))

    def get(self):
        return self.answers.get(timeout=TIMEOUT_S)

    def drain(self):
        """Half-closes the stream, waits for its end, and returns every answer not read yet."""
        self.client.stop_stream()
        left = []
        while not self.answers.empty():
            left.append(self.answers.get_nowait())
        return left

    def close(self):
        self.client.stop_stream()
        self.client.close()


@pytest.fixture
def stream(stream_server):
    s = Stream(stream_server.grpc_url)
    yield s
    s.close()


def simple_inputs(seed):
    a, b = support.simple_inputs(1, seed=seed)
    inputs = [grpcclient.InferInput("INPUT0", [1, 16], "INT32"), grpcclient.InferInput("INPUT1", [1, 16], "INT32")]
    inputs[0].set_data_from_numpy(a)
    inputs[1].set_data_from_numpy(b)
    return inputs, a + b


def repeat_inputs(values, delay_ms=0, wait_ms=0, client=grpcclient):
    n = len(values)
    inputs = [
        client.InferInput("IN", [n], "INT32"),
        client.InferInput("DELAY", [n], "UINT32"),
        client.InferInput("WAIT", [1], "UINT32"),
    ]
    inputs[0].set_data_from_numpy(np.array(values, dtype=np.int32))
    inputs[1].set_data_from_numpy(np.full(n, delay_ms, dtype=np.uint32))
    inputs[2].set_data_from_numpy(np.array([wait_ms], dtype=np.uint32))
    return inputs


def is_final(result):
    return result.get_response().parameters["triton_final_response"].bool_param


def collect_until_final(stream, ids):
    """Answers per request id, in arrival order, until each of `ids` has its final one."""
    got = {i: [] for i in ids}
    open_ids = set(ids)
    while open_ids:
        result, error = stream.get()
        assert error is None, error
        rid = result.get_response().id
        got[rid].append(result)
        if is_final(result):
            open_ids.discard(rid)
    return got


def grpc_stats(url, model):
    client = grpcclient.InferenceServerClient(url)
    try:
        (m,) = client.get_inference_statistics(model, as_json=True)["model_stats"]
    finally:
        client.close()
    stats = m["inference_stats"]
    return {
        "inference_count": int(m.get("inference_count", 0)),
        "success": int(stats.get("success", {}).get("count", 0)),
        "fail": int(stats.get("fail", {}).get("count", 0)),
    }


def test_several_requests_in_flight_on_one_stream(stream):
    expected = {}
    for k in range(8):
        inputs, total = simple_inputs(seed=100 + k)
        expected[f"req-{k}"] = total
        stream.client.async_stream_infer("simple", inputs, request_id=f"req-{k}")
    got = collect_until_final(stream, list(expected))
    for rid, results in got.items():
        assert len(results) == 1, rid
        np.testing.assert_array_equal(results[0].as_numpy("OUTPUT0"), expected[rid])
        assert results[0].get_response().model_name == "simple"


def test_decoupled_responses_come_in_order_then_the_empty_final(stream):
    stream.client.async_stream_infer(
        "repeat_int32", repeat_inputs([7, 8, 9, 10], delay_ms=5), request_id="rep", enable_empty_final_response=True
    )
    (results,) = collect_until_final(stream, ["rep"]).values()
    assert len(results) == 5
    for i, r in enumerate(results[:4]):
        assert not is_final(r)
        assert r.as_numpy("OUT").tolist() == [7 + i]
        assert r.as_numpy("IDX").tolist() == [i]
        assert r.get_response().model_name == "repeat_int32"
    last = results[4].get_response()
    assert last.id == "rep" and last.model_name == "repeat_int32"
    assert len(last.outputs) == 0


def test_requested_outputs_only(stream):
    stream.client.async_stream_infer(
        "repeat_int32",
        repeat_inputs([3, 4]),
        request_id="only-idx",
        outputs=[grpcclient.InferRequestedOutput("IDX")],
        enable_empty_final_response=True,
    )
    (results,) = collect_until_final(stream, ["only-idx"]).values()
    assert [[o.name for o in r.get_response().outputs] for r in results] == [["IDX"], ["IDX"], []]


def test_zero_responses_give_only_the_empty_final_when_asked(stream):
    stream.client.async_stream_infer(
        "repeat_int32", repeat_inputs([]), request_id="asked", enable_empty_final_response=True
    )
    stream.client.async_stream_infer("repeat_int32", repeat_inputs([]), request_id="not-asked")
    stream.client.async_stream_infer("repeat_int32", repeat_inputs([5]), request_id="one")
    answers = stream.drain()
    assert all(error is None for _, error in answers), answers
    by_id = {}
    for result, _ in answers:
        by_id.setdefault(result.get_response().id, []).append(result)
    # Without triton_enable_empty_final_response the final flag alone is not written.
    assert sorted(by_id) == ["asked", "one"]
    (asked,) = by_id["asked"]
    assert is_final(asked) and len(asked.get_response().outputs) == 0
    (one,) = by_id["one"]
    assert one.as_numpy("OUT").tolist() == [5] and not is_final(one)


def test_decoupled_requests_interleave(stream):
    for rid in ("x", "y"):
        stream.client.async_stream_infer(
            "repeat_int32", repeat_inputs([1, 2, 3], delay_ms=20), request_id=rid, enable_empty_final_response=True
        )
    got = collect_until_final(stream, ["x", "y"])
    for rid, results in got.items():
        assert [r.as_numpy("IDX").tolist() for r in results[:3]] == [[0], [1], [2]], rid
        assert is_final(results[3])


def test_an_error_does_not_end_the_stream(stream):
    inputs, total = simple_inputs(seed=7)
    stream.client.async_stream_infer("no_such_model", inputs, request_id="bad")
    stream.client.async_stream_infer("repeat_int32", repeat_inputs([1, 2], delay_ms=0)[:2], request_id="missing-wait")
    stream.client.async_stream_infer("simple", inputs, request_id="good")
    errors, results = [], []
    while not results:
        result, error = stream.get()
        (errors if error is not None else results).append(result if error is None else error)
    answers = stream.drain()
    errors += [e for _, e in answers if e is not None]
    messages = sorted(str(e) for e in errors)
    assert len(messages) == 2, messages
    assert any("no_such_model" in m for m in messages), messages
    assert any("WAIT" in m for m in messages), messages
    assert results[0].get_response().id == "good"
    np.testing.assert_array_equal(results[0].as_numpy("OUTPUT0"), total)


def test_unary_grpc_infer_refuses_a_decoupled_model(stream_server):
    client = grpcclient.InferenceServerClient(stream_server.grpc_url)
    try:
        with pytest.raises(InferenceServerException) as e:
            client.infer("repeat_int32", repeat_inputs([1]))
    finally:
        client.close()
    assert e.value.status() == "StatusCode.UNIMPLEMENTED"
    assert DECOUPLED_REFUSAL in e.value.message()
    assert "ModelStreamInfer" in e.value.message()


def test_http_infer_refuses_a_decoupled_model(stream_server):
    client = httpclient.InferenceServerClient(stream_server.http_url)
    try:
        with pytest.raises(InferenceServerException) as e:
            client.infer("repeat_int32", repeat_inputs([1], client=httpclient))
    finally:
        client.close()
    assert e.value.status() == "501"
    assert DECOUPLED_REFUSAL in e.value.message()


def test_a_decoupled_request_counts_once_in_the_statistics(stream_server, stream):
    before = grpc_stats(stream_server.grpc_url, "repeat_int32")
    stream.client.async_stream_infer(
        "repeat_int32", repeat_inputs([1, 2, 3]), request_id="counted", enable_empty_final_response=True
    )
    collect_until_final(stream, ["counted"])
    after = grpc_stats(stream_server.grpc_url, "repeat_int32")
    assert after["inference_count"] == before["inference_count"] + 1
    assert after["success"] == before["success"] + 1
    assert after["fail"] == before["fail"]


def test_cancelling_the_stream_ends_the_decoupled_work(stream_server):
    before = grpc_stats(stream_server.grpc_url, "repeat_int32")
    s = Stream(stream_server.grpc_url)
    s.client.async_stream_infer("repeat_int32", repeat_inputs(list(range(100)), delay_ms=50), request_id="long")
    result, error = s.get()
    assert error is None and result.as_numpy("IDX").tolist() == [0]
    s.client.stop_stream(cancel_requests=True)
    s.client.close()
    # The runtime is told (response_send returns CANCELLED) and ends the request: it counts as
    # a failure long before its 100 responses could have been sent.
    deadline = time.monotonic() + TIMEOUT_S
    while grpc_stats(stream_server.grpc_url, "repeat_int32")["fail"] == before["fail"]:
        assert time.monotonic() < deadline, "the cancelled request never ended"
        time.sleep(0.05)
    # The server serves on.
    other = Stream(stream_server.grpc_url)
    try:
        other.client.async_stream_infer("repeat_int32", repeat_inputs([4]), request_id="after")
        result, error = other.get()
        assert error is None and result.as_numpy("OUT").tolist() == [4]
    finally:
        other.close()
