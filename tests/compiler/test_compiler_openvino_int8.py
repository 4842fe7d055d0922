"""Integration tests of adlik_compiler's OpenVINO IR target and its int8 passes: compile
the tiny classifier of test_compiler.py, serve the result with the real adlik_serving,
infer over HTTP and gRPC and compare with the source; the int8 accuracy report, the
limit that refuses a model which lost too much, and the errors of bad int8 requests.

The OpenVINO tests need a build with -DADLIK_WITH_OPENVINO=ON (its runtime plugin beside
the compiler); the NNCF one needs the Python package nncf (ADLIK_WITH_QUANTIZATION=1
scripts/setup.sh). They are skipped, saying so, otherwise.
"""

import importlib.util
import os
import re

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from test_compiler import classifier_model, compiler_binary, run_compiler, serve_and_compare


def has_openvino():
    return os.path.exists(os.path.join(os.path.dirname(compiler_binary()), "libadlik_runtime_openvino.so"))


needs_openvino = pytest.mark.skipif(
    not has_openvino(), reason="adlik_compiler built without OpenVINO (-DADLIK_WITH_OPENVINO=ON)")


@pytest.fixture(scope="module")
def source_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("source") / "classifier.onnx"
    model = classifier_model()
    onnx.save(model, str(path))
    return str(path), model


