"""adlik_compiler to the runtimes that serve a model without ONNX: the artefact is the
model's own file or folder (a SavedModel, a .tflite), its signature is what the runtime
plugin reports, and the numeric check compares the plugin with the source framework.
Each compiled model is served by the real adlik_serving (one server for all of them) and
compared over HTTP and gRPC with what the framework itself computes.

Skipped with the reason when this build has not the runtime plugin, or the compiler
cannot reach the target on this machine (adlik_compiler --list_paths).
"""

import os
import sys
import textwrap
import zipfile

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from test_compiler import compiler_binary, run_compiler  # noqa: E402
from test_sources import TORCH_CONV_NET, TORCH_PYTHON, framework, require_path, serve_and_compare  # noqa: E402


def require(fmt, target, runtime):
    """The path from `fmt` to `target`; skips unless the runtime plugin is built (fails when
    ADLIK_WITH_<RUNTIME>=1 says it should be, as scripts/test.sh does) and the compiler
    reaches `target` on this machine."""
    plugin = os.path.join(os.path.dirname(compiler_binary()), f"libadlik_runtime_{runtime}.so")
    if not os.path.exists(plugin):
        flag = f"ADLIK_WITH_{runtime.upper()}"
        assert os.environ.get(flag) != "1", f"{flag}=1 but {plugin} was not built"
        pytest.skip(f"{plugin} is not built (configure with -D{flag}=ON)")
    return require_path(fmt, target)


