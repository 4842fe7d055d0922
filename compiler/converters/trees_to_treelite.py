"""Tree models for the treelite runtime, which serves them without ONNX: a scikit-learn
model becomes a treelite checkpoint (treelite.sklearn.import_model, Model.serialize);
XGBoost and LightGBM files are served as they are, so the compiler copies them and only
the check runs here. Command line: converter_main.py.

`run` is the numeric check's reference: the source model in its own library, its
prediction shaped as the treelite runtime gives it, output__0 of [rows, targets, classes]
(probabilities for a classifier, as GTIL's default prediction). The input is the one
feature matrix, whatever its name (the runtime calls it input__0).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from converter_main import UserError, main, require  # noqa: E402
from trees_to_onnx import load, objective  # noqa: E402


def convert(source, options, output):
    kind = options["format"]
    if kind != "sklearn":
        raise UserError(f"a {kind} model is served as it is; there is nothing to convert")
    treelite = require("treelite", "treelite")
    model = load(source, kind)
    try:
        checkpoint = treelite.sklearn.import_model(model)
    except Exception as e:
        raise UserError(f"treelite cannot import the {type(model).__name__} in '{source}': {e}") from e
    checkpoint.serialize(output)


def run(source, options, inputs, requested):
    import numpy as np

    if len(inputs) != 1:
        raise UserError(f"a tree model takes one input; the check gave {len(inputs)}")
    kind = options["format"]
    x = inputs[0][1]
    rows = x.shape[0]
    model = load(source, kind)
    if kind == "xgboost":
        xgb = require("xgboost", "xgboost")
        p = np.asarray(model.predict(xgb.DMatrix(x)))
        multiclass = objective(model, kind) == "multiclass"
    elif kind == "lightgbm":
        p = np.asarray(model.predict(x))
        multiclass = objective(model, kind) == "multiclass"
    elif hasattr(model, "predict_proba"):
        p = model.predict_proba(x)
        if isinstance(p, list):  # one array per target: [rows, targets, classes]
            return {requested[0]: np.stack(p, axis=1)}
        multiclass = True
    else:
        p = np.asarray(model.predict(x))
        multiclass = False
    p = p.reshape(rows, 1, -1) if multiclass else p.reshape(rows, -1, 1)
    return {requested[0]: p}


if __name__ == "__main__":
    main(convert, run)
