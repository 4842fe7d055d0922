"""Fixtures for the model lifecycle tests.

Every test builds its own repository under its tmp dir and starts its own adlik_serving
on free ports (support.Server from tests/integration), so that what one test does to its
repository cannot be seen by another. Servers started through `start_server` are stopped
with SIGTERM at the end of the test and must exit with code 0. Set ADLIK_SERVING to test
a binary other than build/bin/adlik_serving.
"""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

import support  # noqa: E402


@pytest.fixture(scope="session")
def example_repo(tmp_path_factory):
    """The example models (examples/make_example_models.py), written once; tests copy
    the folders they need into their own repository."""
    path = tmp_path_factory.mktemp("lifecycle_examples")
    support.make_example_repository(path)
    return path


@pytest.fixture(scope="session")
def lifecycle_log_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("lifecycle_logs")


@pytest.fixture
def repo(tmp_path):
    """An empty repository, and a staging folder on the same file system (for atomic
    renames into the repository)."""
    path = tmp_path / "repo"
    path.mkdir()
    (tmp_path / "staging").mkdir()
    return path


@pytest.fixture
def start_server(request, lifecycle_log_dir):
    """start_server(repo, *args, name=..., wait_live=True) -> a started support.Server
    (with wait_live=False, returned as soon as the process runs). Each is stopped with
    SIGTERM at the end of the test and must exit 0 (unless the test stopped it)."""
    started = []
    request.node.lifecycle_servers = started

    def start(model_dir, *args, name=None, wait_live=True):
        label = name or f"{request.node.name}-{len(started)}"
        label = "".join(c if c.isalnum() or c in "-_." else "_" for c in label)
        srv = support.Server(model_dir, lifecycle_log_dir, name=label, extra_args=list(args))
        started.append(srv)
        if wait_live:
            return srv.start()
        with open(srv.log_path, "wb") as log:
            srv.proc = subprocess.Popen(srv.command(), stdout=log, stderr=subprocess.STDOUT)
        return srv

    yield start
    failures = []
    for srv in started:
        if srv.proc is None or srv.returncode is not None:
            continue
        if srv.proc.poll() is not None:
            failures.append(f"{srv.name} had exited with code {srv.proc.returncode}")
            continue
        code = srv.stop()
        if code != 0:
            failures.append(f"{srv.name}: exit code {code} after SIGTERM (None: did not exit)")
    assert not failures, "; ".join(failures)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for srv in getattr(item, "lifecycle_servers", []):
            report.sections.append((f"adlik_serving log: {srv.name} ({srv.log_path})", srv.log_tail(120)))

