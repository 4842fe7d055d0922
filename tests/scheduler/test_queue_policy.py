"""Queue policies of dynamic_batching: max_queue_size, timeouts, priority levels.

The model is sched_support.slow_model() with max_batch_size 1, so that queued requests
never merge and run one at a time on its single instance."""

import time

import numpy as np
import pytest

from sched_support import (
    Background,
    grpc_int64_priority,
    grpc_slow,
    http_slow,
    slow_config,
    slow_inputs,
    stats,
    together,
    wait_pending,
)


def test_full_queue_refuses_at_once(start_server, trips_for):
    config = slow_config("slow", extra="dynamic_batching { default_queue_policy { max_queue_size: 2 } }\n")
    srv = start_server({"slow": ("slow", config)})
    n = 12
    xs = [slow_inputs(1, seed=100 + k) for k in range(n)]
    trips = trips_for(0.5)

    def call(k):
        if k % 2:
            return lambda: grpc_slow(srv.grpc_url, "slow", xs[k], trips)
        return lambda: http_slow(srv.http_url, "slow", xs[k], trips)

    results = together([call(k) for k in range(n)])
    accepted = [(k, r) for k, r in enumerate(results) if r.ok]
    refused = [(k, r) for k, r in enumerate(results) if not r.ok]

    # One runs and two wait; everything else arrives while the first runs and is refused.
    assert 3 <= len(accepted) < n, results
    for k, r in accepted:
        np.testing.assert_array_equal(r.value, 2 * xs[k])
    for k, r in refused:
        assert r.status == (503 if k % 2 == 0 else "UNAVAILABLE"), (k, r)
        assert "queue is full" in r.message.lower(), (k, r)
    # Refused at once: every refusal came before the first accepted request finished.
    first_answer = min(r.finished for _, r in accepted)
    assert all(r.finished < first_answer for _, r in refused), results

    s = stats(srv.http_url, "slow")
    assert s["success"] == len(accepted) and s["fail"] == len(refused), s
    assert s["execution_count"] == len(accepted), s

    # The queue drained: the model serves again.
    x = slow_inputs(1, seed=7)
    r = http_slow(srv.http_url, "slow", x, 1)
    assert r.ok, r
    np.testing.assert_array_equal(r.value, 2 * x)


def test_queued_requests_time_out(start_server, trips_for):
    """default_timeout_microseconds with REJECT: requests still queued when it passes
    fail with 504 / DEADLINE_EXCEEDED and never run."""
    config = slow_config(
        "slow",
        extra=(
            "dynamic_batching { default_queue_policy {\n"
            "  timeout_action: REJECT default_timeout_microseconds: 300000\n} }\n"
        ),
    )
    srv = start_server({"slow": ("slow", config)})
    busy_x = slow_inputs(1, seed=1)
    busy = Background(http_slow, srv.http_url, "slow", busy_x, trips_for(1.5))
    time.sleep(0.5)  # it runs now; later requests queue behind it
    late = [
        Background(http_slow, srv.http_url, "slow", slow_inputs(1, seed=2), 1),
        Background(grpc_slow, srv.grpc_url, "slow", slow_inputs(1, seed=3), 1),
    ]
    first = busy.join()
    late = [b.join() for b in late]
    assert first.ok, first
    np.testing.assert_array_equal(first.value, 2 * busy_x)

    assert late[0].status == 504, late[0]
    assert late[1].status == "DEADLINE_EXCEEDED", late[1]
    for r in late:
        assert "timeout" in r.message.lower(), r
    s = stats(srv.http_url, "slow")
    assert s["execution_count"] == 1 and s["success"] == 1 and s["fail"] == 2, s

    # Triton's batcher answers a timed-out request when its timeout passes, also while
    # every instance is busy: here well before the request ahead of it ends.
    assert all(r.finished < first.finished - 0.2 * first.seconds for r in late), (
        "a queued request whose timeout passed was answered only when an instance freed "
        f"(answered after {late[0].seconds:.2f} s, with the request ahead of it)")


