"""Triton's perf_analyzer against adlik_serving on the example `simple` model: with
--shared-memory=system over HTTP and gRPC (inputs and outputs in system shared-memory
regions that perf_analyzer registers and unregisters), and over the gRPC stream
(--streaming). Each run is a few seconds; the test checks that perf_analyzer succeeded and
left the server serving, never how fast anything went.

perf_analyzer comes from `ADLIK_SETUP_BENCH=1 scripts/setup.sh` (see
scripts/perf_analyzer.sh for how it is run on an older glibc); without it these tests skip.
"""

import os
import shutil
import subprocess

import pytest

import support

DEPS = os.environ.get("ADLIK_DEPS", os.path.expanduser("~/.cache/adlik"))


def perf_analyzer_command():
    """The command that runs perf_analyzer here, or None (as scripts/perf_analyzer.sh)."""
    candidates = []
    # Its shared-memory code loads libcudart.so (setup puts one here; no GPU needed).
    cudart = os.path.join(DEPS, "perf_analyzer", "cudart")
    with_cudart = ["env", f"LD_LIBRARY_PATH={cudart}:{os.environ.get('LD_LIBRARY_PATH', '')}"]
    if shutil.which("perf_analyzer"):
        candidates.append(with_cudart + ["perf_analyzer"])
    binary = os.path.join(DEPS, "perf_analyzer", "perf_analyzer", "bin", "perf_analyzer")
    libs = os.path.join(DEPS, "trixie-libs", "usr", "lib", "x86_64-linux-gnu")
    if os.access(binary, os.X_OK):
        candidates.append(with_cudart + [binary])
        loader = os.path.join(libs, "ld-linux-x86-64.so.2")
        if os.access(loader, os.X_OK):
            candidates.append([loader, "--library-path", f"{libs}:{cudart}", binary])
    for command in candidates:
        try:
            if subprocess.run(command + ["--version"], capture_output=True, timeout=60).returncode == 0:
                return command
        except OSError:
            continue
    return None


@pytest.fixture(scope="module")
def perf_analyzer():
    command = perf_analyzer_command()
    if command is None:
        pytest.skip("perf_analyzer is not installed (ADLIK_SETUP_BENCH=1 scripts/setup.sh)")
    return command


def run(command, *args):
    out = subprocess.run(
        command + ["-m", "simple", "--measurement-interval", "1000", "--concurrency-range", "1",
                   "--max-trials", "6", "--stability-percentage", "500", *args],
        capture_output=True, text=True, timeout=300)
    if "libcudart" in out.stderr:
        pytest.skip("perf_analyzer's shared-memory code needs libcudart.so (ADLIK_SETUP_BENCH=1 scripts/setup.sh)")
    assert out.returncode == 0, f"perf_analyzer {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}"
    assert "Throughput:" in out.stdout, out.stdout
    return out.stdout


@pytest.mark.parametrize("protocol", ["grpc", "http"])
def test_perf_analyzer_with_system_shared_memory(perf_analyzer, bench_server, protocol):
    url = bench_server.grpc_url if protocol == "grpc" else bench_server.http_url
    run(perf_analyzer, "-i", protocol, "-u", url, "--shared-memory=system")
    # perf_analyzer unregistered its regions, and the server still serves.
    r = support.http_request(bench_server.http_url, "GET", "/v2/systemsharedmemory/status")
    assert r.status == 200 and r.json() == [], r
    support.check_simple(bench_server.http_url)


def test_perf_analyzer_streaming(perf_analyzer, bench_server):
    run(perf_analyzer, "-i", "grpc", "-u", bench_server.grpc_url, "--streaming")
    support.check_simple(bench_server.grpc_url, protocol="grpc")