def linear_model(path):
    """Flatten + Gemm: logits [batch, 10] of FLOAT [batch, 3, 16, 16], whose top-1 follows
    every input value (the classifier's global pooling makes its top-1 nearly constant)."""
    rng = np.random.default_rng(3)
    graph = helper.make_graph(
        [helper.make_node("Flatten", ["input"], ["flat"], axis=1),
         helper.make_node("Gemm", ["flat", "w", "b"], ["logits"], transB=1)],
        "linear",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 16, 16])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])],
        initializer=[numpy_helper.from_array(rng.standard_normal((10, 768)).astype(np.float32), "w"),
                     numpy_helper.from_array(np.zeros(10, np.float32), "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return str(path)


def sample_folder(path, count, seed, scale=1.0):
    """`count` .npy samples [3, 16, 16], uniform in [-scale, scale)."""
    path.mkdir()
    rng = np.random.default_rng(seed)
    for i in range(count):
        np.save(path / f"{i:03d}.npy", rng.uniform(-scale, scale, (3, 16, 16)).astype(np.float32))
    return str(path)


def assert_served_times(report, runtime):
    """The report's served lines: both models timed through `runtime`'s plugin, and the
    ratios to the bare times, all positive numbers (times are never asserted)."""
    number = r"(\d+\.\d+)"
    served = re.search(rf"served \({runtime} plugin in-process, 1 thread, batch 1\): fp32 {number} ms, "
                       rf"int8 {number} ms per sample \(int8/fp32 {number}\)\s+served/bare: fp32 {number}, "
                       rf"int8 {number}", report)
    assert served, report
    assert all(float(v) > 0 for v in served.groups()), served.group(0)


def compile_args(path, export, *extra):
    return [f"--input_model={path}", "--model_name=classifier", f"--export_path={export}",
            "--max_batch_size=8", *extra]


@needs_openvino
@pytest.mark.parametrize("fp16", [False, True])
def test_openvino_ir_is_compiled_served_and_matches_the_source(source_model, tmp_path, log_dir, fp16):
    path, model = source_model
    export = tmp_path / "repo"
    result = run_compiler(*compile_args(path, export, "--serving_type=openvino",
                                        *(["--enable_fp16"] if fp16 else [])))
    assert result.returncode == 0, result.stderr
    want = "onnx -> openvino(fp16)" if fp16 else "onnx -> openvino"
    assert f"Compile path: {want}\n" in result.stdout
    assert "Numeric check (runtime openvino" in result.stdout and ": ok" in result.stdout
    version = export / "classifier" / "1"
    assert sorted(os.listdir(version)) == ["model.bin", "model.xml"]
    assert 'backend: "openvino"' in (export / "classifier" / "config.pbtxt").read_text()
    # fp16 weights take half the bytes: 8*3*9 + 8*8*9 + 10*8 + biases, 4 or 2 bytes each.
    weights = (8 * 3 * 9 + 8 + 8 * 8 * 9 + 8 + 10 * 8 + 10)
    assert os.path.getsize(version / "model.bin") >= weights * (2 if fp16 else 4)
    assert os.path.getsize(version / "model.bin") < weights * (3 if fp16 else 5)
    serve_and_compare(export, log_dir, model, batch=3, rel_tolerance=2e-2 if fp16 else 1e-5)


def test_int8_onnx_prints_the_report_and_serves(source_model, tmp_path, log_dir):
    path, model = source_model
    calibration = sample_folder(tmp_path / "calibration", 16, seed=1)
    validation = sample_folder(tmp_path / "validation", 24, seed=2)
    labels = tmp_path / "labels.txt"
    labels.write_text("".join(f"{i:03d}.npy {i % 10}\n" for i in range(12)))
    export = tmp_path / "repo"
    result = run_compiler(*compile_args(path, export, "--enable_int8", f"--calibration_dataset={calibration}",
                                        f"--validation_dataset={validation}", f"--validation_labels={labels}",
                                        "--max_accuracy_loss=30"))
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Compile path: onnx -> onnx(int8) -> onnxruntime\n" in result.stdout
    assert "calibrated on 16 samples, validated on 24" in result.stdout
    assert "top-1 agreement with fp32" in result.stdout
    assert "top-1 accuracy on 12 labelled" in result.stdout
    assert "int8/fp32" in result.stdout
    assert_served_times(result.stdout, "onnxruntime")
    compiled = onnx.load(str(export / "classifier" / "1" / "model.onnx"))
    ops = {n.op_type for n in compiled.graph.node}
    assert "QuantizeLinear" in ops or "QLinearConv" in ops, ops
    serve_and_compare(export, log_dir, model, batch=2, rel_tolerance=0.1)


def test_int8_refuses_a_model_that_lost_too_much(tmp_path):
    path = linear_model(tmp_path / "linear.onnx")
    # Calibrated on inputs a thousand times smaller than those it is judged on: the
    # activations saturate and the top-1 choice no longer follows the fp32 model's.
    calibration = sample_folder(tmp_path / "calibration", 8, seed=1, scale=1e-3)
    validation = sample_folder(tmp_path / "validation", 40, seed=2)
    export = tmp_path / "repo"
    result = run_compiler(*compile_args(path, export, "--enable_int8", f"--calibration_dataset={calibration}",
                                        f"--validation_dataset={validation}", "--numeric_check=false"))
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "above max_accuracy_loss 1" in result.stderr
    assert "top-1 agreement with fp32" in result.stderr, "the report is still shown"
    assert_served_times(result.stderr, "onnxruntime")
    assert not (export / "classifier").exists(), "nothing is written"


def test_image_samples_are_resized_then_centre_cropped(tmp_path):
    """A 64x32 image for a 16x16 input: its shorter side becomes 16 / 0.875 = 18, then the
    centre 16x16 is kept, so the red bands at the left and right ends are cut off."""
    from PIL import Image

    spec = importlib.util.spec_from_file_location(
        "adlik_quantize", os.path.join(os.path.dirname(__file__), "..", "..", "compiler", "quantize",
                                       "adlik_quantize.py"))
    quantize = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(quantize)
    pixels = np.zeros((32, 64, 3), np.uint8)
    pixels[:, :, 1] = 200
    pixels[:, :12] = pixels[:, -12:] = (250, 0, 0)
    Image.fromarray(pixels).save(tmp_path / "bands.png")

    class Args:
        layout, mean, std = "nchw", 100.0, 50.0

    x = quantize.image(str(tmp_path / "bands.png"), ["batch", 3, 16, 16], Args)
    assert x.shape == (1, 3, 16, 16)
    np.testing.assert_allclose(x[0, 0], (0 - 100) / 50, atol=1e-6)  # no red left
    np.testing.assert_allclose(x[0, 1], (200 - 100) / 50, atol=1e-6)
    Args.layout = "nhwc"
    assert quantize.image(str(tmp_path / "bands.png"), ["batch", 16, 16, 3], Args).shape == (1, 16, 16, 3)


@pytest.mark.parametrize(
    "extra, code, message",
    [
        (["--enable_int8"], 2, "key 'enable_int8': needs 'calibration_dataset'"),
        (["--calibration_dataset=CAL"], 2, "key 'calibration_dataset': needs enable_int8"),
        (["--enable_int8", "--enable_fp16", "--calibration_dataset=CAL", "--validation_dataset=CAL"], 2,
         "'enable_int8' and 'enable_fp16' exclude each other"),
        (["--enable_int8", "--calibration_dataset=NOWHERE", "--validation_dataset=CAL"], 2,
         "key 'calibration_dataset': 'NOWHERE' is not a folder"),
        (["--enable_int8", "--calibration_dataset=CAL", "--validation_dataset=CAL", "--max_accuracy_loss=101"], 2,
         "key 'max_accuracy_loss': must be in [0, 100]"),
        (["--enable_int8", "--calibration_dataset=BAD", "--validation_dataset=CAL"], 1,
         "notes.txt: not a sample (.npy, .npz or an image"),
        (["--enable_int8", "--calibration_dataset=WRONG", "--validation_dataset=CAL"], 1,
         "shape [5] does not fit the input's"),
        (["--enable_int8", "--calibration_dataset=CAL", "--validation_dataset=CAL", "--validation_labels=LABELS"], 1,
         "expected 'FILE LABEL' (a class index)"),
    ],
)
def test_bad_int8_requests_name_the_problem(source_model, tmp_path, extra, code, message):
    path, _ = source_model
    folders = {"CAL": sample_folder(tmp_path / "cal", 2, seed=1), "NOWHERE": str(tmp_path / "nowhere")}
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "notes.txt").write_text("not a tensor")
    folders["BAD"] = str(tmp_path / "bad")
    (tmp_path / "wrong").mkdir()
    np.save(tmp_path / "wrong" / "a.npy", np.zeros(5, np.float32))
    folders["WRONG"] = str(tmp_path / "wrong")
    (tmp_path / "labels.txt").write_text("000.npy cat\n")
    folders["LABELS"] = str(tmp_path / "labels.txt")
    args = [a.split("=")[0] + "=" + folders.get(a.split("=")[1], a.split("=")[1]) if "=" in a else a for a in extra]
    message = message.replace("NOWHERE", folders["NOWHERE"])
    export = tmp_path / "repo"
    result = run_compiler(*compile_args(path, export, *args))
    assert result.returncode == code, (result.stdout, result.stderr)
    assert message in result.stderr
    assert not (export / "classifier").exists()


@needs_openvino
@pytest.mark.skipif(importlib.util.find_spec("nncf") is None,
                    reason="the Python package nncf is not installed (ADLIK_WITH_QUANTIZATION=1 scripts/setup.sh)")
def test_int8_openvino_through_nncf(source_model, tmp_path, log_dir):
    path, model = source_model
    calibration = sample_folder(tmp_path / "calibration", 16, seed=1)
    validation = sample_folder(tmp_path / "validation", 24, seed=2)
    export = tmp_path / "repo"
    result = run_compiler(*compile_args(path, export, "--serving_type=openvino", "--enable_int8",
                                        f"--calibration_dataset={calibration}", f"--validation_dataset={validation}",
                                        "--max_accuracy_loss=30"))
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Compile path: onnx -> openvino -> openvino(int8)\n" in result.stdout
    assert "int8 (NNCF), calibrated on 16 samples, validated on 24" in result.stdout
    assert_served_times(result.stdout, "openvino")
    xml = (export / "classifier" / "1" / "model.xml").read_text()
    assert "FakeQuantize" in xml
    serve_and_compare(export, log_dir, model, batch=2, rel_tolerance=0.1)
