"""The TVM runtime (runtimes/tvm/, built with -DADLIK_WITH_TVM=ON).

tests/runtimes/make_tvm_models.py compiles an ONNX model with random weights into TVM model
libraries with compiler/tvm_build.py (the compiler's own script), and writes the outputs
TVM's Python runtime and ONNX Runtime compute. Served: the library with a symbolic batch
under dynamic batching on two instances (its config lists the inputs in another order than
the library's parameters), the same library without a batch dimension, a library built for
a fixed batch, broken files and configs, and the plugin with libtvm_runtime.so missing.
"""

import concurrent.futures
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tritonclient.http as httpclient

import plugin_support as ps
import support

PLUGIN = os.path.join(ps.bin_dir(), "libadlik_runtime_tvm.so")
MAKE_MODELS = os.path.join(os.path.dirname(__file__), "make_tvm_models.py")

if not os.path.exists(PLUGIN):
    if os.environ.get("ADLIK_WITH_TVM") == "1":
        raise RuntimeError(f"ADLIK_WITH_TVM=1 but {PLUGIN} was not built (-DADLIK_WITH_TVM=ON)")
    pytest.skip("the TVM runtime is not built (configure with -DADLIK_WITH_TVM=ON after "
                "ADLIK_WITH_TVM=1 scripts/setup.sh)", allow_module_level=True)


def tensors(batch, dims_y="4", dims_z="2", dims_x="8", dims_b="4"):
    return (f'input [ {{ name: "bias" data_type: TYPE_FP32 dims: [ {dims_b} ] }},\n'
            f'        {{ name: "x" data_type: TYPE_FP32 dims: [ {dims_x} ] }} ]\n'
            f'output [ {{ name: "y" data_type: TYPE_FP32 dims: [ {dims_y} ] }},\n'
            f'         {{ name: "z" data_type: TYPE_FP32 dims: [ {dims_z} ] }} ]\n')


