"""adlik_compiler on every source format it converts: a small model made here with its
framework (random or fitted weights), compiled, served by the real adlik_serving, and
its served outputs compared with what the framework itself computes.

PyTorch runs in ADLIK_TORCH_PYTHON (default /usr/bin/python3, Debian's python3-torch),
TensorFlow in a python3 subprocess; the tree libraries in this process. A path the
compiler cannot take on this machine (a framework or converter not installed) is
skipped with the compiler's own reason (adlik_compiler --list_paths).
"""

import json
import os
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import numpy as np
import onnx
import pytest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import support  # noqa: E402
from test_compiler import run_compiler  # noqa: E402

TORCH_PYTHON = os.environ.get("ADLIK_TORCH_PYTHON", "/usr/bin/python3")
MAKE_TIMEOUT_S = 300
# The start of a framework script: a small CNN, image [N, 3, 8, 8] -> (logits [N, 5],
# their softmax), traced as `net`; the script goes on from there.
TORCH_CONV_NET = textwrap.dedent(
    """
    import sys, numpy as np, torch
    torch.manual_seed(0)
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 4, 3)
            self.fc = torch.nn.Linear(4, 5)
        def forward(self, image):
            y = self.fc(torch.relu(self.conv(image)).mean(dim=(2, 3)))
            return y, torch.softmax(y, 1)
    net = torch.jit.trace(Net().eval(), torch.zeros(1, 3, 8, 8))
    """
)


def require_path(fmt, target="onnxruntime"):
    """The path the compiler takes from `fmt` to `target` here; skips, with the compiler's
    reason, when it cannot reach it (a framework or converter not installed)."""
    listing = run_compiler(f"--list_paths={fmt}")
    assert listing.returncode == 0, listing.stderr
    line = next(l for l in listing.stdout.splitlines() if l.strip().startswith(target + " "))
    if "unreachable" in line:
        pytest.skip(line.split("unreachable:", 1)[1].strip())
    return line.split(None, 1)[1].strip()


