"""scikit-learn (pickle/joblib), XGBoost (.json, .ubj) and LightGBM (text model) -> ONNX
through skl2onnx and onnxmltools, and the source model run by its own library for the
numeric check. Command line: converter_main.py.

The ONNX model takes one float32 input, named after input_names (default "input"),
of shape [batch, features]. A classifier gives "label" (int64 [batch]) and
"probabilities" (float32 [batch, classes]); a regressor gives "variable" (float32
[batch, 1]). opset_version is the ai.onnx opset (default and most: 15, where
onnxmltools' tree converters stop).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from converter_main import UserError, main, require  # noqa: E402

MAX_OPSET = 15


def opset(options):
    value = options.get("opset_version") or MAX_OPSET
    if value > MAX_OPSET:
        raise UserError(f"opset_version {value}: the tree converters write opset {MAX_OPSET} at most")
    return value


def input_name(options):
    names = options.get("input_names") or ["input"]
    if len(names) != 1:
        raise UserError(f"input_names has {len(names)} names; a tree model takes one input")
    return names[0]


def load(source, kind):
    try:
        if kind == "xgboost":
            xgb = require("xgboost", "xgboost")
            booster = xgb.Booster()
            booster.load_model(source)
            return booster
        if kind == "lightgbm":
            lgb = require("lightgbm", "lightgbm")
            return lgb.Booster(model_file=source)
        joblib = require("joblib", "joblib")
        require("sklearn", "scikit-learn")
        return joblib.load(source)
    except UserError:
        raise
    except Exception as e:
        raise UserError(f"'{source}' is not a {kind} model its library reads: {e}") from e


def features(model, kind):
    if kind == "xgboost":
        return model.num_features()
    if kind == "lightgbm":
        return model.num_feature()
    if not hasattr(model, "n_features_in_"):
        raise UserError(f"the pickled object is a {type(model).__name__}, not a fitted scikit-learn model")
    return model.n_features_in_


def objective(model, kind):
    """'binary', 'multiclass' or 'regression' for the boosters."""
    if kind == "xgboost":
        import json

        name = json.loads(model.save_config())["learner"]["objective"]["name"]
    else:
        name = model.params.get("objective") or model.dump_model().get("objective", "")
        name = str(name).split(" ")[0]
    if name.startswith("binary"):
        return "binary"
    if name.startswith("multi"):
        return "multiclass"
    return "regression"


def convert(source, options, output):
    kind = options["format"]
    model = load(source, kind)
    n = features(model, kind)
    name = input_name(options)
    if kind == "sklearn":
        skl2onnx = require("skl2onnx", "skl2onnx")
        from skl2onnx.common.data_types import FloatTensorType

        try:
            onx = skl2onnx.convert_sklearn(
                model,
                initial_types=[(name, FloatTensorType([None, n]))],
                target_opset=opset(options),
                options={"zipmap": False} if hasattr(model, "predict_proba") else None,
            )
        except RuntimeError as e:
            raise UserError(f"skl2onnx cannot convert a {type(model).__name__}: {e}") from e
    else:
        onnxmltools = require("onnxmltools", "onnxmltools")
        from onnxmltools.convert.common.data_types import FloatTensorType

        types = [(name, FloatTensorType([None, n]))]
        if kind == "xgboost":
            onx = onnxmltools.convert_xgboost(model, initial_types=types, target_opset=opset(options))
        else:
            onx = onnxmltools.convert_lightgbm(
                model, initial_types=types, target_opset=opset(options), zipmap=False
            )
    with open(output, "wb") as f:
        f.write(onx.SerializeToString())


def run(source, options, inputs, requested):
    kind = options["format"]
    model = load(source, kind)
    x = dict(inputs)[input_name(options)].astype("float32")
    if kind == "sklearn":
        if hasattr(model, "predict_proba"):
            return {"label": model.predict(x).astype("int64"), "probabilities": model.predict_proba(x)}
        return {"variable": model.predict(x).reshape(-1, 1)}
    if kind == "xgboost":
        xgb = require("xgboost", "xgboost")
        p = model.predict(xgb.DMatrix(x))
    else:
        p = model.predict(x)
    task = objective(model, kind)
    if task == "regression":
        return {"variable": p.reshape(-1, 1)}
    if task == "binary":
        import numpy as np

        p = np.stack([1 - p, p], axis=1)
    return {"label": p.argmax(axis=1).astype("int64"), "probabilities": p}


if __name__ == "__main__":
    main(convert, run)
