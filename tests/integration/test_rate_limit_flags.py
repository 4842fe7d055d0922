"""--rate_limit and --rate_limit_resource (Triton's --rate-limit and --rate-limit-resource):
a pool the server fixes smaller than an instance asks makes that model UNAVAILABLE with the
reason; --rate_limit=off ignores the configs' rate_limiter sections."""

import shutil
import subprocess
import time

import numpy as np
import pytest
import tritonclient.http as httpclient

import support

LIMITED = """
name: "simple"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [
  { name: "INPUT0" data_type: TYPE_INT32 dims: [ 16 ] },
  { name: "INPUT1" data_type: TYPE_INT32 dims: [ 16 ] }
]
output [
  { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 16 ] },
  { name: "OUTPUT1" data_type: TYPE_INT32 dims: [ 16 ] }
]
instance_group [ {
  count: 2 kind: KIND_CPU
  rate_limiter { resources [ { name: "R" count: 2 } ] priority: 1 }
} ]
"""


@pytest.fixture(scope="module")
def limited_repo(example_repo, tmp_path_factory):
    path = tmp_path_factory.mktemp("rate_limited")
    shutil.copytree(example_repo / "simple", path / "simple")
    (path / "simple" / "config.pbtxt").write_text(LIMITED)
    return path


def wait_ready(url, timeout=60):
    c = httpclient.InferenceServerClient(url)
    deadline = time.monotonic() + timeout
    while not c.is_server_ready():
        assert time.monotonic() < deadline, "server not ready"
        time.sleep(0.1)
    return c


def infer(url):
    c = wait_ready(url)
    a = np.arange(16, dtype=np.int32).reshape(1, 16)
    inputs = [httpclient.InferInput(n, [1, 16], "INT32") for n in ("INPUT0", "INPUT1")]
    for i in inputs:
        i.set_data_from_numpy(a)
    out = c.infer("simple", inputs).as_numpy("OUTPUT0")
    np.testing.assert_array_equal(out, a + a)


@pytest.mark.parametrize("flags", [(), ("--rate_limit_resource=R:4",), ("--rate_limit=off", "--rate_limit_resource=R:1")])
def test_model_serves_when_its_resources_fit(start_server, limited_repo, flags):
    srv = start_server(limited_repo, *flags)
    infer(srv.http_url)


def test_a_pool_smaller_than_asked_makes_the_model_unavailable(start_server, limited_repo):
    srv = start_server(limited_repo, "--rate_limit_resource=R:1:0")
    c = wait_ready(srv.http_url)
    index = {m["name"]: m for m in c.get_model_repository_index()}
    assert index["simple"]["state"] == "UNAVAILABLE", index
    reason = index["simple"]["reason"]
    assert "'R' asks 2 but the server has 1 on device 0" in reason and "--rate_limit_resource" in reason, reason


@pytest.mark.parametrize("flag", ["--rate_limit_resource=R", "--rate_limit_resource=R:-1", "--rate_limit=sometimes"])
def test_bad_flags_are_refused_naming_them(limited_repo, flag):
    http, grpc = support.free_ports(2)
    run = subprocess.run([support.server_binary(), f"--model_base_path={limited_repo}", f"--http_port={http}",
                          f"--grpc_port={grpc}", flag],
                         capture_output=True, text=True, timeout=60)
    # 2: a flag main() checks; 1: one the server core refuses at start.
    assert run.returncode == (2 if flag.startswith("--rate_limit=") else 1), run
    assert flag.split("=", 1)[1] in run.stderr, run.stderr
