"""The TensorFlow SavedModel runtime (runtimes/tensorflow/, built with -DADLIK_WITH_TENSORFLOW=ON).

The SavedModels are written at test time with TensorFlow's Python package (tests/runtimes/
make_tensorflow_models.py), which also writes TensorFlow's own outputs; the served outputs
must match them. Served, by one server for the module (TensorFlow loads slowly): a dense
model, a multi-input multi-output one (and its second signature, chosen by the parameter
TF_SIGNATURE_DEF), a BYTES one, the dense model with dynamic batching on two instances and
without a batch dimension, broken SavedModels, and the plugin with TensorFlow missing.
"""

import concurrent.futures
import importlib.util
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tritonclient.http as httpclient

import plugin_support as ps
import support

PLUGIN = os.path.join(ps.bin_dir(), "libadlik_runtime_tensorflow.so")
ENGINE = os.path.join(ps.bin_dir(), "libadlik_tensorflow_engine.so")
MAKE_MODELS = os.path.join(os.path.dirname(__file__), "make_tensorflow_models.py")

if not os.path.exists(PLUGIN):
    if os.environ.get("ADLIK_WITH_TENSORFLOW") == "1":
        raise RuntimeError(f"ADLIK_WITH_TENSORFLOW=1 but {PLUGIN} was not built (-DADLIK_WITH_TENSORFLOW=ON)")
    pytest.skip(
        "the TensorFlow runtime is not built (configure with -DADLIK_WITH_TENSORFLOW=ON after "
        "ADLIK_WITH_TENSORFLOW=1 scripts/setup.sh)",
        allow_module_level=True,
    )


