"""Fixtures of the example client tests (the shared ones are in tests/conftest.py): a
server on the example repository (whose `classifier` stands in for ResNet-50). The
examples' own modules are imported for unit tests of their pre- and post-processing."""

import pytest

import support


@pytest.fixture(scope="module")
def example_server(example_repo, log_dir):
    srv = support.Server(example_repo, log_dir, name="examples").start()
    yield srv
    assert srv.stop() == 0, srv.log_tail()
