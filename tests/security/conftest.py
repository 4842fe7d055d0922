"""Fixtures for the security tests: hostile requests, configs and files, faults.

Each test starts its own adlik_serving (support.Server from tests/integration) on free
loopback ports with the flags it needs, so that a test that brings a server down cannot
take another test's with it. Servers started through `start_server` must still be alive
at the end of the test (none of these inputs may kill the process) and must exit 0 on
SIGTERM. Set ADLIK_SERVING to test a binary other than build/bin/adlik_serving (the
ASan/UBSan build, for example).
"""

import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "runtimes"))
sys.path.insert(0, HERE)

import support  # noqa: E402


@pytest.fixture(scope="session")
def example_repo(tmp_path_factory):
    """The example models (examples/make_example_models.py), written once; tests copy
    what they need."""
    path = tmp_path_factory.mktemp("security_examples")
    support.make_example_repository(path)
    return path


@pytest.fixture
def repo(tmp_path, example_repo):
    """A private copy of the example repository."""
    path = tmp_path / "repo"
    shutil.copytree(example_repo, path)
    return path


@pytest.fixture(scope="session")
def security_log_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("security_logs")


@pytest.fixture
def start_server(request, security_log_dir):
    """start_server(repo, *args, name=..., env=None) -> a started support.Server. At the
    end of the test each must still run, and must exit 0 on SIGTERM."""
    started = []

    def start(model_dir, *args, name=None, env=None):
        label = name or f"{request.node.name}-{len(started)}"
        label = "".join(c if c.isalnum() or c in "-_." else "_" for c in label)
        srv = support.Server(model_dir, security_log_dir, name=label, extra_args=list(args))
        started.append(srv)
        if env is None:
            return srv.start()
        # The same as Server.start, with another environment.
        with open(srv.log_path, "wb") as log:
            srv.proc = subprocess.Popen(srv.command(), stdout=log, stderr=subprocess.STDOUT, env=env)
        support.SERVERS.append(srv)
        srv.wait_live()
        return srv

    yield start
    failures = []
    for srv in started:
        if srv.proc is None or srv.returncode is not None:
            continue
        if srv.proc.poll() is not None:
            failures.append(f"{srv.name} died (exit code {srv.proc.returncode}):\n{srv.log_tail(30)}")
            continue
        code = srv.stop()
        if code != 0:
            failures.append(f"{srv.name}: exit code {code} after SIGTERM (None: did not exit)")
    assert not failures, "; ".join(failures)
