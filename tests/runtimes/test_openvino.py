"""The OpenVINO runtime (runtimes/openvino/, built with -DADLIK_WITH_OPENVINO=ON).

Models are made at test time with the openvino and onnx Python packages
(tests/runtimes/make_openvino_models.py), which also write OpenVINO's own outputs; the served
outputs must match them. Served: an IR saved with a fixed batch of 1 (the runtime reshapes it
to a dynamic batch), the same network's ONNX file run by OpenVINO, the IR again with dynamic
batching on two instances, broken files, and the plugin with its OpenVINO libraries missing.
"""

import concurrent.futures
import os
import shutil

import numpy as np
import pytest
import tritonclient.http as httpclient

import plugin_support as ps
import support

PLUGIN = ps.engine_plugin("openvino", "ADLIK_WITH_OPENVINO")
MAKE_MODELS = os.path.join(os.path.dirname(__file__), "make_openvino_models.py")
write_config = ps.write_config


@pytest.fixture(scope="module")
def models(tmp_path_factory, example_repo):
    """(repository, folder of OpenVINO's expected outputs)."""
    repo = tmp_path_factory.mktemp("openvino_repo")
    # An ONNX Runtime model too: both runtimes in one process.
    shutil.copytree(os.path.join(str(example_repo), "simple"), repo / "simple")
    expected = tmp_path_factory.mktemp("openvino_expected")
    ps.make_models(MAKE_MODELS, repo, expected)
    ir = repo / "ov_mlp" / "1"

    # The IR again: dynamic batching over two instances on two streams.
    shutil.copytree(repo / "ov_mlp", repo / "ov_mlp_batched")
    write_config(repo, "ov_mlp_batched",
                 'platform: "openvino"\nmax_batch_size: 8\n'
                 'dynamic_batching { max_queue_delay_microseconds: 2000 }\n'
                 'instance_group [ { count: 2 kind: KIND_CPU } ]\n'
                 'parameters { key: "num_streams" value { string_value: "2" } }\n')

    def broken(name, files, config_text='platform: "openvino"\n'):
        ps.add_model(repo, name, files, config_text)

    broken("ov_corrupt_xml", {"model.xml": b"<?xml version=\"1.0\"?>\n<net name=\"x\" version=\"11\"><layers>",
                              "model.bin": b"\0" * 16})
    broken("ov_missing_bin", {"model.xml": (ir / "model.xml").read_bytes()})
    broken("ov_missing_file", {"other.xml": b"<net/>"})
    broken("ov_on_gpu", {"model.xml": (ir / "model.xml").read_bytes(), "model.bin": (ir / "model.bin").read_bytes()},
           'platform: "openvino"\ninstance_group [ { kind: KIND_GPU } ]\n')
    broken("ov_bad_streams", {"model.xml": (ir / "model.xml").read_bytes(), "model.bin": (ir / "model.bin").read_bytes()},
           'platform: "openvino"\nparameters { key: "num_streams" value { string_value: "many" } }\n')
    return repo, expected


@pytest.fixture(scope="module")
def server(models, log_dir):
    repo, _ = models
    yield from ps.serve(repo, log_dir, "openvino")


@pytest.mark.parametrize("model", ["ov_mlp", "ov_mlp_onnx"])
@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_outputs_match_openvinos(server, models, model, protocol):
    _, expected = models
    x = np.load(expected / "ov_mlp_x.npy")
    url = server.grpc_url if protocol == "grpc" else server.http_url
    out = support.infer(protocol, url, model, {"x": x}, ["logits", "probs"])
    for name in ("logits", "probs"):
        want = np.load(expected / f"ov_mlp_{name}.npy")
        assert out[name].dtype == np.float32 and out[name].shape == want.shape
        np.testing.assert_allclose(out[name], want, rtol=1e-5, atol=1e-6)


def test_config_completed_from_the_model(server):
    client = httpclient.InferenceServerClient(server.http_url)
    try:
        config = client.get_model_config("ov_mlp")
        onnx_config = client.get_model_config("ov_mlp_onnx")
        metadata = client.get_model_metadata("ov_mlp")
    finally:
        client.close()
    assert config["platform"] == "openvino" and config["backend"] == "openvino", config
    assert config["max_batch_size"] == 8
    assert [(t["name"], t["data_type"], t["dims"]) for t in config["input"]] == [("x", "TYPE_FP32", [16])]
    assert sorted((t["name"], t["data_type"], t["dims"]) for t in config["output"]) == [
        ("logits", "TYPE_FP32", [4]), ("probs", "TYPE_FP32", [4])]
    assert onnx_config["backend"] == "openvino" and onnx_config["default_model_filename"] == "model.onnx"
    assert metadata["platform"] == "openvino"
    assert metadata["inputs"] == [{"name": "x", "datatype": "FP32", "shape": [-1, 16]}]


def test_onnxruntime_serves_beside_openvino(server):
    support.check_simple(server.grpc_url, "grpc", batch=4)


def test_only_the_requested_output_comes_back(server, models):
    _, expected = models
    x = np.load(expected / "ov_mlp_x.npy")
    out = support.infer("http_binary", server.http_url, "ov_mlp", {"x": x}, ["probs"])
    assert list(out) == ["probs"]
    np.testing.assert_allclose(out["probs"], np.load(expected / "ov_mlp_probs.npy"), rtol=1e-5, atol=1e-6)


def test_concurrent_batches_on_two_instances(server, models):
    _, expected = models
    x = np.load(expected / "ov_mlp_x.npy")
    want = np.load(expected / "ov_mlp_probs.npy")

    def one(k):
        rows = [k % 5, (k + 2) % 5]
        out = support.infer("grpc", server.grpc_url, "ov_mlp_batched", {"x": x[rows]}, ["probs"])
        np.testing.assert_allclose(out["probs"], want[rows], rtol=1e-5, atol=1e-6)

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        list(pool.map(one, range(48)))


def test_broken_models_are_unavailable_with_their_reason(server, models):
    repo, _ = models
    index = ps.repository_index(server.http_url)
    assert index["ov_mlp"]["state"] == "READY"
    reasons = {
        "ov_corrupt_xml": f"cannot load '{repo / 'ov_corrupt_xml' / '1' / 'model.xml'}': Start-end tags mismatch",
        "ov_missing_bin": f"{repo / 'ov_missing_bin' / '1' / 'model.bin'} (the weights of model.xml) does not exist",
        "ov_missing_file": str(repo / "ov_missing_file" / "1" / "model.xml"),
        "ov_on_gpu": "the OpenVINO runtime runs on KIND_CPU instances only",
        "ov_bad_streams": "parameter num_streams: 'many' is neither AUTO nor a whole number",
    }
    for model, reason in reasons.items():
        assert index[model]["state"] == "UNAVAILABLE", index[model]
        assert reason in index[model]["reason"], index[model]


def test_without_its_libraries_only_openvino_models_are_unavailable(models, tmp_path, start_server,
                                                                   example_repo):
    """By `backend` (a platform is mapped to a runtime by the plugins that load)."""
    repo, _ = models
    ps.check_without_engine_library(PLUGIN, "/openvino/libs", repo / "ov_mlp",
                                    'backend: "openvino"\nmax_batch_size: 8\n', "libopenvino.so", tmp_path,
                                    start_server, example_repo)