def compile_ok(export, source, name, *flags):
    result = run_compiler(
        f"--input_model={source}", f"--model_name={name}", f"--export_path={export}",
        "--max_batch_size=4", *flags,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Numeric check" in result.stdout and ": ok" in result.stdout, result.stdout
    return result


# A SavedModel with two signatures (serving_default: scores and probs; predict: scores)
# and a tf-keras .h5, and their outputs on x, made in one TensorFlow process.
TF_MODELS = """
    import sys, numpy as np, tensorflow as tf, tf_keras as keras
    d = sys.argv[1]
    x = np.load(d + "/x.npy")
    module = tf.Module()
    module.w = tf.Variable(np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32))
    spec = [tf.TensorSpec([None, 6], tf.float32, name="features")]
    @tf.function(input_signature=spec)
    def serve(features):
        y = tf.matmul(features, module.w)
        return {"scores": y, "probs": tf.nn.softmax(y)}
    @tf.function(input_signature=spec)
    def predict(features):
        return {"scores": tf.matmul(features, module.w) * 2.0}
    module.serve, module.predict = serve, predict
    tf.saved_model.save(module, d + "/sm", signatures={"serving_default": serve, "predict": predict})
    out = serve(tf.constant(x))
    np.save(d + "/scores.npy", out["scores"].numpy()); np.save(d + "/probs.npy", out["probs"].numpy())
    np.save(d + "/predict.npy", predict(tf.constant(x))["scores"].numpy())
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.layers.Dense(5, activation="relu", input_shape=(6,), name="hidden"),
        keras.layers.Dense(3, name="logits"),
    ])
    model.save(d + "/m.h5")
    np.save(d + "/logits.npy", model(x).numpy())
"""


def test_tensorflow_and_tflite_targets(tmp_path):
    assert require("tensorflow", "tensorflow", "tensorflow") == "tensorflow"
    assert require("keras", "tensorflow", "tensorflow") == "keras -> tensorflow"
    assert require("keras", "tflite", "tflite") == "keras -> tensorflow -> tflite"
    assert require("tflite", "tflite", "tflite") == "tflite"
    x = np.random.default_rng(2).uniform(-1, 1, (3, 6)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    framework("python3", TF_MODELS, tmp_path)
    export = tmp_path / "repo"

    # The SavedModel as it is: its folder, with the config the runtime's signature gives.
    result = compile_ok(export, tmp_path / "sm", "sm", "--serving_type=tensorflow")
    assert "Compile path: tensorflow\n" in result.stdout
    assert (export / "sm" / "1" / "model.savedmodel" / "saved_model.pb").is_file()
    config = (export / "sm" / "config.pbtxt").read_text()
    assert 'backend: "tensorflow"' in config and 'name: "features"' in config
    assert 'name: "probs"' in config and 'name: "scores"' in config
    with zipfile.ZipFile(export / "sm_1.zip") as z:
        assert "1/model.savedmodel/saved_model.pb" in z.namelist()

    # Another signature of it: the runtime is told which (TF_SIGNATURE_DEF).
    compile_ok(export, tmp_path / "sm", "predict", "--serving_type=tensorflow", "--signature_keys=predict")
    config = (export / "predict" / "config.pbtxt").read_text()
    assert "TF_SIGNATURE_DEF" in config and 'string_value: "predict"' in config
    assert 'name: "probs"' not in config

    result = compile_ok(export, tmp_path / "m.h5", "keras", "--serving_type=tensorflow")
    assert "Compile path: keras -> tensorflow" in result.stdout
    result = compile_ok(export, tmp_path / "m.h5", "keras_lite", "--serving_type=tflite")
    assert "Compile path: keras -> tensorflow -> tflite" in result.stdout
    assert (export / "keras_lite" / "1" / "model.tflite").is_file()
    # A .tflite as it is (checked against the TFLite interpreter, by its signature's names).
    (tmp_path / "lite").mkdir()
    (tmp_path / "lite" / "m.tflite").write_bytes((export / "keras_lite" / "1" / "model.tflite").read_bytes())
    result = compile_ok(export, tmp_path / "lite" / "m.tflite", "lite", "--serving_type=tflite")
    assert "Compile path: tflite\n" in result.stdout

    logits = {"logits": np.load(tmp_path / "logits.npy")}
    serve_and_compare(tmp_path, export, [
        ("sm", {"features": x}, {"scores": np.load(tmp_path / "scores.npy"),
                                 "probs": np.load(tmp_path / "probs.npy")}),
        ("predict", {"features": x}, {"scores": np.load(tmp_path / "predict.npy")}),
        ("keras", {"hidden_input": x}, logits),
        ("keras_lite", {"hidden_input": x}, logits),
        ("lite", {"hidden_input": x}, logits),
    ])


def test_unknown_signature_key_is_named(tmp_path):
    require("tensorflow", "tensorflow", "tensorflow")
    framework(
        "python3",
        """
        import sys, tensorflow as tf
        m = tf.Module()
        m.f = tf.function(lambda x: {"y": x * 2}, input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        tf.saved_model.save(m, sys.argv[1], signatures={"serving_default": m.f})
        """,
        tmp_path / "sm",
    )
    result = run_compiler(
        f"--input_model={tmp_path / 'sm'}", "--model_name=m", f"--export_path={tmp_path / 'repo'}",
        "--max_batch_size=4", "--serving_type=tensorflow", "--signature_keys=nope",
    )
    assert result.returncode == 1
    assert "no signature 'nope'" in result.stderr and "serving_default" in result.stderr
    assert not (tmp_path / "repo" / "m").exists()
    pruned = run_compiler(
        f"--input_model={tmp_path / 'sm'}", "--model_name=m", f"--export_path={tmp_path / 'repo'}",
        "--max_batch_size=4", "--serving_type=tensorflow", "--output_names=y",
    )
    assert pruned.returncode == 1 and "output_names" in pruned.stderr, pruned.stderr


def test_tree_models_to_treelite(tmp_path):
    require("xgboost", "treelite", "treelite")
    require("lightgbm", "treelite", "treelite")
    assert require("sklearn", "treelite", "treelite") == "sklearn -> treelite"
    import joblib
    import lightgbm as lgb
    import xgboost as xgb
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, (200, 5)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    probe = x[:3]
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3}, xgb.DMatrix(x, label=y), 5)
    booster.save_model(tmp_path / "m.json")
    booster.save_model(tmp_path / "m.ubj")
    p = booster.predict(xgb.DMatrix(probe)).reshape(-1, 1, 1)
    three = np.clip((x[:, 0] * 1.5 + 1.5).astype(np.int64), 0, 2)
    lgbm = lgb.train({"objective": "multiclass", "num_class": 3, "num_leaves": 4, "verbose": -1},
                     lgb.Dataset(x, label=three), 5)
    lgbm.save_model(tmp_path / "trees")  # LightGBM's text model, any name
    forest = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(x, y)
    joblib.dump(forest, tmp_path / "rf.joblib")

    export = tmp_path / "repo"
    for source, name, served_as in [("m.json", "xgb", "model.json"), ("m.ubj", "xgb_ubj", "model.ubj"),
                                    ("trees", "lgbm", "model.txt"), ("rf.joblib", "forest", "model.tl")]:
        result = compile_ok(export, tmp_path / source, name, "--serving_type=treelite")
        assert (export / name / "1" / served_as).is_file(), result.stdout
        assert f'default_model_filename: "{served_as}"' in (export / name / "config.pbtxt").read_text()
    assert (tmp_path / "trees").read_bytes() == (export / "lgbm" / "1" / "model.txt").read_bytes()

    serve_and_compare(tmp_path, export, [
        ("xgb", {"input__0": probe}, {"output__0": p}),
        ("xgb_ubj", {"input__0": probe}, {"output__0": p}),
        ("lgbm", {"input__0": probe.astype(np.float64)},
         {"output__0": lgbm.predict(probe).reshape(-1, 1, 3)}),
        ("forest", {"input__0": probe.astype(np.float64)},
         {"output__0": forest.predict_proba(probe).reshape(-1, 1, 2)}),
    ])


