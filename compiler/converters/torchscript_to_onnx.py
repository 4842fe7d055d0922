"""TorchScript (.pt) -> ONNX through PyTorch's own exporter (torch.onnx.export), and the
TorchScript model run by PyTorch for the numeric check. Command line: converter_main.py.

The inputs are forward()'s arguments, in order, each a float32 tensor of the shape
input_shapes gives (by argument name, or by input_names when given; the batch dimension
included). input_names and output_names name the ONNX tensors (default: forward()'s
argument names, and output_0, output_1, ... for the flattened outputs). With
max_batch_size > 0 the first dimension of every input and output stays dynamic.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from converter_main import UserError, main, require  # noqa: E402


def load(source):
    torch = require("torch", "torch")
    try:
        return torch, torch.jit.load(source, map_location="cpu").eval()
    except Exception as e:  # torch raises RuntimeError for any unreadable file
        raise UserError(f"'{source}' is not a TorchScript model torch.jit.load reads: {e}") from e


def input_names(module, options):
    args = [a.name for a in module.forward.schema.arguments[1:]]
    names = options.get("input_names") or args
    if len(names) != len(args):
        raise UserError(
            f"input_names has {len(names)} names but forward() takes {len(args)} "
            f"inputs ({', '.join(args)})"
        )
    return args, names


def example_inputs(torch, module, options):
    args, names = input_names(module, options)
    shapes = options.get("input_shapes") or {}
    unknown = sorted(set(shapes) - set(names) - set(args))
    if unknown:
        raise UserError(
            f"input_shapes names {', '.join(unknown)}, which is not an input of the model "
            f"(its inputs: {', '.join(names)})"
        )
    inputs = []
    for arg, name in zip(args, names):
        shape = shapes.get(name, shapes.get(arg))
        if shape is None:
            raise UserError(
                f"input_shapes has no shape for input '{name}': a TorchScript file does not "
                "record the shapes it was traced with, so each input needs its full shape "
                f"(--input_shapes={name}:1x3x224x224)"
            )
        inputs.append(torch.zeros(*shape, dtype=torch.float32))
    return names, inputs


def flatten(value):
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in flatten(v)]
    if isinstance(value, dict):
        return [t for k in sorted(value) for t in flatten(value[k])]
    return [value]


def output_names(torch, module, inputs, options):
    with torch.no_grad():
        count = len(flatten(module(*inputs)))
    names = options.get("output_names") or [f"output_{k}" for k in range(count)]
    if len(names) != count:
        raise UserError(f"output_names has {len(names)} names but the model gives {count} outputs")
    return names


def convert(source, options, output):
    torch, module = load(source)
    names, inputs = example_inputs(torch, module, options)
    outputs = output_names(torch, module, inputs, options)
    dynamic = None
    if options.get("max_batch_size", 0) > 0:
        dynamic = {n: {0: "batch"} for n in names + outputs}
    torch.onnx.export(
        module,
        tuple(inputs),
        output,
        input_names=names,
        output_names=outputs,
        dynamic_axes=dynamic,
        opset_version=options.get("opset_version") or 14,
        do_constant_folding=True,
    )


def run(source, options, inputs, requested):
    torch, module = load(source)
    names, _ = input_names(module, options)
    given = dict(inputs)
    missing = [n for n in names if n not in given]
    if missing:
        raise UserError(f"the check gives no value for input(s) {', '.join(missing)}")
    tensors = [torch.from_numpy(given[n]) for n in names]
    with torch.no_grad():
        produced = flatten(module(*tensors))
    out_names = options.get("output_names") or [f"output_{k}" for k in range(len(produced))]
    return {n: t.numpy() for n, t in zip(out_names, produced)}


if __name__ == "__main__":
    main(convert, run)
