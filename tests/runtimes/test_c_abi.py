"""The runtime API is C: what crosses a plugin's boundary, and a runtime written in C.

- Every runtime plugin the build makes (build/bin and the test plugins) exports C symbols
  only: `nm -D --defined-only` shows no C++ (`_Z...`) symbol, and the real runtimes export
  exactly the entry points of include/adlik/runtime_api.h.
- runtimes/example_c, built with exactly the command its guide gives (cc -std=c99 against the
  C header alone), serves a model whose config says `backend: "example_c"` from the
  unmodified server, in a runtime folder that also holds the (C++) ONNX Runtime plugin.
"""

import glob
import os
import shutil
import subprocess

import numpy as np
import pytest
import tritonclient.http as httpclient

import plugin_support as ps
import support

ENTRY_POINTS = sorted([
    "AdlikRuntimeApiVersion", "AdlikRuntimeDescribe", "AdlikRuntimeInit", "AdlikRuntimeFini",
    "AdlikModelInit", "AdlikModelFini", "AdlikInstanceInit", "AdlikInstanceFini",
    "AdlikInstanceExecute",
])


def defined_symbols(path):
    out = subprocess.run(["nm", "-D", "--defined-only", path], capture_output=True, text=True, check=True)
    return [line.split()[-1] for line in out.stdout.splitlines() if line.strip()]


def built_plugins():
    real = sorted(glob.glob(os.path.join(ps.bin_dir(), "libadlik_runtime_*.so")))
    testing = sorted(glob.glob(os.path.join(ps.testing_plugin_dir(), "libadlik_runtime_*.so")))
    return real, testing


def test_no_plugin_exports_a_cxx_symbol():
    real, testing = built_plugins()
    names = [os.path.basename(p) for p in real]
    assert "libadlik_runtime_example.so" in names and "libadlik_runtime_onnxruntime.so" in names, names
    assert len(testing) >= 8, testing
    for path in real + testing:
        cxx = [s for s in defined_symbols(path) if s.startswith("_Z")]
        assert not cxx, f"{path} exports C++ symbols: {cxx[:10]}"


def test_real_runtimes_export_exactly_the_entry_points():
    real, _ = built_plugins()
    for path in real:
        exported = sorted(s for s in defined_symbols(path) if not s.startswith("_"))
        assert exported == ENTRY_POINTS, f"{path}: {exported}"


@pytest.fixture(scope="module")
def c_runtime_dir(tmp_path_factory):
    """OUT: the C example built with the guide's exact command, beside the ONNX Runtime plugin."""
    out = tmp_path_factory.mktemp("OUT")
    cmd = (f"cc -std=c99 -Wall -Werror -shared -fPIC -Iinclude runtimes/example_c/*.c "
           f"-o {out}/libadlik_runtime_example_c.so")
    result = subprocess.run(cmd, shell=True, cwd=support.ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{cmd}\n{result.stdout}\n{result.stderr}"
    assert sorted(defined_symbols(str(out / "libadlik_runtime_example_c.so"))) == ENTRY_POINTS
    ps.link_built_runtime(out, "onnxruntime")
    return out


@pytest.fixture(scope="module")
def c_server(c_runtime_dir, example_repo, tmp_path_factory, log_dir):
    repo = tmp_path_factory.mktemp("c_repo")
    model_txt = os.path.join(ps.RUNTIMES_SRC, "example", "models", "simple", "1", "model.txt")
    (repo / "simple_c" / "1").mkdir(parents=True)
    shutil.copy(model_txt, repo / "simple_c" / "1")
    (repo / "simple_c" / "config.pbtxt").write_text(
        'name: "simple_c"\nbackend: "example_c"\nmax_batch_size: 8\n'
        "dynamic_batching { max_queue_delay_microseconds: 2000 }\n")
    # A model.txt with an error: the C runtime's message reaches the index.
    (repo / "bad_c" / "1").mkdir(parents=True)
    (repo / "bad_c" / "1" / "model.txt").write_text("input A INT32 4\noutput B = A + C\n")
    (repo / "bad_c" / "config.pbtxt").write_text('backend: "example_c"\n')
    shutil.copytree(os.path.join(str(example_repo), "simple"), repo / "simple_onnx")
    config = repo / "simple_onnx" / "config.pbtxt"
    config.write_text(config.read_text().replace('name: "simple"', 'name: "simple_onnx"'))
    srv = support.Server(repo, log_dir, name="c_runtime", extra_args=[f"--runtime_dir={c_runtime_dir}"]).start()
    yield srv
    assert srv.stop() == 0, srv.log_tail()


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_c_runtime_serves_simple_beside_onnxruntime(c_server, protocol):
    url = c_server.grpc_url if protocol == "grpc" else c_server.http_url
    for batch in (1, 3):
        a, b = support.simple_inputs(batch, seed=batch)
        out = support.infer(protocol, url, "simple_c", {"INPUT0": a, "INPUT1": b}, ["OUTPUT0", "OUTPUT1"])
        np.testing.assert_array_equal(out["OUTPUT0"], a + b)
        np.testing.assert_array_equal(out["OUTPUT1"], a - b)
        by_onnx = support.infer(protocol, url, "simple_onnx", {"INPUT0": a, "INPUT1": b}, ["OUTPUT0"])
        np.testing.assert_array_equal(by_onnx["OUTPUT0"], out["OUTPUT0"])


def test_c_runtime_describes_itself_and_reports_errors(c_server):
    client = httpclient.InferenceServerClient(c_server.http_url)
    try:
        metadata = client.get_model_metadata("simple_c")
        config = client.get_model_config("simple_c")
    finally:
        client.close()
    assert metadata["platform"] == "adlik_example_c", metadata
    assert config["default_model_filename"] == "model.txt", config
    assert [i["name"] for i in config["input"]] == ["INPUT0", "INPUT1"], config
    index = ps.repository_index(c_server.http_url)
    assert index["bad_c"]["state"] == "UNAVAILABLE", index["bad_c"]
    assert "model.txt:2: output uses an input not declared above it: 'C'" in index["bad_c"]["reason"], index["bad_c"]