def write_config(repo, name, text):
    (repo / name / "config.pbtxt").write_text(f'name: "{name}"\n' + text)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """(repository, folder of TensorFlow's inputs and outputs)."""
    repo = tmp_path_factory.mktemp("tensorflow_repo")
    expected = tmp_path_factory.mktemp("tensorflow_expected")
    result = subprocess.run([sys.executable, MAKE_MODELS, str(repo), str(expected)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{MAKE_MODELS} failed:\n{result.stdout}\n{result.stderr}"

    shutil.copytree(repo / "tf_dense", repo / "tf_batched")
    write_config(repo, "tf_batched", 'backend: "tensorflow"\nmax_batch_size: 8\n'
                 'dynamic_batching { max_queue_delay_microseconds: 2000 }\n'
                 'instance_group [ { count: 2 kind: KIND_CPU } ]\n')
    shutil.copytree(repo / "tf_dense", repo / "tf_unbatched")
    write_config(repo, "tf_unbatched", 'platform: "tensorflow_savedmodel"\nmax_batch_size: 0\n')
    # No config.pbtxt: found by its model.savedmodel folder, completed from the signature.
    shutil.copytree(repo / "tf_dense", repo / "tf_detected")
    (repo / "tf_detected" / "config.pbtxt").unlink()
    shutil.copytree(repo / "tf_multi", repo / "tf_scaled")
    write_config(repo, "tf_scaled", 'platform: "tensorflow_savedmodel"\nmax_batch_size: 8\n'
                 'parameters { key: "TF_SIGNATURE_DEF" value { string_value: "scaled" } }\n')

    shutil.copytree(repo / "tf_dense", repo / "tf_corrupt")
    (repo / "tf_corrupt" / "1" / "model.savedmodel" / "saved_model.pb").write_bytes(b"\x0a\xffnot a SavedModel")
    write_config(repo, "tf_corrupt", 'platform: "tensorflow_savedmodel"\nmax_batch_size: 8\n')
    (repo / "tf_missing" / "1").mkdir(parents=True)
    write_config(repo, "tf_missing", 'platform: "tensorflow_savedmodel"\nmax_batch_size: 8\n')
    shutil.copytree(repo / "tf_dense", repo / "tf_no_signature")
    write_config(repo, "tf_no_signature", 'platform: "tensorflow_savedmodel"\nmax_batch_size: 8\n'
                 'parameters { key: "TF_SIGNATURE_DEF" value { string_value: "predict" } }\n')
    # A link out of the SavedModel folder: its variables are the dense model's, elsewhere.
    shutil.copytree(repo / "tf_dense", repo / "tf_link_out", symlinks=True)
    variables = repo / "tf_link_out" / "1" / "model.savedmodel" / "variables"
    shutil.rmtree(variables)
    outside = tmp_path_factory.mktemp("tensorflow_outside") / "variables"
    shutil.copytree(repo / "tf_dense" / "1" / "model.savedmodel" / "variables", outside)
    variables.symlink_to(outside)
    write_config(repo, "tf_link_out", 'platform: "tensorflow_savedmodel"\nmax_batch_size: 8\n')
    return repo, expected


@pytest.fixture(scope="module")
def server(models, log_dir):
    repo, _ = models
    srv = support.Server(repo, log_dir, name="tensorflow").start()
    yield srv
    assert srv.stop() == 0, srv.log_tail()


def load(expected, name):
    return np.load(expected / f"{name}.npy", allow_pickle=True)


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_outputs_match_tensorflows(server, models, protocol):
    _, expected = models
    url = server.grpc_url if protocol == "grpc" else server.http_url
    for model in ("tf_dense", "tf_unbatched", "tf_batched", "tf_detected"):
        out = support.infer(protocol, url, model, {"x": load(expected, "tf_dense_x")}, ["y"])
        np.testing.assert_allclose(out["y"], load(expected, "tf_dense_y"), rtol=1e-5, atol=1e-6)

    inputs = {"a": load(expected, "tf_multi_a"), "b": load(expected, "tf_multi_b")}
    out = support.infer(protocol, url, "tf_multi", inputs, ["sum", "argmax"])
    np.testing.assert_allclose(out["sum"], load(expected, "tf_multi_sum"), rtol=1e-5, atol=1e-6)
    assert out["argmax"].dtype == np.int64
    np.testing.assert_array_equal(out["argmax"], load(expected, "tf_multi_argmax"))
    only = support.infer(protocol, url, "tf_multi", inputs, ["argmax"])
    np.testing.assert_array_equal(only["argmax"], load(expected, "tf_multi_argmax"))

    out = support.infer(protocol, url, "tf_scaled", {"a": inputs["a"]}, ["twice"])
    np.testing.assert_allclose(out["twice"], load(expected, "tf_multi_scaled"), rtol=1e-6)

    out = support.infer(protocol, url, "tf_strings", {"text": load(expected, "tf_strings_text")},
                        ["upper", "length"])
    # JSON carries BYTES as text, which the client hands back as str.
    upper = [v.encode() if isinstance(v, str) else v for v in out["upper"]]
    assert upper == list(load(expected, "tf_strings_upper"))
    np.testing.assert_array_equal(out["length"], load(expected, "tf_strings_length"))


def test_config_completed_from_the_signature(server):
    client = httpclient.InferenceServerClient(server.http_url)
    try:
        multi = client.get_model_config("tf_multi")
        unbatched = client.get_model_config("tf_unbatched")
        strings = client.get_model_config("tf_strings")
        detected = client.get_model_config("tf_detected")
        metadata = client.get_model_metadata("tf_multi")
    finally:
        client.close()
    assert multi["platform"] == "tensorflow_savedmodel" and multi["backend"] == "tensorflow", multi
    assert detected["platform"] == "tensorflow_savedmodel" and detected["backend"] == "tensorflow", detected
    assert metadata["platform"] == "tensorflow_savedmodel", metadata
    assert multi["max_batch_size"] == 8
    tensors = lambda ts: [(t["name"], t["data_type"], t["dims"]) for t in ts]  # noqa: E731
    assert tensors(multi["input"]) == [("a", "TYPE_FP32", [3]), ("b", "TYPE_INT32", [3])]
    assert tensors(multi["output"]) == [("argmax", "TYPE_INT64", []), ("sum", "TYPE_FP32", [3])]
    assert metadata["inputs"][0] == {"name": "a", "datatype": "FP32", "shape": [-1, 3]}, metadata
    assert unbatched["max_batch_size"] == 0
    assert tensors(unbatched["input"]) == [("x", "TYPE_FP32", [-1, 4])]
    assert tensors(unbatched["output"]) == [("y", "TYPE_FP32", [-1, 3])]
    assert tensors(strings["input"]) == [("text", "TYPE_STRING", [])]
    assert tensors(strings["output"]) == [("length", "TYPE_INT32", []), ("upper", "TYPE_STRING", [])]


def test_dynamic_batching_on_two_instances(server, models):
    _, expected = models
    x = load(expected, "tf_dense_x")
    want = load(expected, "tf_dense_y")

    def one(k):
        rows = [k % 5, (k + 2) % 5]
        out = support.infer("grpc", server.grpc_url, "tf_batched", {"x": x[rows]}, ["y"])
        np.testing.assert_allclose(out["y"], want[rows], rtol=1e-5, atol=1e-6)

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        list(pool.map(one, range(48)))


def test_broken_models_are_unavailable_naming_the_file(server, models):
    repo, _ = models
    index = ps.repository_index(server.http_url)
    assert index["tf_dense"]["state"] == "READY"
    reasons = {
        "tf_corrupt": f"cannot load the SavedModel '{repo / 'tf_corrupt' / '1' / 'model.savedmodel'}'",
        "tf_missing": str(repo / "tf_missing" / "1" / "model.savedmodel"),
        "tf_link_out": f"'{repo / 'tf_link_out' / '1' / 'model.savedmodel' / 'variables'}' links outside the "
                       "SavedModel folder",
        "tf_no_signature": "has no signature 'predict' (parameter TF_SIGNATURE_DEF); it has: serving_default",
    }
    for model, reason in reasons.items():
        assert index[model]["state"] == "UNAVAILABLE", index[model]
        assert reason in index[model]["reason"], index[model]


def test_without_tensorflow_only_tensorflow_models_are_unavailable(models, tmp_path, start_server, example_repo):
    """The engine with its rpath pointing nowhere, as where TensorFlow is not installed."""
    repo, _ = models
    spec = importlib.util.find_spec("tensorflow")
    tf_root = os.path.dirname(spec.origin).encode()
    data = open(ENGINE, "rb").read()
    assert data.count(tf_root) >= 1, "the engine's rpath to TensorFlow's libraries is not where expected"
    runtime_dir = tmp_path / "runtimes"
    runtime_dir.mkdir()
    (runtime_dir / "libadlik_tensorflow_engine.so").write_bytes(data.replace(tf_root, tf_root[:-1] + b"_"))
    ps.link_runtime(runtime_dir, PLUGIN)
    ps.link_built_runtime(runtime_dir, "onnxruntime")
    small = tmp_path / "repo"
    shutil.copytree(os.path.join(str(example_repo), "simple"), small / "simple")
    shutil.copytree(repo / "tf_dense", small / "tf_dense")
    srv = start_server(small, f"--runtime_dir={runtime_dir}", name="tensorflow_missing_lib")
    support.check_simple(srv.http_url, "http_binary", batch=2)
    index = ps.repository_index(srv.http_url)
    assert index["simple"]["state"] == "READY"
    assert index["tf_dense"]["state"] == "UNAVAILABLE", index["tf_dense"]
    assert "libtensorflow_cc.so.2" in index["tf_dense"]["reason"], index["tf_dense"]
