"""Fixtures of the adlik_bench and C++ client tests (the shared ones are in tests/conftest.py).

They run build/bin/adlik_bench and build/bin/adlik_simple_client (set ADLIK_BENCH and
ADLIK_SIMPLE_CLIENT to test other builds; ADLIK_SERVING as in tests/integration) on the
small example models, with few iterations: these tests check that the tool runs and
reports, never how fast anything is.
"""

import os

import pytest

import support


def bin_path(env, name):
    return os.environ.get(env, os.path.join(support.ROOT, "build", "bin", name))


@pytest.fixture(scope="session")
def bench_binary():
    path = bin_path("ADLIK_BENCH", "adlik_bench")
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} not found (build it, or set ADLIK_BENCH)")
    return path


@pytest.fixture(scope="session")
def simple_client_binary():
    path = bin_path("ADLIK_SIMPLE_CLIENT", "adlik_simple_client")
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} not found (build it, or set ADLIK_SIMPLE_CLIENT)")
    return path


@pytest.fixture(scope="module")
def bench_server(example_repo, log_dir):
    """A server the tests start themselves, for --grpc_url/--http_url and the C++ client."""
    srv = support.Server(example_repo, log_dir, name="bench").start()
    yield srv
    assert srv.stop() == 0, srv.log_tail()