def framework(python, code, *args):
    """Runs `code` (a script: makes a model, or runs one) with argv = args."""
    done = subprocess.run(
        [python, "-c", textwrap.dedent(code), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=MAKE_TIMEOUT_S,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert done.returncode == 0, done.stderr[-3000:]


def compile_and_serve(tmp_path, source, inputs, outputs, expected, *flags, rel_tolerance=1e-5):
    """Compiles `source` as model "m", serves it, infers `inputs` over HTTP and gRPC and
    compares `outputs` with `expected` (name -> array)."""
    export = tmp_path / "repo"
    result = run_compiler(
        f"--input_model={source}", "--model_name=m", f"--export_path={export}", *flags
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Numeric check" in result.stdout and ": ok" in result.stdout, result.stdout
    serve_and_compare(tmp_path, export, [("m", inputs, {n: expected[n] for n in outputs})], rel_tolerance)
    return result


def serve_and_compare(tmp_path, export, cases, rel_tolerance=1e-5):
    """Serves the repository `export` and, for each (model, inputs, expected) of `cases`,
    infers `inputs` over HTTP and gRPC and compares the outputs `expected` names with it
    (name -> array)."""
    logs = tmp_path / "logs"
    logs.mkdir()
    server = support.Server(export, logs, name="compiled").start()
    try:
        for model, inputs, expected in cases:
            for protocol in ("http_binary", "grpc"):
                url = server.grpc_url if protocol == "grpc" else server.http_url
                served = support.infer(protocol, url, model, inputs, list(expected))
                for name, want in expected.items():
                    got, want = served[name], np.asarray(want)
                    assert got.shape == want.shape, (model, name, got.shape, want.shape)
                    scale = max(np.max(np.abs(want)), 1e-12)
                    error = np.max(np.abs(got.astype(np.float64) - want)) / scale
                    assert error <= rel_tolerance, f"{model} {name}: relative error {error:.3g}"
    finally:
        code = server.stop()
    assert code == 0, server.log_tail()


def test_torchscript_traced_file(tmp_path):
    require_path("torchscript")
    x = np.random.default_rng(1).uniform(-1, 1, (2, 3, 8, 8)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    framework(
        TORCH_PYTHON,
        TORCH_CONV_NET
        + textwrap.dedent(
            """
        net.save(sys.argv[1])
        with torch.no_grad():
            logits, probs = net(torch.from_numpy(np.load(sys.argv[2])))
        np.save(sys.argv[3], logits.numpy()); np.save(sys.argv[4], probs.numpy())
        """
        ),
        tmp_path / "net.pt", tmp_path / "x.npy", tmp_path / "logits.npy", tmp_path / "probs.npy",
    )
    expected = {"logits": np.load(tmp_path / "logits.npy"), "probs": np.load(tmp_path / "probs.npy")}
    result = compile_and_serve(
        tmp_path, tmp_path / "net.pt", {"image": x}, ["logits", "probs"], expected,
        "--max_batch_size=2", "--input_shapes=image:2x3x8x8", "--output_names=logits,probs",
    )
    assert "Compile path: torchscript -> onnx -> onnx(static) -> onnxruntime" in result.stdout


def test_torchscript_without_input_shapes_names_the_key(tmp_path):
    require_path("torchscript")
    framework(
        TORCH_PYTHON,
        """
        import sys, torch
        torch.jit.trace(torch.nn.Linear(4, 2).eval(), torch.zeros(1, 4)).save(sys.argv[1])
        """,
        tmp_path / "lin.pt",
    )
    result = run_compiler(
        f"--input_model={tmp_path / 'lin.pt'}", "--model_name=m", f"--export_path={tmp_path}/r",
        "--max_batch_size=1",
    )
    assert result.returncode == 1
    assert "input_shapes has no shape for input(s) input:" in result.stderr, result.stderr
    assert "no signature.txt" in result.stderr and "torchscript_to_onnx.py" in result.stderr


def test_torchscript_signature_file_gives_the_shapes(tmp_path):
    """A traced file saved with the LibTorch runtime's signature.txt compiles with the
    required keys only: shapes, element types and names from the signature."""
    require_path("torchscript")
    x = np.random.default_rng(2).uniform(-1, 1, (3, 4)).astype(np.float32)
    steps = np.arange(15, dtype=np.int64).reshape(3, 5)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "steps.npy", steps)
    framework(
        TORCH_PYTHON,
        """
        import sys, numpy as np, torch
        torch.manual_seed(0)
        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = torch.nn.Linear(4, 3)
            def forward(self, x, n):
                return torch.tanh(self.fc(x)), n * 2 + 1
        net = torch.jit.trace(Net().eval(), (torch.zeros(2, 4), torch.zeros(2, 5, dtype=torch.int64)))
        signature = (
            "input features FP32 -1 4\\ninput steps INT64 -1 5\\n"
            "output scores FP32 -1 3  # tanh\\noutput next INT64 -1 5\\n"
        )
        torch.jit.save(net, sys.argv[1], _extra_files={"signature.txt": signature})
        with torch.no_grad():
            scores, after = net(torch.from_numpy(np.load(sys.argv[2])), torch.from_numpy(np.load(sys.argv[3])))
        np.save(sys.argv[4], scores.numpy()); np.save(sys.argv[5], after.numpy())
        """,
        tmp_path / "net.pt", tmp_path / "x.npy", tmp_path / "steps.npy",
        tmp_path / "scores.npy", tmp_path / "next.npy",
    )
    expected = {"scores": np.load(tmp_path / "scores.npy"), "next": np.load(tmp_path / "next.npy")}
    result = compile_and_serve(
        tmp_path, tmp_path / "net.pt", {"features": x, "steps": steps}, ["scores", "next"],
        expected, "--max_batch_size=4",
    )
    assert "Compile path: torchscript -> onnx -> onnxruntime" in result.stdout
    config = (tmp_path / "repo" / "m" / "config.pbtxt").read_text()
    assert "TYPE_INT64" in config and "TYPE_FP32" in config, config


TF_MODEL = """
    import sys, numpy as np, tensorflow as tf
    w = tf.Variable(np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32))
    module = tf.Module()
    module.w = w
    @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32, name="features")])
    def serve(features):
        y = tf.matmul(features, module.w)
        return {"scores": y, "probs": tf.nn.softmax(y)}
    module.serve = serve
    tf.saved_model.save(module, sys.argv[1], signatures={"serving_default": serve})
    x = np.load(sys.argv[2])
    out = serve(tf.constant(x))
    np.save(sys.argv[3], out["scores"].numpy()); np.save(sys.argv[4], out["probs"].numpy())
    if len(sys.argv) > 5:
        converter = tf.lite.TFLiteConverter.from_saved_model(sys.argv[1])
        open(sys.argv[5], "wb").write(converter.convert())
"""


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    require_path("tensorflow")
    d = tmp_path_factory.mktemp("tf")
    x = np.random.default_rng(2).uniform(-1, 1, (3, 6)).astype(np.float32)
    np.save(d / "x.npy", x)
    framework("python3", TF_MODEL, d / "sm", d / "x.npy", d / "scores.npy", d / "probs.npy", d / "m.tflite")
    return d, x


def test_tensorflow_saved_model(saved_model, tmp_path):
    d, x = saved_model
    expected = {"scores": np.load(d / "scores.npy"), "probs": np.load(d / "probs.npy")}
    result = compile_and_serve(
        tmp_path, d / "sm", {"features": x}, ["scores", "probs"], expected, "--max_batch_size=4"
    )
    assert "Compile path: tensorflow -> onnx -> onnxruntime" in result.stdout


def test_saved_model_unknown_signature_is_named(saved_model, tmp_path):
    d, _ = saved_model
    result = run_compiler(
        f"--input_model={d / 'sm'}", "--model_name=m", f"--export_path={tmp_path}",
        "--max_batch_size=4", "--signature_keys=predict",
    )
    assert result.returncode == 1
    assert "no signature 'predict'" in result.stderr and "serving_default" in result.stderr


def test_tflite(saved_model, tmp_path):
    require_path("tflite")
    d, x = saved_model
    # The TFLite converter names the tensors; the outputs are the signature's, in order.
    expected = {"StatefulPartitionedCall:0": np.load(d / "probs.npy"),
                "StatefulPartitionedCall:1": np.load(d / "scores.npy")}
    result = compile_and_serve(
        tmp_path, d / "m.tflite", {"serving_default_features:0": x}, list(expected), expected,
        "--max_batch_size=4", rel_tolerance=1e-5,
    )
    assert "Compile path: tflite -> onnx -> onnxruntime" in result.stdout


def test_tf_keras_h5(tmp_path):
    require_path("keras")
    x = np.random.default_rng(3).uniform(-1, 1, (3, 6)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    framework(
        "python3",
        """
        import sys, numpy as np, tf_keras as keras
        keras.utils.set_random_seed(0)
        model = keras.Sequential([
            keras.layers.Dense(5, activation="relu", input_shape=(6,), name="hidden"),
            keras.layers.Dense(3, name="scores"),
        ])
        model.save(sys.argv[1])
        np.save(sys.argv[3], model(np.load(sys.argv[2])).numpy())
        """,
        tmp_path / "m.h5", tmp_path / "x.npy", tmp_path / "scores.npy",
    )
    expected = {"scores": np.load(tmp_path / "scores.npy")}
    result = compile_and_serve(
        tmp_path, tmp_path / "m.h5", {"hidden_input": x}, ["scores"], expected, "--max_batch_size=4"
    )
    assert "Compile path: keras -> onnx -> onnxruntime" in result.stdout


def tree_data():
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, (200, 5)).astype(np.float32)
    return x, (x[:, 0] + x[:, 1] > 0).astype(np.int64)


def test_sklearn_classifier(tmp_path):
    require_path("sklearn")
    import joblib
    from sklearn.ensemble import RandomForestClassifier

    x, y = tree_data()
    model = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(x, y)
    joblib.dump(model, tmp_path / "rf.joblib")
    probe = x[:3]
    expected = {"label": model.predict(probe), "probabilities": model.predict_proba(probe)}
    result = compile_and_serve(
        tmp_path, tmp_path / "rf.joblib", {"input": probe}, ["label", "probabilities"], expected,
        "--max_batch_size=4",
    )
    assert "Compile path: sklearn -> onnx -> onnxruntime" in result.stdout


def test_xgboost_json(tmp_path):
    require_path("xgboost")
    import xgboost as xgb

    x, y = tree_data()
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3}, xgb.DMatrix(x, label=y), 5)
    booster.save_model(tmp_path / "m.json")
    probe = x[:3]
    p = booster.predict(xgb.DMatrix(probe))
    expected = {"probabilities": np.stack([1 - p, p], axis=1)}
    result = compile_and_serve(
        tmp_path, tmp_path / "m.json", {"input": probe}, ["probabilities"], expected, "--max_batch_size=4"
    )
    assert "Compile path: xgboost -> onnx -> onnxruntime" in result.stdout


def test_lightgbm_text(tmp_path):
    require_path("lightgbm")
    import lightgbm as lgb

    x, _ = tree_data()
    booster = lgb.train(
        {"objective": "regression", "num_leaves": 4, "verbose": -1}, lgb.Dataset(x, label=2 * x[:, 0]), 5
    )
    booster.save_model(tmp_path / "model.txt")
    probe = x[:3]
    expected = {"variable": booster.predict(probe).reshape(-1, 1)}
    result = compile_and_serve(
        tmp_path, tmp_path / "model.txt", {"input": probe}, ["variable"], expected, "--max_batch_size=4"
    )
    assert "Compile path: lightgbm -> onnx -> onnxruntime" in result.stdout


def test_paddle(tmp_path):
    require_path("paddle")
    x = np.random.default_rng(5).uniform(-1, 1, (2, 6)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    framework(
        "python3",
        """
        import sys, numpy as np, paddle
        paddle.seed(0)
        net = paddle.nn.Linear(6, 3)
        net.eval()
        spec = [paddle.static.InputSpec([None, 6], "float32", "x")]
        paddle.jit.save(net, sys.argv[1] + "/model", input_spec=spec)
        np.save(sys.argv[3], net(paddle.to_tensor(np.load(sys.argv[2]))).numpy())
        """,
        tmp_path, tmp_path / "x.npy", tmp_path / "y.npy",
    )
    result = run_compiler(
        f"--input_model={tmp_path / 'model.pdmodel'}", "--model_name=m",
        f"--export_path={tmp_path / 'repo'}", "--max_batch_size=4",
    )
    assert result.returncode == 0, result.stderr
    assert "Compile path: paddle -> onnx -> onnxruntime" in result.stdout
    # paddle2onnx keeps Paddle's tensor names: the input spec's, and a generated output's.
    output = onnx.load(tmp_path / "repo" / "m" / "1" / "model.onnx").graph.output[0].name
    serve_and_compare(tmp_path, tmp_path / "repo", [("m", {"x": x}, {output: np.load(tmp_path / "y.npy")})])


def test_list_paths_names_what_is_missing(tmp_path):
    result = run_compiler("--list_paths=paddle", "--python=/nonexistent/python3")
    assert result.returncode == 0, result.stderr
    assert "From paddle:" in result.stdout
    assert "unreachable" in result.stdout and "/nonexistent/python3" in result.stdout
    bad = run_compiler("--list_paths=nothing_such")
    assert bad.returncode == 2 and "neither a model file" in bad.stderr


def torchscript_converter():
    """compiler/converters/torchscript_to_onnx.py, imported here (it imports torch lazily)."""
    sys.path.insert(0, os.path.join(support.ROOT, "compiler", "converters"))
    import torchscript_to_onnx

    return torchscript_to_onnx


def test_torchscript_signature_is_read_as_the_libtorch_runtime_reads_it():
    ts = torchscript_converter()
    inputs, outputs = ts.parse_signature(
        "# net\ninput image FP32 -1 3 8 8\n\ninput ids INT64 -1 5  # tokens\noutput y FP16 -1 2\n", "sig"
    )
    assert inputs == [("image", "FP32", [-1, 3, 8, 8]), ("ids", "INT64", [-1, 5])]
    assert outputs == [("y", "FP16", [-1, 2])]
    for text, error in [
        ("inputs x FP32 1\noutput y FP32 1", "sig:1: 'inputs' is neither 'input' nor 'output'"),
        ("input x FLOAT 1\noutput y FP32 1", "sig:1: expected 'input NAME TYPE DIM...'"),
        ("input x FP32 1\noutput y FP32 2.5", "sig:2: output 'y': dimensions must be whole numbers"),
        ("input x FP32 -2\noutput y FP32 1", "sig:1: input 'x': a dimension is -1 or >= 0"),
        ("input x FP32 1\n", "sig: needs at least one input and one output"),
    ]:
        with pytest.raises(ts.UserError) as raised:
            ts.parse_signature(text, "sig")
        assert error in str(raised.value), (text, str(raised.value))


def test_torchscript_signature_shapes_leave_only_the_batch_open():
    ts = torchscript_converter()
    # A module whose forward(self, x) is all the interface reads.
    arguments = [SimpleNamespace(name="self"), SimpleNamespace(name="x")]
    module = SimpleNamespace(forward=SimpleNamespace(schema=SimpleNamespace(arguments=arguments)))
    sig = "input image FP32 -1 3 -1\noutput y FP32 -1 2\n"
    interface = ts.Interface("net.pt", module, sig, {"max_batch_size": 4})
    assert interface.names == ["image"]
    with pytest.raises(ts.UserError) as raised:
        interface.signature_shape("image", [-1, 3, -1], 4)
    message = str(raised.value)
    assert "'net.pt' (extra file signature.txt) gives input 'image' a dimension of any size" in message
    assert "--input_shapes=image:4x3x1" in message
    assert interface.signature_shape("image", [-1, 3, 8], 4) == [4, 3, 8]
    assert ts.Interface("net.pt", module, sig, {"input_names": ["pixels"]}).names == ["pixels"]
    with pytest.raises(ts.UserError, match="declares 2 inputs but forward\\(\\) takes 1"):
        ts.Interface("net.pt", module, "input a FP32 1\ninput b FP32 1\noutput y FP32 1\n", {})
