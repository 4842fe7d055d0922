"""Fixtures for the example client tests: a server on the example repository (whose
`classifier` stands in for ResNet-50), and the examples' own modules for unit tests of
their pre- and post-processing."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import support  # noqa: E402


@pytest.fixture(scope="session")
def examples_log_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("examples_logs")


@pytest.fixture(scope="module")
def example_server(tmp_path_factory, examples_log_dir):
    repo = tmp_path_factory.mktemp("example_models")
    support.make_example_repository(repo)
    srv = support.Server(repo, examples_log_dir, name="examples").start()
    yield srv
    assert srv.stop() == 0, srv.log_tail()
