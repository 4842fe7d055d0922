"""KIND_GPU instances of the ONNX Runtime runtime.

A GPU instance needs ONNX Runtime's CUDA provider libraries beside the plugin (a build with
-DADLIK_ORT_GPU=ON after `ADLIK_ORT_GPU=1 scripts/setup.sh`), the CUDA 13 runtime libraries
and a GPU. Where any is missing (machines without a GPU, CI), a KIND_GPU model must fail at
load with a reason naming what is missing, while CPU models serve. Where all are there, the
same models must be READY and answer exactly as on the CPU. The server runs with its default
--runtime_dir (the binary's folder), as deployed.
"""

import os
import shutil

import numpy as np
import pytest

import plugin_support as ps
import support

HAS_GPU = os.path.exists("/dev/nvidiactl")
HAS_PROVIDERS = os.path.exists(os.path.join(ps.bin_dir(), "libonnxruntime_providers_cuda.so"))


def gpu_config(name, groups):
    return (
        f'name: "{name}"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 8\n'
        'input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 16 ] },\n'
        '        { name: "INPUT1" data_type: TYPE_INT32 dims: [ 16 ] } ]\n'
        'output [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 16 ] },\n'
        '         { name: "OUTPUT1" data_type: TYPE_INT32 dims: [ 16 ] } ]\n'
        f"instance_group [ {groups} ]\n"
    )


@pytest.fixture(scope="module")
def server(example_repo, tmp_path_factory, log_dir):
    repo = tmp_path_factory.mktemp("gpu_repo")
    shutil.copytree(os.path.join(str(example_repo), "simple"), repo / "simple")
    models = {
        "simple_gpu": "{ kind: KIND_GPU count: 2 gpus: [ 0 ] }",
        "simple_gpu_default": "{ kind: KIND_GPU }",
        "simple_cpu_and_gpu": "{ kind: KIND_CPU }, { kind: KIND_GPU gpus: [ 0 ] }",
    }
    for name, groups in models.items():
        (repo / name / "1").mkdir(parents=True)
        shutil.copy(repo / "simple" / "1" / "model.onnx", repo / name / "1" / "model.onnx")
        (repo / name / "config.pbtxt").write_text(gpu_config(name, groups))
    srv = support.Server(repo, log_dir, name="onnxruntime_gpu").start()
    yield srv
    assert srv.stop() == 0, srv.log_tail()


GPU_MODELS = ("simple_gpu", "simple_gpu_default", "simple_cpu_and_gpu")


def test_cpu_model_serves(server):
    support.check_simple(server.http_url, "http_binary", batch=3)


def test_gpu_models_fail_clearly_without_gpu_or_providers(server):
    if HAS_GPU and HAS_PROVIDERS:
        pytest.skip("this machine has a GPU and the CUDA provider: test_gpu_models_serve checks it")
    index = ps.repository_index(server.http_url)
    for model in GPU_MODELS:
        entry = index[model]
        assert entry["state"] == "UNAVAILABLE", entry
        reason = entry["reason"]
        assert "GPU 0: ONNX Runtime's CUDA execution provider is not available" in reason, reason
        if not HAS_PROVIDERS:
            # Built without -DADLIK_ORT_GPU=ON: the provider libraries are not beside the plugin.
            assert "libonnxruntime_providers_shared.so (build the plugin with -DADLIK_ORT_GPU=ON)" in reason, reason
        else:
            # Providers present, CUDA libraries or GPU absent: the loader's reason names the library.
            assert "libcu" in reason or "CUDA" in reason, reason
        r = support.http_request(server.http_url, "POST", f"/v2/models/{model}/infer",
                                 body={"inputs": []})
        assert r.status == 503, r
        assert "CUDA execution provider is not available" in r.error()


def test_gpu_models_serve(server):
    if not (HAS_GPU and HAS_PROVIDERS):
        pytest.skip("needs an NVIDIA GPU and a build with -DADLIK_ORT_GPU=ON "
                    "(test_gpu_models_fail_clearly_without_gpu_or_providers runs instead)")
    index = ps.repository_index(server.http_url)
    for model in GPU_MODELS:
        assert index[model]["state"] == "READY", index[model]
        a, b = support.simple_inputs(5, seed=11)
        out = support.infer("grpc", server.grpc_url, model, {"INPUT0": a, "INPUT1": b}, ["OUTPUT0", "OUTPUT1"])
        np.testing.assert_array_equal(out["OUTPUT0"], a + b)
        np.testing.assert_array_equal(out["OUTPUT1"], a - b)
