"""Fixtures of the scheduler tests (the shared ones are in tests/conftest.py).

Every test builds its own model repository (config.pbtxt variants of the example `simple`
model and of the slow model in sched_support.py) and starts its own adlik_serving on free
ports, stopping it with SIGTERM at the end and expecting exit code 0. Set ADLIK_SERVING to
test a binary other than build/bin/adlik_serving.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import sched_support  # noqa: E402
from sched_support import support  # noqa: E402  (tests/integration/support.py)


@pytest.fixture(scope="session")
def trips_per_second():
    return sched_support.trips_per_second()


@pytest.fixture
def trips_for(trips_per_second):
    """Loop trips that make one execution of the slow model take about `seconds`."""

    def trips(seconds):
        return max(1, int(seconds * trips_per_second))

    return trips


@pytest.fixture
def start_server(request, tmp_path, example_repo, log_dir):
    """start_server(models, cores=1, metrics_port=0) -> a started support.Server on a new
    repository holding `models` (see sched_support.build_repository)."""
    started = []

    def start(models, cores=1, metrics_port=0, extra_args=()):
        repo = tmp_path / f"repo{len(started)}"
        sched_support.build_repository(repo, models, example_repo)
        args = [f"--cores={cores}", "--http_num_threads=4", *extra_args]
        if metrics_port:
            args.append(f"--metrics_port={metrics_port}")
        name = f"sched-{request.node.name}-{len(started)}".replace("[", "_").replace("]", "")
        srv = support.Server(repo, log_dir, name=name, extra_args=args)
        request.node.adlik_servers = getattr(request.node, "adlik_servers", []) + [srv]
        started.append(srv.start())
        return srv

    yield start
    codes = {srv.name: srv.stop() for srv in started}
    bad = {name: code for name, code in codes.items() if code != 0}
    assert not bad, f"exit codes after SIGTERM (None: did not exit): {bad}"
