"""The LibTorch runtime (runtimes/libtorch/, built with -DADLIK_WITH_LIBTORCH=ON).

TorchScript models are made at test time by /usr/bin/python3 with Debian's python3-torch
(tests/runtimes/make_torchscript_models.py), which also writes PyTorch's own outputs; the
served outputs must equal them. Both come from the same libtorch, run on one thread.
"""

import concurrent.futures
import os
import shutil
import subprocess

import numpy as np
import pytest
import tritonclient.http as httpclient

import plugin_support as ps
import support

PLUGIN = os.path.join(ps.bin_dir(), "libadlik_runtime_libtorch.so")
MAKE_MODELS = os.path.join(os.path.dirname(__file__), "make_torchscript_models.py")
SYSTEM_PYTHON = "/usr/bin/python3"

if not os.path.exists(PLUGIN):
    if os.environ.get("ADLIK_WITH_LIBTORCH") == "1":
        raise RuntimeError(f"ADLIK_WITH_LIBTORCH=1 but {PLUGIN} was not built (-DADLIK_WITH_LIBTORCH=ON)")
    pytest.skip(
        "the LibTorch runtime is not built (configure with -DADLIK_WITH_LIBTORCH=ON after "
        "ADLIK_WITH_LIBTORCH=1 scripts/setup.sh)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def models(tmp_path_factory, example_repo):
    """(repository, folder of PyTorch's expected outputs)."""
    repo = tmp_path_factory.mktemp("torch_repo")
    # An ONNX model too: LibTorch and ONNX Runtime in one process.
    shutil.copytree(os.path.join(str(example_repo), "simple"), repo / "simple")
    expected = tmp_path_factory.mktemp("torch_expected")
    result = subprocess.run([SYSTEM_PYTHON, MAKE_MODELS, str(repo), str(expected)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, (
        f"{MAKE_MODELS} failed (it needs Debian's python3-torch for {SYSTEM_PYTHON}; "
        f"ADLIK_WITH_LIBTORCH=1 scripts/setup.sh installs it):\n{result.stdout}\n{result.stderr}"
    )
    mlp = repo / "torch_mlp"

    # The MLP again, two instances and dynamic batching: forward() on one module from two threads.
    shutil.copytree(mlp, repo / "torch_mlp_batched")
    config = repo / "torch_mlp_batched" / "config.pbtxt"
    config.write_text(config.read_text().replace('"torch_mlp"', '"torch_mlp_batched"')
                      + "dynamic_batching { max_queue_delay_microseconds: 2000 }\n"
                      + "instance_group [ { count: 2 kind: KIND_CPU } ]\n")

    def broken(name, files, config_text=None):
        (repo / name / "1").mkdir(parents=True)
        for file, data in files.items():
            (repo / name / "1" / file).write_bytes(data)
        if config_text:
            (repo / name / "config.pbtxt").write_text(config_text)

    broken("torch_not_torchscript", {"model.pt": b"PK\x03\x04 not a TorchScript archive"})
    simple_pt = (repo / "torch_simple" / "1" / "model.pt").read_bytes()
    broken("torch_no_signature", {"model.pt": simple_pt})
    broken("torch_wrong_arity", {"model.pt": simple_pt,
                                 "signature.txt": b"input INPUT0 INT32 16\noutput OUTPUT0 INT32 16\n"})
    # No signature file: the config's inputs and outputs say what forward() takes.
    broken("torch_simple_from_config", {"model.pt": simple_pt},
           'platform: "pytorch_libtorch"\n'
           'input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 16 ] },'
           ' { name: "INPUT1" data_type: TYPE_INT32 dims: [ 16 ] } ]\n'
           'output [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 16 ] },'
           ' { name: "OUTPUT1" data_type: TYPE_INT32 dims: [ 16 ] } ]\n')
    broken("torch_on_gpu", {"model.pt": simple_pt,
                            "signature.txt": (repo / "torch_simple" / "1" / "signature.txt").read_bytes()},
           'platform: "libtorch"\ninstance_group [ { kind: KIND_GPU } ]\n')
    return repo, expected


@pytest.fixture(scope="module")
def server(models, log_dir):
    repo, _ = models
    srv = support.Server(repo, log_dir, name="libtorch").start()
    yield srv
    assert srv.stop() == 0, srv.log_tail()


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_outputs_equal_pytorchs(server, models, protocol):
    _, expected = models
    x = np.load(expected / "torch_mlp_x.npy")
    url = server.grpc_url if protocol == "grpc" else server.http_url
    out = support.infer(protocol, url, "torch_mlp", {"x": x}, ["logits", "probs"])
    for name in ("logits", "probs"):
        want = np.load(expected / f"torch_mlp_{name}.npy")
        assert out[name].dtype == np.float32 and out[name].shape == want.shape
        np.testing.assert_array_equal(out[name], want)


def test_onnxruntime_serves_beside_libtorch(server):
    support.check_simple(server.grpc_url, "grpc", batch=4)


def test_only_the_requested_output_comes_back(server, models):
    _, expected = models
    x = np.load(expected / "torch_mlp_x.npy")
    out = support.infer("http_binary", server.http_url, "torch_mlp", {"x": x}, ["probs"])
    np.testing.assert_array_equal(out["probs"], np.load(expected / "torch_mlp_probs.npy"))


def test_scripted_model_with_signature_beside_it_and_no_config(server):
    for protocol in support.PROTOCOLS:
        url = server.grpc_url if protocol == "grpc" else server.http_url
        a, b = support.simple_inputs(1, seed=3)
        out = support.infer(protocol, url, "torch_simple", {"INPUT0": a[0], "INPUT1": b[0]}, ["OUTPUT0", "OUTPUT1"])
        np.testing.assert_array_equal(out["OUTPUT0"], a[0] + b[0])
        np.testing.assert_array_equal(out["OUTPUT1"], a[0] - b[0])
    client = httpclient.InferenceServerClient(server.http_url)
    try:
        config = client.get_model_config("torch_simple")
    finally:
        client.close()
    assert config["platform"] == "pytorch_libtorch" and config["backend"] == "libtorch", config
    assert [t["name"] for t in config["input"]] == ["INPUT0", "INPUT1"]


def test_scripted_model_typed_by_its_config_alone(server):
    for protocol in support.PROTOCOLS:
        url = server.grpc_url if protocol == "grpc" else server.http_url
        a, b = support.simple_inputs(1, seed=9)
        out = support.infer(protocol, url, "torch_simple_from_config", {"INPUT0": a[0], "INPUT1": b[0]},
                            ["OUTPUT0", "OUTPUT1"])
        np.testing.assert_array_equal(out["OUTPUT0"], a[0] + b[0])
        np.testing.assert_array_equal(out["OUTPUT1"], a[0] - b[0])


def test_concurrent_batches_on_two_instances(server, models):
    _, expected = models
    x = np.load(expected / "torch_mlp_x.npy")
    want = np.load(expected / "torch_mlp_probs.npy")

    def one(k):
        rows = [k % 5, (k + 2) % 5]
        out = support.infer("grpc", server.grpc_url, "torch_mlp_batched", {"x": x[rows]}, ["probs"])
        # Rows may be batched with other requests' rows, which may change the last bits.
        np.testing.assert_allclose(out["probs"], want[rows], rtol=1e-5, atol=1e-7)

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        list(pool.map(one, range(48)))


def test_broken_models_are_unavailable_with_their_reason(server):
    index = ps.repository_index(server.http_url)
    assert index["torch_mlp"]["state"] == "READY"
    reasons = {
        "torch_not_torchscript": "as TorchScript",
        "torch_no_signature": "TorchScript does not record tensor types and shapes",
        "torch_wrong_arity": "declares 1 inputs; forward() takes 2",
        "torch_on_gpu": "this LibTorch runtime runs on the CPU only",
    }
    for model, reason in reasons.items():
        assert index[model]["state"] == "UNAVAILABLE", index[model]
        assert reason in index[model]["reason"], index[model]
