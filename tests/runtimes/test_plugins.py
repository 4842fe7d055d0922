"""Runtime plugins through the real server: found by name in --runtime_dir, loaded,
version-checked; a wrong or missing plugin leaves only ITS models UNAVAILABLE, with a reason
that names it, while every other model serves.

The broken plugins are the test plugins of runtimes/testing/ (built into
build/runtimes/testing/), linked into a runtime folder under the runtime names the models ask
for, plus a file that is not a shared library at all.
"""

import concurrent.futures
import os
import shutil

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

import plugin_support as ps
import support

# The test plugin reports the server's major + 1.
MAJOR, MINOR = ps.api_version()
WRONG_MAJOR = f"was built for runtime API {MAJOR + 1}.0, this server speaks {MAJOR}.{MINOR} (another major)"
# model name -> (runtime its config asks for, what the reason must say about the plugin)
BROKEN = {
    "needs_vendor_x": ("vendor_x", "is not installed: no {dir}/libadlik_runtime_vendor_x.so"),
    "needs_no_entry": ("testing_no_entry", "is not an Adlik runtime plugin: it does not export AdlikRuntimeApiVersion"),
    "needs_missing_entry": ("testing_missing_entry", "does not export AdlikRuntimeInit, AdlikRuntimeFini"),
    "needs_wrong_major": ("testing_wrong_major", WRONG_MAJOR),
    "needs_wrong_major_too": ("testing_wrong_major", WRONG_MAJOR),
    "needs_create_fails": ("testing_create_fails", "AdlikRuntimeInit: Runtime::Init: no device"),
    "needs_missing_dep": ("testing_missing_dep", "undefined symbol: adlik_testing_symbol_no_library_defines"),
    "needs_garbage": ("garbage", "cannot load {dir}/libadlik_runtime_garbage.so"),
}
# Models the example runtime refuses, and why.
REFUSED_BY_EXAMPLE = {
    "example_bad_file": "model.txt:2: output 'OUTPUT0' uses an input not declared above it: 'INPUT9'",
    "example_on_gpu": "the example runtime runs on the CPU only",
}


def write_config(model_dir, text):
    with open(os.path.join(model_dir, "config.pbtxt"), "w") as f:
        f.write(text)


@pytest.fixture(scope="module")
def runtime_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("runtime_dir")
    ps.link_built_runtime(path, "example")
    ps.link_built_runtime(path, "onnxruntime")
    for name in ("good", "older_minor", "no_entry", "missing_entry", "wrong_major", "create_fails",
                 "throwing_execute", "missing_dep", "device"):
        ps.link_runtime(path, os.path.join(ps.testing_plugin_dir(), f"libadlik_runtime_testing_{name}.so"))
    (path / "libadlik_runtime_garbage.so").write_bytes(b"this is not an ELF file\n" * 8)
    return path


@pytest.fixture(scope="module")
def repo(tmp_path_factory, example_repo):
    path = tmp_path_factory.mktemp("plugin_repo")
    ps.copy_example_simple(path)
    shutil.copytree(os.path.join(str(example_repo), "simple"), path / "simple_onnx")
    write_config(path / "simple_onnx", (path / "simple_onnx" / "config.pbtxt").read_text().replace(
        'name: "simple"', 'name: "simple_onnx"'))

    # A model of the good test plugin; its config lists no tensors (completed from the plugin).
    (path / "doubler" / "1").mkdir(parents=True)
    (path / "doubler" / "1" / "model.bin").write_text("any bytes")
    write_config(path / "doubler", 'backend: "testing_good"\nmax_batch_size: 4\ndefault_model_filename: "model.bin"\n')

    # A runtime that computes on a device of its own (simulated), two instances on devices 0
    # and 1, with dynamic batching: its tensors are placed in its memory by the server.
    (path / "plus_one" / "1").mkdir(parents=True)
    (path / "plus_one" / "1" / "model.bin").write_text("any bytes")
    write_config(path / "plus_one", 'backend: "testing_device"\nmax_batch_size: 8\n'
                 'dynamic_batching { max_queue_delay_microseconds: 20000 }\n'
                 'instance_group [ { kind: KIND_MODEL count: 2 } ]\n')

    # A plugin built against an older minor of the API serves; one whose Execute throws loads.
    for model, runtime in (("older_doubler", "testing_older_minor"), ("thrower", "testing_throwing_execute")):
        (path / model / "1").mkdir(parents=True)
        (path / model / "1" / "model.bin").write_text("any bytes")
        write_config(path / model, f'backend: "{runtime}"\nmax_batch_size: 4\n')

    # The example runtime with no config at all: found by its model.txt, config completed.
    (path / "example_no_config" / "1").mkdir(parents=True)
    shutil.copy(os.path.join(ps.RUNTIMES_SRC, "example", "models", "simple", "1", "model.txt"),
                path / "example_no_config" / "1")

    for model, (runtime, _) in BROKEN.items():
        (path / model / "1").mkdir(parents=True)
        (path / model / "1" / "model.bin").write_text("any bytes")
        write_config(path / model, f'backend: "{runtime}"\ndefault_model_filename: "model.bin"\n')

    # A TopsInference model: no plugin in the runtime folder serves its platform.
    (path / "resnet_enflame" / "1").mkdir(parents=True)
    (path / "resnet_enflame" / "1" / "model.exec").write_bytes(b"\0" * 64)
    write_config(path / "resnet_enflame", 'platform: "topsinference"\nmax_batch_size: 8\n')

    bad = ps.copy_example_simple(path, "example_bad_file")
    with open(os.path.join(bad, "1", "model.txt"), "w") as f:
        f.write("input INPUT0 INT32 16\noutput OUTPUT0 = INPUT0 + INPUT9\n")
    gpu = ps.copy_example_simple(path, "example_on_gpu")
    with open(os.path.join(gpu, "config.pbtxt"), "a") as f:
        f.write("instance_group [ { kind: KIND_GPU gpus: [ 0 ] } ]\n")
    return path


