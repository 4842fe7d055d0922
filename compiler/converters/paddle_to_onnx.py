"""PaddlePaddle inference model (a folder with model.pdmodel and model.pdiparams, or
the .pdmodel file) -> ONNX through paddle2onnx, and the model run by Paddle's inference
predictor for the numeric check. Command line: converter_main.py. opset_version is the
ONNX opset (default 13).
"""

import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from converter_main import UserError, main, require  # noqa: E402


def files(source):
    model = source
    if os.path.isdir(source):
        found = sorted(glob.glob(os.path.join(source, "*.pdmodel")))
        if not found:
            raise UserError(f"'{source}' holds no .pdmodel file")
        model = found[0]
    params = model[: -len(".pdmodel")] + ".pdiparams"
    if not os.path.exists(params):
        raise UserError(f"'{model}' has no parameters file beside it ({params})")
    return model, params


def convert(source, options, output):
    paddle2onnx = require("paddle2onnx", "paddle2onnx")
    model, params = files(source)
    onx = paddle2onnx.export(model, params, opset_version=options.get("opset_version") or 13)
    if isinstance(onx, bytes):
        with open(output, "wb") as f:
            f.write(onx)
    elif not os.path.exists(output):
        raise UserError("paddle2onnx returned no model")


def run(source, options, inputs, requested):
    inference = require("paddle.inference", "paddlepaddle")
    model, params = files(source)
    predictor = inference.create_predictor(inference.Config(model, params))
    given = dict(inputs)
    for name in predictor.get_input_names():
        if name not in given:
            raise UserError(f"the check gives no value for the Paddle input '{name}'")
        predictor.get_input_handle(name).copy_from_cpu(given[name])
    predictor.run()
    return {n: predictor.get_output_handle(n).copy_to_cpu() for n in predictor.get_output_names()}


if __name__ == "__main__":
    main(convert, run)
