"""The TFLite runtime (runtimes/tflite/, built with -DADLIK_WITH_TFLITE=ON).

Models are made at test time with TensorFlow's converter (tests/runtimes/make_tflite_models.py),
which also writes the outputs of TensorFlow's own tf.lite.Interpreter; the served outputs must
match them. Served: a float MLP with a dynamic batch (the runtime resizes the interpreter to each
batch), an integer-only quantized model with two inputs and no batch dimension, the MLP again by
`backend` with dynamic batching on two instances and once without XNNPack, broken files, and the
plugin with its TFLite library missing.
"""

import concurrent.futures
import os
import shutil

import numpy as np
import pytest
import tritonclient.http as httpclient

import plugin_support as ps
import support

PLUGIN = ps.engine_plugin("tflite", "ADLIK_WITH_TFLITE")
MAKE_MODELS = os.path.join(os.path.dirname(__file__), "make_tflite_models.py")


@pytest.fixture(scope="module")
def models(tmp_path_factory, example_repo):
    """(repository, folder of TFLite's expected outputs)."""
    repo = tmp_path_factory.mktemp("tflite_repo")
    # An ONNX Runtime model too: both runtimes in one process.
    shutil.copytree(os.path.join(str(example_repo), "simple"), repo / "simple")
    expected = tmp_path_factory.mktemp("tflite_expected")
    ps.make_models(MAKE_MODELS, repo, expected)
    mlp = (repo / "tfl_mlp" / "1" / "model.tflite").read_bytes()

    # By backend and another file name; dynamic batching over two instances.
    ps.add_model(repo, "tfl_mlp_batched", {"mlp.tflite": mlp},
                 'backend: "tflite"\ndefault_model_filename: "mlp.tflite"\nmax_batch_size: 8\n'
                 'dynamic_batching { max_queue_delay_microseconds: 2000 }\n'
                 'instance_group [ { count: 2 kind: KIND_CPU } ]\n'
                 'parameters { key: "num_threads" value { string_value: "1" } }\n')

    # Without XNNPack: TFLite's own kernels.
    ps.add_model(repo, "tfl_mlp_no_xnnpack", {"model.tflite": mlp},
                 'platform: "tensorflow_tflite"\nmax_batch_size: 8\n'
                 'parameters { key: "xnnpack" value { string_value: "off" } }\n')

    def broken(name, files, config_text='platform: "tensorflow_tflite"\n'):
        ps.add_model(repo, name, files, config_text)

    broken("tfl_corrupt", {"model.tflite": b"TFL3 this is not a flatbuffer" * 4})
    broken("tfl_missing_file", {"other.tflite": mlp})
    broken("tfl_on_gpu", {"model.tflite": mlp},
           'platform: "tensorflow_tflite"\ninstance_group [ { kind: KIND_GPU } ]\n')
    broken("tfl_bad_xnnpack", {"model.tflite": mlp},
           'platform: "tensorflow_tflite"\nparameters { key: "xnnpack" value { string_value: "yes" } }\n')
    broken("tfl_bad_threads", {"model.tflite": mlp},
           'platform: "tensorflow_tflite"\nparameters { key: "num_threads" value { string_value: "all" } }\n')
    return repo, expected


@pytest.fixture(scope="module")
def server(models, log_dir):
    repo, _ = models
    yield from ps.serve(repo, log_dir, "tflite")