@pytest.fixture(scope="module")
def server(repo, runtime_dir, log_dir):
    srv = support.Server(repo, log_dir, name="plugins", extra_args=[f"--runtime_dir={runtime_dir}"]).start()
    yield srv
    assert srv.stop() == 0, f"server exit code after SIGTERM:\n{srv.log_tail()}"


def expected_reason(model, runtime_dir):
    runtime, cause = BROKEN[model]
    return f"runtime '{runtime}'", cause.format(dir=runtime_dir)


def test_good_models_serve_beside_broken_plugins(server):
    for protocol in support.PROTOCOLS:
        url = server.grpc_url if protocol == "grpc" else server.http_url
        support.check_simple(url, protocol, batch=2)
        a, b = support.simple_inputs(3, seed=5)
        out = support.infer(protocol, url, "simple_onnx", {"INPUT0": a, "INPUT1": b}, ["OUTPUT0", "OUTPUT1"])
        np.testing.assert_array_equal(out["OUTPUT0"], a + b)
        out = support.infer(protocol, url, "example_no_config", {"INPUT0": a[0], "INPUT1": b[0]}, ["OUTPUT1"])
        np.testing.assert_array_equal(out["OUTPUT1"], a[0] - b[0])


def test_good_test_plugin_serves_with_a_config_completed_from_it(server):
    x = np.arange(8, dtype=np.float32).reshape(2, 4) - 3.5
    out = support.infer("http_binary", server.http_url, "doubler", {"x": x}, ["y"])
    np.testing.assert_array_equal(out["y"], 2 * x)
    client = httpclient.InferenceServerClient(server.http_url)
    try:
        config = client.get_model_config("doubler")
    finally:
        client.close()
    assert config["backend"] == "testing_good"
    # dims are int64: JSON renders them as numbers or, as protobuf's JSON mapping does, strings.
    assert [(t["name"], t["data_type"], [int(d) for d in t["dims"]]) for t in config["input"]] == [
        ("x", "TYPE_FP32", [4])]


def test_a_device_runtime_serves_single_and_merged_batches_from_its_memory(server):
    # The plugin fails any batch whose input or output is not in its device memory, so
    # right answers mean the server placed them there: alone, and merged by the batcher.
    single = np.arange(8, dtype=np.float32).reshape(2, 4) - 2.5
    out = support.infer("http_binary", server.http_url, "plus_one", {"x": single}, ["y"])
    np.testing.assert_array_equal(out["y"], single + 1)

    xs = [np.arange(4 * n, dtype=np.float32).reshape(n, 4) * (i + 1) for i, n in enumerate((1, 2, 3, 1, 1))]
    client = grpcclient.InferenceServerClient(server.grpc_url)

    def infer(x):
        inp = grpcclient.InferInput("x", list(x.shape), "FP32")
        inp.set_data_from_numpy(x)
        return client.infer("plus_one", [inp]).as_numpy("y")

    try:
        with concurrent.futures.ThreadPoolExecutor(len(xs)) as pool:
            results = list(pool.map(infer, xs))
        stats = client.get_inference_statistics("plus_one", as_json=True)["model_stats"][0]
    finally:
        client.close()
    for x, y in zip(xs, results):
        np.testing.assert_array_equal(y, x + 1)
    # Requests that waited together in the 20 ms window ran as one batch.
    requests = int(stats["inference_stats"]["success"]["count"])
    assert requests == 1 + len(xs), stats
    assert int(stats["execution_count"]) < requests, stats


