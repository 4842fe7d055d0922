"""Integration tests of adlik_compiler: compile tiny ONNX models, serve the export folder
with the real adlik_serving, infer with tritonclient over HTTP and gRPC, and compare with
the source model run by the ONNX reference evaluator. Also the failures a user meets:
a missing file, a file that is not ONNX, a target without its SDK, a wrong request.

Binaries: build/bin/adlik_compiler and build/bin/adlik_serving, or the paths in
ADLIK_COMPILER and ADLIK_SERVING.
"""

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import support  # noqa: E402  (shared server helpers of the integration tests)

COMPILE_TIMEOUT_S = 120


def compiler_binary():
    return os.environ.get("ADLIK_COMPILER", os.path.join(support.ROOT, "build", "bin", "adlik_compiler"))


def run_compiler(*args):
    binary = compiler_binary()
    if not os.access(binary, os.X_OK):
        raise RuntimeError(f"compiler binary {binary} not found (build it, or set ADLIK_COMPILER)")
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S)


def classifier_model(seed=7, size=16, classes=10):
    """Conv+Relu, Conv+Relu, GlobalAveragePool, Flatten, Gemm on FLOAT [batch, 3, size, size];
    outputs logits [batch, classes] and probs = Softmax(logits)."""
    rng = np.random.default_rng(seed)

    def weights(name, shape, scale):
        return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)

    conv = dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], strides=[2, 2], **conv),
            helper.make_node("Relu", ["c1"], ["r1"]),
            helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], **conv),
            helper.make_node("Relu", ["c2"], ["r2"]),
            helper.make_node("GlobalAveragePool", ["r2"], ["pool"]),
            helper.make_node("Flatten", ["pool"], ["flat"], axis=1),
            helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], transB=1),
            helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
        ],
        "classifier",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, size, size])],
        [
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", classes]),
            helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", classes]),
        ],
        initializer=[
            weights("w1", (8, 3, 3, 3), 0.4),
            weights("b1", (8,), 0.1),
            weights("w2", (8, 8, 3, 3), 0.2),
            weights("b2", (8,), 0.1),
            weights("fc_w", (classes, 8), 0.5),
            weights("fc_b", (classes,), 0.1),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


@pytest.fixture(scope="module")
def source_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("source") / "classifier.onnx"
    model = classifier_model()
    onnx.save(model, str(path))
    return str(path), model


@pytest.fixture
def log_dir(tmp_path):
    path = tmp_path / "logs"
    path.mkdir()
    return path


def reference_outputs(model, x):
    logits, probs = ReferenceEvaluator(model).run(None, {"input": x})
    return {"logits": logits, "probs": probs}


def assert_close(served, expected, rel_tolerance, dtype=np.float32):
    """Largest error relative to the largest magnitude of the expected output."""
    for name, want in expected.items():
        got = served[name]
        assert got.shape == want.shape, (name, got.shape, want.shape)
        assert got.dtype == dtype, (name, got.dtype)
        error = np.max(np.abs(got.astype(np.float64) - want)) / np.max(np.abs(want))
        assert error <= rel_tolerance, f"{name}: relative error {error:.3g} > {rel_tolerance}"


def serve_and_compare(export, log_dir, model, batch, rel_tolerance, dtype=np.float32):
    """Serves `export`, infers over HTTP and gRPC in `dtype` and compares with the source."""
    server = support.Server(export, log_dir, name="compiled").start()
    try:
        x = np.random.default_rng(11).uniform(-1, 1, size=(batch, 3, 16, 16)).astype(dtype)
        expected = reference_outputs(model, x.astype(np.float32))
        for protocol in ("http_binary", "grpc"):
            url = server.grpc_url if protocol == "grpc" else server.http_url
            served = support.infer(protocol, url, "classifier", {"input": x}, ["logits", "probs"])
            assert_close(served, expected, rel_tolerance, dtype)
    finally:
        code = server.stop()
    assert code == 0, server.log_tail()


def test_compiled_fp32_model_serves_what_the_source_computes(source_model, tmp_path, log_dir):
    path, model = source_model
    export = tmp_path / "repo"
    result = run_compiler(
        f"--input_model={path}", "--model_name=classifier", f"--export_path={export}", "--max_batch_size=8"
    )
    assert result.returncode == 0, result.stderr
    assert "Compile path: onnx -> onnxruntime" in result.stdout
    assert "Numeric check" in result.stdout and ": ok" in result.stdout
    assert (export / "classifier" / "1" / "model.onnx").is_file()
    config = (export / "classifier" / "config.pbtxt").read_text()
    assert 'backend: "onnxruntime"' in config
    assert "max_batch_size: 8" in config
    with zipfile.ZipFile(export / "classifier_1.zip") as z:
        assert sorted(z.namelist()) == ["1/model.onnx", "config.pbtxt"]
        assert z.read("config.pbtxt").decode() == config
    serve_and_compare(export, log_dir, model, batch=3, rel_tolerance=1e-5)


def test_static_fp16_model_with_serving_options(source_model, tmp_path, log_dir):
    path, model = source_model
    export = tmp_path / "repo"
    request = tmp_path / "request.json"
    request.write_text(
        json.dumps(
            {
                "input_model": path,
                "model_name": "classifier",
                "export_path": str(export),
                "max_batch_size": 4,
                "version": 3,
                "enable_fp16": True,
                "static_shapes": True,
                "input_formats": ["channels_first"],
                "preferred_batch_size": [4],
                "max_queue_delay_microseconds": 2000,
                "instance_count": 2,
                "instance_kind": "cpu",
            }
        )
    )
    result = run_compiler(f"--request={request}")
    assert result.returncode == 0, result.stderr
    assert "Compile path: onnx -> onnx(static) -> onnx(fp16) -> onnxruntime" in result.stdout
    assert "[2/3] fp16" in result.stdout
    assert "max rel error" in result.stdout and "(tolerance 0.02): ok" in result.stdout
    config = (export / "classifier" / "config.pbtxt").read_text()
    for text in ("format: FORMAT_NCHW", "dynamic_batching", "preferred_batch_size: 4",
                 "max_queue_delay_microseconds: 2000", "count: 2", "kind: KIND_CPU"):
        assert text in config, config
    with zipfile.ZipFile(export / "classifier_3.zip") as z:
        assert sorted(z.namelist()) == ["3/model.onnx", "config.pbtxt"]
    compiled = onnx.load(str(export / "classifier" / "3" / "model.onnx"))
    assert compiled.graph.input[0].type.tensor_type.elem_type == TensorProto.FLOAT, "interface stays fp32"
    assert [d.dim_value for d in compiled.graph.input[0].type.tensor_type.shape.dim] == [4, 3, 16, 16]
    assert any(t.data_type == TensorProto.FLOAT16 for t in compiled.graph.initializer)
    # A static model runs at its full batch.
    serve_and_compare(export, log_dir, model, batch=4, rel_tolerance=2e-2)


def test_fp16_interface_when_not_keeping_io_types(source_model, tmp_path, log_dir):
    path, model = source_model
    export = tmp_path / "repo"
    result = run_compiler(
        f"--input_model={path}", "--model_name=classifier", f"--export_path={export}", "--max_batch_size=8",
        "--serving_type=onnx", "--enable_fp16", "--keep_io_types=false",
    )
    assert result.returncode == 0, result.stderr
    assert "Compile path: onnx -> onnx(fp16)" in result.stdout
    config = (export / "classifier" / "config.pbtxt").read_text()
    assert config.count("data_type: TYPE_FP16") == 3, config
    serve_and_compare(export, log_dir, model, batch=2, rel_tolerance=2e-2, dtype=np.float16)


def test_next_version_is_the_next_free_number(source_model, tmp_path):
    path, _ = source_model
    export = tmp_path / "repo"
    args = [f"--input_model={path}", "--model_name=classifier", f"--export_path={export}", "--max_batch_size=2",
            "--serving_type=onnx"]
    assert run_compiler(*args).returncode == 0
    second = run_compiler(*args)
    assert second.returncode == 0, second.stderr
    assert (export / "classifier" / "2" / "model.onnx").is_file()
    assert (export / "classifier_2.zip").is_file()
    again = run_compiler(*args, "--version=2")
    assert again.returncode != 0
    assert "version 2 of 'classifier' exists already" in again.stderr


@pytest.mark.parametrize(
    "extra, make_input, code, message",
    [
        ([], "missing", 1, "no such file"),
        ([], "not_onnx", 1, "not an ONNX model"),
        (["--serving_type=topsinference"], "good", 1, "TopsInference SDK"),
        (["--serving_type=tensorrt"], "good", 1, "NVIDIA TensorRT"),
        (["--serving_type=tpu"], "good", 2, "serving_type 'tpu' is not a known target"),
        (["--colour=red"], "good", 2, "unknown flag --colour"),
        (["--max_batch_size=many"], "good", 2, "--max_batch_size=many: expected an integer"),
        (["--input_shapes=input:1x3x16x16"], "good", 1, "must be max_batch_size (8), got 1"),
        (["--enable_fp16", "--tolerance=0"], "good", 1, "numeric check failed"),
    ],
)
def test_failures_exit_non_zero_and_name_the_problem(source_model, tmp_path, extra, make_input, code, message):
    path, _ = source_model
    if make_input == "missing":
        path = str(tmp_path / "nowhere.onnx")
    elif make_input == "not_onnx":
        path = str(tmp_path / "garbage.onnx")
        with open(path, "wb") as f:
            f.write(b"this is not an ONNX model\x00\xff\xfe\x01" * 16)
    export = tmp_path / "repo"
    result = run_compiler(
        f"--input_model={path}", "--model_name=classifier", f"--export_path={export}", "--max_batch_size=8", *extra
    )
    assert result.returncode == code, (result.stdout, result.stderr)
    assert message in result.stderr
    assert not (export / "classifier").exists(), "nothing is written on failure"


def test_list_passes_shows_the_graph_and_what_is_missing():
    result = run_compiler("--list_passes")
    assert result.returncode == 0
    for text in ("fix_shapes", "onnx -> onnx(static)", "fp16", "ort_optimize", "onnx -> onnxruntime",
                 "topsinference_build", "onnx(static) -> topsinference", "tensorrt_build",
                 "unavailable: needs NVIDIA TensorRT"):
        assert text in result.stdout, result.stdout
