"""Fixtures for the runtime plugin tests; the helpers are in plugin_support.py."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import plugin_support  # noqa: E402,F401  (puts tests/integration on sys.path)
import support  # noqa: E402  (tests/integration/support.py)


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("server_logs")


@pytest.fixture(scope="session")
def onnx_models(tmp_path_factory):
    """The example ONNX models (examples/make_example_models.py)."""
    path = tmp_path_factory.mktemp("onnx_models")
    support.make_example_repository(path)
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for srv in support.SERVERS:
            report.sections.append((f"adlik_serving log: {srv.name} ({srv.log_path})", srv.log_tail(120)))