def test_index_names_the_plugin_and_the_cause(server, runtime_dir):
    index = ps.repository_index(server.http_url)
    for model in ("simple", "simple_onnx", "doubler", "example_no_config", "older_doubler", "thrower"):
        assert index[model]["state"] == "READY", index[model]
    for model in BROKEN:
        entry = index[model]
        assert entry["state"] == "UNAVAILABLE", entry
        for part in expected_reason(model, runtime_dir):
            assert part in entry["reason"], f"{model}: {part!r} not in {entry['reason']!r}"
    assert index["needs_wrong_major"]["reason"].split(": ", 1)[1] == index["needs_wrong_major_too"]["reason"].split(": ", 1)[1]
    enflame = index["resnet_enflame"]
    assert enflame["state"] == "UNAVAILABLE"
    assert "platform: no runtime serves 'topsinference'" in enflame["reason"], enflame
    assert f"the runtimes in {runtime_dir}: " in enflame["reason"]
    assert "onnxruntime (model.onnx, onnxruntime_onnx" in enflame["reason"]
    for model, reason in REFUSED_BY_EXAMPLE.items():
        assert index[model]["state"] == "UNAVAILABLE", index[model]
        assert reason in index[model]["reason"], index[model]


def test_broken_models_are_not_ready(server):
    http = httpclient.InferenceServerClient(server.http_url)
    grpc = grpcclient.InferenceServerClient(server.grpc_url)
    try:
        for model in [*BROKEN, "resnet_enflame", *REFUSED_BY_EXAMPLE]:
            assert not http.is_model_ready(model), model
            assert not grpc.is_model_ready(model), model
        assert http.is_model_ready("simple") and grpc.is_model_ready("simple")
        assert http.is_server_live() and grpc.is_server_live()
    finally:
        http.close()
        grpc.close()


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_inferring_on_a_broken_model_gives_its_reason(server, runtime_dir, protocol):
    url = server.grpc_url if protocol == "grpc" else server.http_url
    x = np.zeros((1, 16), dtype=np.int32)
    for model in BROKEN:
        with pytest.raises(InferenceServerException) as failure:
            support.infer(protocol, url, model, {"INPUT0": x, "INPUT1": x}, ["OUTPUT0"])
        message = str(failure.value)
        assert f"model '{model}'" in message and "UNAVAILABLE" in message, message
        for part in expected_reason(model, runtime_dir):
            assert part in message, f"{model}: {part!r} not in {message!r}"


def test_http_status_of_an_unavailable_model(server):
    body = {"inputs": [{"name": "x", "shape": [1], "datatype": "INT32", "data": [1]}]}
    r = support.http_request(server.http_url, "POST", "/v2/models/needs_no_entry/infer", body=body)
    assert r.status == 503, r
    assert "is not an Adlik runtime plugin" in r.error()


def test_log_names_each_refused_plugin(server, runtime_dir):
    log = server.log_text()
    for model in BROKEN:
        line = next((l for l in log.splitlines() if f"model '{model}'" in l and "UNAVAILABLE" in l), None)
        assert line is not None, f"no UNAVAILABLE line for {model} in the log"
        assert expected_reason(model, runtime_dir)[1] in line, line
    assert "runtime 'example' loaded from" in log
    assert "runtime 'testing_good' loaded from" in log


def test_a_plugin_of_an_older_minor_serves(server):
    x = np.arange(4, dtype=np.float32).reshape(1, 4)
    out = support.infer("grpc", server.grpc_url, "older_doubler", {"x": x}, ["y"])
    np.testing.assert_array_equal(out["y"], 2 * x)
    assert f"built for runtime API {MAJOR}.0" not in server.log_text()


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_an_exception_in_execute_fails_the_request_and_the_server_goes_on(server, protocol):
    url = server.grpc_url if protocol == "grpc" else server.http_url
    x = np.zeros((1, 4), dtype=np.float32)
    for _ in range(2):
        with pytest.raises(InferenceServerException) as failure:
            support.infer(protocol, url, "thrower", {"x": x}, ["y"])
        assert "Instance::Execute: the engine threw" in str(failure.value), str(failure.value)
    support.check_simple(url, protocol, batch=1)
