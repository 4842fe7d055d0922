"""adlik_compiler --serving_type=tvm end to end: an ONNX classifier (random weights) is
compiled by TVM into model.so, numerically checked through the TVM runtime plugin against
ONNX Runtime on the source, served by adlik_serving with dynamic batching, and compared with
the ONNX reference evaluator over HTTP and gRPC. Needs the TVM runtime plugin
(-DADLIK_WITH_TVM=ON) and TVM's Python package (ADLIK_WITH_TVM=1 scripts/setup.sh).
"""

import os
import subprocess

import onnx
import pytest

import test_compiler as tc

PLUGIN = os.path.join(os.path.dirname(tc.compiler_binary()), "libadlik_runtime_tvm.so")
if not os.path.exists(PLUGIN):
    if os.environ.get("ADLIK_WITH_TVM") == "1":
        raise RuntimeError(f"ADLIK_WITH_TVM=1 but {PLUGIN} was not built (-DADLIK_WITH_TVM=ON)")
    pytest.skip("the TVM runtime is not built (-DADLIK_WITH_TVM=ON)", allow_module_level=True)


def test_onnx_to_tvm_compiles_checks_and_serves(tmp_path):
    source = tmp_path / "classifier.onnx"
    model = tc.classifier_model()
    onnx.save(model, str(source))
    export = tmp_path / "repo"
    result = tc.run_compiler(f"--input_model={source}", "--model_name=classifier", f"--export_path={export}",
                             "--max_batch_size=8", "--serving_type=tvm", "--dynamic_batching")
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Compile path: onnx -> tvm" in result.stdout, result.stdout
    assert "TVM library for this machine's CPU" in result.stdout, result.stdout
    assert "Numeric check (runtime tvm" in result.stdout and ": ok" in result.stdout, result.stdout
    assert (export / "classifier" / "1" / "model.so").is_file()
    config = (export / "classifier" / "config.pbtxt").read_text()
    assert 'backend: "tvm"' in config and "max_batch_size: 8" in config, config
    assert 'name: "input"' in config and 'name: "probs"' in config, config
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    tc.serve_and_compare(export, log_dir, model, batch=3, rel_tolerance=1e-5)


def test_without_tvms_python_package_the_error_names_it(tmp_path):
    """python3 on PATH is one that cannot import tvm."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text("#!/bin/sh\nPYTHONNOUSERSITE=1 exec /usr/bin/python3 -S \"$@\"\n")
    (fake / "python3").chmod(0o755)
    source = tmp_path / "classifier.onnx"
    onnx.save(tc.classifier_model(), str(source))
    env = dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}")
    result = subprocess.run([tc.compiler_binary(), f"--input_model={source}", "--model_name=classifier",
                             f"--export_path={tmp_path / 'repo'}", "--max_batch_size=8", "--serving_type=tvm"],
                            capture_output=True, text=True, timeout=tc.COMPILE_TIMEOUT_S, env=env)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "the Python package apache-tvm (with onnx) is not importable" in result.stderr, result.stderr
    assert not (tmp_path / "repo" / "classifier").exists()
