"""The command line every source converter shares.

    SCRIPT convert --source PATH --options OPTIONS.json --output MODEL.onnx
    SCRIPT run --source PATH --options OPTIONS.json --inputs INPUTS.json --outputs DIR

`convert` writes the source model as ONNX. `run` runs the source model in its own
framework, for the compiler's numeric check: INPUTS.json is {"inputs": [{"name", "file"}],
"outputs": [names]}, each file a .npy array fed to the input of that (ONNX) name, and the
outputs of those names are written as DIR/0.npy, DIR/1.npy, ... in that order.

OPTIONS.json holds the compile request's keys that concern the source (input_names,
output_names, input_shapes, signature_keys, saved_model_tags, opset_version,
input_layer_names, output_layer_names, max_batch_size) and "format", the source format.

A converter reports a bad input by raising UserError (one line on stderr, exit status 2);
anything else is a converter failure (its traceback on stderr, exit status 1). The
compiler puts the stderr into its error.
"""

import argparse
import json
import os
import sys

# ONNX Runtime's official wheel (which converters may import) starts a telemetry system on
# import unless this is set first.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"


class UserError(Exception):
    """A problem with the source model or the request, reported without a traceback."""


def require(module, package):
    """Imports `module`, or raises UserError naming the pip package that provides it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise UserError(
            f"the Python package '{package}' is missing for {sys.executable} "
            f"({e}); install it (pip install {package}) or point the compiler at an "
            "interpreter that has it (--python / ADLIK_PYTHON)"
        ) from e


def read_inputs(manifest):
    import numpy as np

    return [(i["name"], np.load(i["file"])) for i in manifest["inputs"]]


def write_outputs(directory, names, produced):
    """Writes produced[name] for each requested name, in order, as DIR/k.npy."""
    import numpy as np

    for k, name in enumerate(names):
        if name not in produced:
            raise UserError(
                f"the source model gives no output '{name}' (it gives: {', '.join(sorted(produced))})"
            )
        np.save(os.path.join(directory, f"{k}.npy"), np.ascontiguousarray(produced[name]))


def main(convert, run):
    """convert(source, options, output_path); run(source, options, inputs, output_names) -> dict."""
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["convert", "run"])
    parser.add_argument("--source", required=True)
    parser.add_argument("--options", required=True)
    parser.add_argument("--output")
    parser.add_argument("--inputs")
    parser.add_argument("--outputs")
    args = parser.parse_args()
    with open(args.options) as f:
        options = json.load(f)
    try:
        if args.command == "convert":
            convert(args.source, options, args.output)
        else:
            with open(args.inputs) as f:
                manifest = json.load(f)
            produced = run(args.source, options, read_inputs(manifest), manifest["outputs"])
            write_outputs(args.outputs, manifest["outputs"], produced)
    except UserError as e:
        print(e, file=sys.stderr)
        sys.exit(2)
