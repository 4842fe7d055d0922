"""Fixtures shared by every Python test suite (integration, lifecycle, scheduler, security,
runtimes, examples, bench); each suite's own conftest.py adds only what is its own.

- `support` (tests/integration/support.py) is importable from every suite.
- example_repo: the example models (examples/make_example_models.py), written once per
  session. Read-only: a test that changes a repository copies what it needs first.
- log_dir: where every adlik_serving started by a test writes its log.
- start_server(model_dir, *args, name=None, wait_live=True, env=None, preexec_fn=None,
  expect_exit=False): starts an adlik_serving on free loopback ports (with `env`, or a
  process limit set before exec by `preexec_fn`; wait_live=False for one that does not
  answer plain HTTP, such as a TLS server, or one expected to refuse to start). At the
  end of the test each must still run (no input may kill the process) and must exit 0 on
  SIGTERM, unless the test stopped it or said expect_exit.
- A failed test's report carries the logs of the servers it started (or, for the
  session-wide servers, of every server started so far).

Set ADLIK_SERVING to test a binary other than build/bin/adlik_serving.
"""

import os
import subprocess
import sys

import pytest

# The tests' own ONNX Runtime (the PyPI wheel) starts no telemetry either; a test that
# checks a server's own setting removes this from that server's environment.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "integration"))
import support  # noqa: E402


@pytest.fixture(scope="session")
def example_repo(tmp_path_factory):
    path = tmp_path_factory.mktemp("example_models")
    support.make_example_repository(path)
    return path


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("server_logs")


def server_label(request, index, name=None):
    """A log file name unique in the session: the test's module and name, and a count."""
    label = name or f"{request.node.module.__name__}-{request.node.name}-{index}"
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in label)


def track(request, srv):
    """Lists `srv` among the servers whose logs a failure of this test reports."""
    request.node.adlik_servers = getattr(request.node, "adlik_servers", []) + [srv]


@pytest.fixture
def start_server(request, log_dir):
    started = []

    def start(model_dir, *args, name=None, wait_live=True, env=None, preexec_fn=None, expect_exit=False):
        srv = support.Server(model_dir, log_dir, name=server_label(request, len(started), name), extra_args=list(args))
        srv.expect_exit = expect_exit
        started.append(srv)
        track(request, srv)
        if wait_live and env is None and preexec_fn is None:
            return srv.start()
        with open(srv.log_path, "wb") as log:
            srv.proc = subprocess.Popen(
                srv.command(), stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=preexec_fn
            )
        support.SERVERS.append(srv)
        if wait_live:
            try:
                srv.wait_live()
            except BaseException:
                srv.kill()
                raise
        return srv

    yield start
    failures = []
    for srv in started:
        if srv.expect_exit:
            srv.kill()
            continue
        if srv.proc is None or srv.returncode is not None:
            continue
        if srv.proc.poll() is not None:
            failures.append(f"{srv.name} died (exit code {srv.proc.returncode}):\n{srv.log_tail(30)}")
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
        servers = getattr(item, "adlik_servers", None) or support.SERVERS
        for srv in servers:
            report.sections.append((f"adlik_serving log: {srv.name} ({srv.log_path})", srv.log_tail(120)))