def write_config(repo, name, text):
    (repo / name / "config.pbtxt").write_text(f'name: "{name}"\n' + text)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """(repository, folder of the expected outputs)."""
    repo = tmp_path_factory.mktemp("tvm_repo")
    expected = tmp_path_factory.mktemp("tvm_expected")
    result = subprocess.run([sys.executable, MAKE_MODELS, str(repo), str(expected)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{MAKE_MODELS} failed:\n{result.stdout}\n{result.stderr}"

    write_config(repo, "tvm_dynamic", 'platform: "tvm"\nmax_batch_size: 64\n'
                 'dynamic_batching { max_queue_delay_microseconds: 2000 }\n'
                 'instance_group [ { count: 2 kind: KIND_CPU } ]\n' + tensors(64))
    shutil.copytree(repo / "tvm_dynamic" / "1", repo / "tvm_nobatch" / "1")
    write_config(repo, "tvm_nobatch", 'backend: "tvm"\n' + tensors(0, "-1, 4", "-1, 2", "-1, 8", "-1, 4"))
    write_config(repo, "tvm_fixed", 'platform: "tvm"\n' + tensors(0, "3, 4", "3, 2", "3, 8", "3, 4"))

    def broken(name, files, config_text='platform: "tvm"\nmax_batch_size: 8\n' + tensors(8)):
        (repo / name / "1").mkdir(parents=True)
        for file, data in files.items():
            (repo / name / "1" / file).write_bytes(data)
        write_config(repo, name, config_text)

    library = (repo / "tvm_dynamic" / "1" / "model.so").read_bytes()
    broken("tvm_corrupt", {"model.so": b"\x7fELF not a library"})
    broken("tvm_missing_file", {"other.so": library})
    broken("tvm_no_signature", {"model.so": library}, 'platform: "tvm"\nmax_batch_size: 8\n')
    broken("tvm_wrong_arity", {"model.so": library}, 'platform: "tvm"\nmax_batch_size: 8\n'
           'input [ { name: "x" data_type: TYPE_FP32 dims: [ 8 ] } ]\n'
           'output [ { name: "y" data_type: TYPE_FP32 dims: [ 4 ] } ]\n')
    return repo, expected


@pytest.fixture(scope="module")
def server(models, log_dir):
    repo, _ = models
    srv = support.Server(repo, log_dir, name="tvm").start()
    yield srv
    assert srv.stop() == 0, srv.log_tail()


def inputs(expected, rows=slice(None)):
    return {"x": np.load(expected / "x.npy")[rows], "bias": np.load(expected / "bias.npy")[rows]}


@pytest.mark.parametrize("model", ["tvm_dynamic", "tvm_nobatch"])
@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_outputs_equal_tvms_and_match_onnxruntime(server, models, model, protocol):
    _, expected = models
    url = server.grpc_url if protocol == "grpc" else server.http_url
    out = support.infer(protocol, url, model, inputs(expected), ["y", "z"])
    for name in ("y", "z"):
        want = np.load(expected / f"{name}_tvm.npy")
        assert out[name].dtype == np.float32 and out[name].shape == want.shape, (name, out[name].shape)
        np.testing.assert_array_equal(out[name], want)
        np.testing.assert_allclose(out[name], np.load(expected / f"{name}_ort.npy"), rtol=1e-5, atol=1e-5)


def test_fixed_batch_library_takes_its_batch_only(server, models):
    _, expected = models
    out = support.infer("http_binary", server.http_url, "tvm_fixed", inputs(expected, slice(0, 3)), ["y"])
    np.testing.assert_array_equal(out["y"], np.load(expected / "y_tvm.npy")[:3])
    client = httpclient.InferenceServerClient(server.http_url)
    try:
        with pytest.raises(Exception, match="shape"):
            x = httpclient.InferInput("x", [2, 8], "FP32")
            x.set_data_from_numpy(inputs(expected)["x"][:2])
            b = httpclient.InferInput("bias", [2, 4], "FP32")
            b.set_data_from_numpy(inputs(expected)["bias"][:2])
            client.infer("tvm_fixed", [x, b])
    finally:
        client.close()


def test_concurrent_batches_on_two_instances(server, models):
    _, expected = models
    want = np.load(expected / "y_tvm.npy")

    def one(k):
        rows = [k % 5, (k + 2) % 5]
        out = support.infer("grpc", server.grpc_url, "tvm_dynamic", inputs(expected, rows), ["y"])
        np.testing.assert_array_equal(out["y"], want[rows])

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        list(pool.map(one, range(48)))


def test_broken_models_are_unavailable_with_their_reason(server, models):
    repo, _ = models
    index = ps.repository_index(server.http_url)
    assert index["tvm_dynamic"]["state"] == "READY"
    reasons = {
        "tvm_corrupt": f"cannot load '{repo / 'tvm_corrupt' / '1' / 'model.so'}' as a TVM model library",
        "tvm_missing_file": f"model file {repo / 'tvm_missing_file' / '1' / 'model.so'} does not exist",
        "tvm_no_signature": "does not record its tensors' names, types and shapes; declare the model's `input`",
        "tvm_wrong_arity": "main() takes 2 inputs; the config declares 1",
    }
    for model, reason in reasons.items():
        assert index[model]["state"] == "UNAVAILABLE", index[model]
        assert reason in index[model]["reason"], index[model]


def test_without_its_library_only_tvm_models_are_unavailable(models, tmp_path, start_server, example_repo):
    """The plugin with its rpath to libtvm_runtime.so pointing nowhere, as where TVM is not installed."""
    repo, _ = models
    data = open(PLUGIN, "rb").read()
    libs = b"/tvm/lib"
    assert data.count(libs) == 1, "the plugin's rpath to libtvm_runtime.so is not where expected"
    runtime_dir = tmp_path / "runtimes"
    runtime_dir.mkdir()
    (runtime_dir / "libadlik_runtime_tvm.so").write_bytes(data.replace(libs, b"/tvm/nop"))
    ps.link_built_runtime(runtime_dir, "onnxruntime")
    small = tmp_path / "repo"
    shutil.copytree(os.path.join(str(example_repo), "simple"), small / "simple")
    shutil.copytree(repo / "tvm_dynamic", small / "tvm_dynamic")
    write_config(small, "tvm_dynamic", 'backend: "tvm"\nmax_batch_size: 64\n' + tensors(64))
    srv = start_server(small, f"--runtime_dir={runtime_dir}", name="tvm_missing_lib")
    support.check_simple(srv.http_url, "http_binary", batch=2)
    index = ps.repository_index(srv.http_url)
    assert index["simple"]["state"] == "READY"
    assert index["tvm_dynamic"]["state"] == "UNAVAILABLE", index["tvm_dynamic"]
    assert "libtvm_runtime.so" in index["tvm_dynamic"]["reason"], index["tvm_dynamic"]