def test_torchscript_to_libtorch(tmp_path):
    path = require("torchscript", "libtorch", "libtorch")
    assert path == "torchscript -> libtorch(static)", path
    x = np.random.default_rng(1).uniform(-1, 1, (2, 3, 8, 8)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    framework(
        TORCH_PYTHON,
        TORCH_CONV_NET
        + textwrap.dedent(
            """
        class Named(torch.nn.Module):
            def forward(self, a, b):
                return {"sum": a + b, "index": torch.argmax(a, 1)}
        net.save(sys.argv[1])
        torch.jit.trace(Named(), (torch.zeros(1, 6), torch.zeros(1, 6)), strict=False).save(sys.argv[2])
        with torch.no_grad():
            logits, probs = net(torch.from_numpy(np.load(sys.argv[3])))
        np.save(sys.argv[4], logits.numpy()); np.save(sys.argv[5], probs.numpy())
        """
        ),
        tmp_path / "net.pt", tmp_path / "named.pt", tmp_path / "x.npy", tmp_path / "logits.npy",
        tmp_path / "probs.npy",
    )
    export = tmp_path / "repo"
    compile_ok(export, tmp_path / "net.pt", "net", "--serving_type=libtorch",
               "--input_shapes=image:2x3x8x8", "--output_names=logits,probs")
    compile_ok(export, tmp_path / "named.pt", "named", "--serving_type=libtorch",
               "--input_shapes=a:4x6,b:4x6")
    config = (export / "named" / "config.pbtxt").read_text()
    assert 'name: "index"' in config and "TYPE_INT64" in config, config

    a = np.arange(12, dtype=np.float32).reshape(2, 6)
    b = np.ones((2, 6), np.float32)
    serve_and_compare(tmp_path, export, [
        ("net", {"image": x}, {"logits": np.load(tmp_path / "logits.npy"),
                               "probs": np.load(tmp_path / "probs.npy")}),
        ("named", {"a": a, "b": b}, {"sum": a + b, "index": np.full((2,), 5, np.int64)}),
    ])