@pytest.mark.parametrize("model", ["tfl_mlp", "tfl_mlp_batched", "tfl_mlp_no_xnnpack"])
@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_mlp_outputs_match_tflites(server, models, model, protocol):
    _, expected = models
    x = np.load(expected / "tfl_mlp_x.npy")
    url = server.grpc_url if protocol == "grpc" else server.http_url
    out = support.infer(protocol, url, model, {"x": x}, ["logits", "probs"])
    for name in ("logits", "probs"):
        want = np.load(expected / f"tfl_mlp_{name}.npy")
        assert out[name].dtype == np.float32 and out[name].shape == want.shape
        np.testing.assert_allclose(out[name], want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_quantized_two_input_model_equals_tflites(server, models, protocol):
    _, expected = models
    inputs = {name: np.load(expected / f"tfl_int8_{name}.npy") for name in ("a", "b")}
    url = server.grpc_url if protocol == "grpc" else server.http_url
    out = support.infer(protocol, url, "tfl_int8", inputs, ["y"])["y"]
    want = np.load(expected / "tfl_int8_y.npy")
    assert out.dtype == np.int8 and out.shape == want.shape == (1, 3)
    np.testing.assert_array_equal(out, want)


def test_batch_sizes_change_between_requests(server, models):
    """Each new batch size resizes the one instance's interpreter."""
    _, expected = models
    x = np.load(expected / "tfl_mlp_x.npy")
    want = np.load(expected / "tfl_mlp_probs.npy")
    for rows in ([0], [0, 1, 2, 3, 4], [4, 2, 0], [1], [3, 4], [0, 1, 2, 3, 4]):
        out = support.infer("http_binary", server.http_url, "tfl_mlp", {"x": x[rows]}, ["probs"])
        np.testing.assert_allclose(out["probs"], want[rows], rtol=1e-5, atol=1e-6)


def test_config_completed_from_the_model(server):
    client = httpclient.InferenceServerClient(server.http_url)
    try:
        mlp = client.get_model_config("tfl_mlp")
        batched = client.get_model_config("tfl_mlp_batched")
        int8 = client.get_model_config("tfl_int8")
        metadata = client.get_model_metadata("tfl_mlp")
    finally:
        client.close()
    assert mlp["platform"] == "tensorflow_tflite" and mlp["backend"] == "tflite", mlp
    assert mlp["max_batch_size"] == 8
    # The signature's names, not the tensors' (serving_default_x:0, StatefulPartitionedCall_1:0).
    assert [(t["name"], t["data_type"], t["dims"]) for t in mlp["input"]] == [("x", "TYPE_FP32", [16])]
    assert sorted((t["name"], t["data_type"], t["dims"]) for t in mlp["output"]) == [
        ("logits", "TYPE_FP32", [4]), ("probs", "TYPE_FP32", [4])]
    assert batched["backend"] == "tflite" and batched["default_model_filename"] == "mlp.tflite"
    assert int8["max_batch_size"] == 0
    assert sorted((t["name"], t["data_type"], t["dims"]) for t in int8["input"]) == [
        ("a", "TYPE_INT8", [1, 8]), ("b", "TYPE_INT8", [1, 8])]
    assert [(t["name"], t["data_type"], t["dims"]) for t in int8["output"]] == [("y", "TYPE_INT8", [1, 3])]
    assert metadata["platform"] == "tensorflow_tflite"
    assert metadata["inputs"] == [{"name": "x", "datatype": "FP32", "shape": [-1, 16]}]


def test_onnxruntime_serves_beside_tflite(server):
    support.check_simple(server.grpc_url, "grpc", batch=4)


def test_only_the_requested_output_comes_back(server, models):
    _, expected = models
    x = np.load(expected / "tfl_mlp_x.npy")
    out = support.infer("grpc", server.grpc_url, "tfl_mlp", {"x": x}, ["logits"])
    assert list(out) == ["logits"]
    np.testing.assert_allclose(out["logits"], np.load(expected / "tfl_mlp_logits.npy"), rtol=1e-5, atol=1e-6)


def test_concurrent_batches_on_two_instances(server, models):
    _, expected = models
    x = np.load(expected / "tfl_mlp_x.npy")
    want = np.load(expected / "tfl_mlp_probs.npy")

    def one(k):
        rows = [k % 5, (k + 2) % 5][: 1 + k % 2]
        out = support.infer("grpc", server.grpc_url, "tfl_mlp_batched", {"x": x[rows]}, ["probs"])
        np.testing.assert_allclose(out["probs"], want[rows], rtol=1e-5, atol=1e-6)

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        list(pool.map(one, range(48)))


def test_broken_models_are_unavailable_with_their_reason(server, models):
    repo, _ = models
    index = ps.repository_index(server.http_url)
    assert index["tfl_mlp"]["state"] == "READY"
    reasons = {
        "tfl_corrupt": f"cannot load '{repo / 'tfl_corrupt' / '1' / 'model.tflite'}' as a TFLite model: ",
        "tfl_missing_file": str(repo / "tfl_missing_file" / "1" / "model.tflite"),
        "tfl_on_gpu": "the TFLite runtime runs on KIND_CPU instances only",
        "tfl_bad_threads": "parameter num_threads: 'all' is not a whole number in 1..1024",
        "tfl_bad_xnnpack": "parameter xnnpack: 'yes' is neither on nor off",
    }
    for model, reason in reasons.items():
        assert index[model]["state"] == "UNAVAILABLE", index[model]
        assert reason in index[model]["reason"], index[model]


def test_without_its_library_only_tflite_models_are_unavailable(models, tmp_path, start_server, example_repo):
    repo, _ = models
    ps.check_without_engine_library(PLUGIN, "/tflite-2.21.0/lib", repo / "tfl_mlp",
                                    'backend: "tflite"\nmax_batch_size: 8\n', "libjnitensorflowlite.so",
                                    tmp_path, start_server, example_repo)
