"""instance_group count: instances run at the same time; and requests whose client went
away are dropped without running."""

import socket
import struct
import time

import numpy as np

from sched_support import (
    Background,
    grpc_slow,
    http_slow,
    open_infer_socket,
    slow_config,
    slow_inputs,
    stats,
    support,
    together,
    wait_pending,
)


def model_config(url, model):
    r = support.http_request(url, "GET", f"/v2/models/{model}/config")
    assert r.status == 200, r
    return r.json()


def test_instances_run_concurrently(start_server, trips_for):
    """Two requests sent together to a model with two instances both start at once (no
    queue time); to the same model with one instance, the second waits for the first.
    Measured with the statistics' queue time against the execution time, so the load of
    the machine does not matter."""
    group = 'instance_group [ {{ count: {} kind: KIND_CPU }} ]\n'
    srv = start_server(
        {
            "one": ("slow", slow_config("one", extra=group.format(1))),
            "two": ("slow", slow_config("two", extra=group.format(2))),
        }
    )
    config = model_config(srv.http_url, "two")
    assert [(g["count"], g["kind"]) for g in config["instance_group"]] == [(2, "KIND_CPU")], config
    trips = trips_for(0.4)
    xs = [slow_inputs(1, seed=k) for k in range(4)]
    for model, pair in (("one", xs[:2]), ("two", xs[2:])):
        results = together(
            [
                lambda x=pair[0]: http_slow(srv.http_url, model, x, trips),
                lambda x=pair[1]: grpc_slow(srv.grpc_url, model, x, trips),
            ]
        )
        for x, r in zip(pair, results):
            assert r.ok, (model, r)
            np.testing.assert_array_equal(r.value, 2 * x)

    one, two = stats(srv.http_url, "one"), stats(srv.http_url, "two")
    for s in (one, two):
        assert s["execution_count"] == 2 and s["success"] == 2 and s["queue"] == 2, s
    one_exec = one["compute_infer_ns"] / 2
    two_exec = two["compute_infer_ns"] / 2
    # One instance: the second request waited for the whole first execution.
    assert one["queue_ns"] > 0.5 * one_exec, one
    # Two instances: neither waited for the other.
    assert two["queue_ns"] < 0.25 * two_exec, two


def test_cancelled_requests_never_run(start_server, trips_for):
    """An HTTP client that hangs up (resets the connection) and a gRPC client whose
    deadline passes while their requests wait behind a long one: neither request runs,
    both count as failures, and the server goes on serving."""
    srv = start_server({"slow": ("slow", slow_config("slow"))})
    busy_x = slow_inputs(1, seed=1)
    busy = Background(http_slow, srv.http_url, "slow", busy_x, trips_for(1.5))
    time.sleep(0.5)  # it runs now
    # Long requests: had they run, the statistics would show it.
    sock = open_infer_socket(srv.http_url, "slow", slow_inputs(1, seed=2), trips_for(3.0))
    wait_pending(srv.http_url, "slow", 1)
    gone = Background(grpc_slow, srv.grpc_url, "slow", slow_inputs(1, seed=3), trips_for(3.0), client_timeout=0.3)
    wait_pending(srv.http_url, "slow", 2)
    # A reset, as a client that is really gone: a FIN alone could be a half-close
    # (shutdown(SHUT_WR)) of a client still waiting for its answer.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    r = gone.join()
    assert r.status == "DEADLINE_EXCEEDED", r  # the client's own deadline
    assert busy.alive(), "the busy request ended before the clients went away (too fast a machine?)"

    first = busy.join()
    assert first.ok, first
    np.testing.assert_array_equal(first.value, 2 * busy_x)
    for protocol in ("http", "grpc"):
        x = slow_inputs(1, seed=4)
        call = http_slow if protocol == "http" else grpc_slow
        r = call(srv.http_url if protocol == "http" else srv.grpc_url, "slow", x, 1)
        assert r.ok, (protocol, r)
        np.testing.assert_array_equal(r.value, 2 * x)
    wait_pending(srv.http_url, "slow", 0)

    s = stats(srv.http_url, "slow")
    assert s["execution_count"] == 3, s  # the busy one and the two after; not the cancelled
    assert s["success"] == 3 and s["fail"] == 2, s