def test_timeout_override(start_server, trips_for):
    """allow_timeout_override: a request's `timeout` parameter (shorter than the
    default) applies to it alone; requests without one keep the default (60 s here)."""
    config = slow_config(
        "slow",
        extra=(
            "dynamic_batching { default_queue_policy {\n"
            "  timeout_action: REJECT default_timeout_microseconds: 60000000 allow_timeout_override: true\n} }\n"
        ),
    )
    srv = start_server({"slow": ("slow", config)})
    busy = Background(http_slow, srv.http_url, "slow", slow_inputs(1, seed=1), trips_for(1.5))
    time.sleep(0.5)
    xs = [slow_inputs(1, seed=10 + k) for k in range(4)]
    late = [
        Background(http_slow, srv.http_url, "slow", xs[0], 1, parameters={"timeout": 200000}),
        Background(grpc_slow, srv.grpc_url, "slow", xs[1], 1, timeout=200000),
        Background(http_slow, srv.http_url, "slow", xs[2], 1),
        Background(grpc_slow, srv.grpc_url, "slow", xs[3], 1),
    ]
    first = busy.join()
    late = [b.join() for b in late]
    assert first.ok, first

    assert late[0].status == 504, late[0]
    assert late[1].status == "DEADLINE_EXCEEDED", late[1]
    for k in (2, 3):
        assert late[k].ok, late[k]
        np.testing.assert_array_equal(late[k].value, 2 * xs[k])
    s = stats(srv.http_url, "slow")
    assert s["execution_count"] == 3 and s["success"] == 3 and s["fail"] == 2, s


def test_priority_levels(start_server, trips_for):
    """With the one instance busy, two priority-2 requests queue, then two priority-1
    ones: the priority-1 requests run first, the others in their arrival order."""
    config = slow_config("slow", extra="dynamic_batching { priority_levels: 2 default_priority_level: 2 }\n")
    srv = start_server({"slow": ("slow", config)})
    busy = Background(http_slow, srv.http_url, "slow", slow_inputs(1, seed=1), trips_for(1.5), {"priority": 2})
    time.sleep(0.5)
    short = trips_for(0.1)
    xs = [slow_inputs(1, seed=20 + k) for k in range(4)]
    # Sent one after the other, so that their arrival order is known.
    low = [Background(http_slow, srv.http_url, "slow", xs[0], short, {"priority": 2})]
    wait_pending(srv.http_url, "slow", 1)
    low.append(Background(grpc_int64_priority, srv.grpc_url, "slow", xs[1], short, None))  # the default: 2
    wait_pending(srv.http_url, "slow", 2)
    high = [
        Background(http_slow, srv.http_url, "slow", xs[2], short, {"priority": 1}),
        Background(grpc_int64_priority, srv.grpc_url, "slow", xs[3], short, 1),
    ]
    wait_pending(srv.http_url, "slow", 4)
    assert busy.alive(), "the busy request ended before the others were queued (too fast a machine?)"
    assert busy.join().ok
    results = [b.join() for b in low + high]
    for x, r in zip(xs, results):
        assert r.ok, results
        np.testing.assert_array_equal(r.value, 2 * x)
    p2a, p2b, p1a, p1b = results
    assert max(p1a.finished, p1b.finished) < min(p2a.finished, p2b.finished), results
    assert p2a.finished < p2b.finished, results

    # A priority outside 1..priority_levels (Triton: runs at the default level).
    r = http_slow(srv.http_url, "slow", xs[0], 1, {"priority": 3})
    assert r.ok or r.status == 400, r

    # tritonclient's priority= over gRPC sends the uint64_param of InferParameter.
    r = grpc_slow(srv.grpc_url, "slow", xs[0], 1, priority=1)
    assert r.ok, r
    np.testing.assert_array_equal(r.value, 2 * xs[0])
