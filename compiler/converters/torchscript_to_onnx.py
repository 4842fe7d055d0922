"""TorchScript (.pt) -> ONNX through PyTorch's own exporter (torch.onnx.export), and the
TorchScript model run by PyTorch for the numeric check. Command line: converter_main.py.

The inputs are forward()'s arguments, in order. Their shapes, element types and names come
from the archive's extra file signature.txt when it has one (the LibTorch runtime's format,
runtimes/libtorch: `input NAME TYPE DIM...` then `output NAME TYPE DIM...`, -1 for a
dimension of any size), saved by
torch.jit.save(module, path, _extra_files={"signature.txt": text}). input_shapes (by name,
or by forward()'s argument name; the batch dimension included) overrides a shape; without
a signature every input needs one and is float32. A TorchScript file saved by torch 1.x
records no shapes of its own: torch.jit.trace keeps neither its example inputs nor their
sizes, and the loaded graph's inputs are plain `Tensor`.

input_names and output_names name the ONNX tensors (default: the signature's names, else
forward()'s argument names and output_0, output_1, ... for the flattened outputs). With
max_batch_size > 0 the first dimension of every input and output stays dynamic.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from converter_main import UserError, main, require  # noqa: E402

SIGNATURE = "signature.txt"
# KServe type -> torch dtype attribute, the types the LibTorch runtime serves.
TYPES = {
    "BOOL": "bool",
    "UINT8": "uint8",
    "INT8": "int8",
    "INT16": "int16",
    "INT32": "int32",
    "INT64": "int64",
    "FP16": "float16",
    "FP32": "float32",
    "FP64": "float64",
    "BF16": "bfloat16",
}


def load(source):
    """torch, the module, and its signature.txt's text ("" when it has none)."""
    torch = require("torch", "torch")
    extra = {SIGNATURE: ""}
    try:
        module = torch.jit.load(source, map_location="cpu", _extra_files=extra).eval()
    except Exception as e:  # torch raises RuntimeError for any unreadable file
        raise UserError(f"'{source}' is not a TorchScript model torch.jit.load reads: {e}") from e
    text = extra[SIGNATURE]
    return torch, module, text.decode("utf-8", "replace") if isinstance(text, bytes) else text


def parse_signature(text, where):
    """[(name, TYPE, dims)] of the inputs and of the outputs, as the LibTorch runtime reads
    them; `where` names the file in messages."""
    sig = {"input": [], "output": []}
    for n, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        at = f"{where}:{n}: "
        kind = words[0]
        if kind not in sig:
            raise UserError(f"{at}'{kind}' is neither 'input' nor 'output'")
        if len(words) < 3 or words[2] not in TYPES:
            raise UserError(
                f"{at}expected '{kind} NAME TYPE DIM...' with TYPE one of {', '.join(TYPES)}"
            )
        try:
            dims = [int(d) for d in words[3:]]
        except ValueError:
            raise UserError(f"{at}{kind} '{words[1]}': dimensions must be whole numbers") from None
        if any(d < -1 for d in dims):
            raise UserError(f"{at}{kind} '{words[1]}': a dimension is -1 or >= 0")
        sig[kind].append((words[1], words[2], dims))
    if not sig["input"] or not sig["output"]:
        raise UserError(f"{where}: needs at least one input and one output")
    return sig["input"], sig["output"]


class Interface:
    """forward()'s inputs and the model's outputs as the ONNX model names them."""

    def __init__(self, source, module, signature, options):
        self.args = [a.name for a in module.forward.schema.arguments[1:]]
        self.where = f"'{source}' (extra file {SIGNATURE})"
        self.inputs, self.outputs = parse_signature(signature, self.where) if signature else ([], [])
        if self.inputs and len(self.inputs) != len(self.args):
            raise UserError(
                f"{self.where} declares {len(self.inputs)} inputs but forward() takes "
                f"{len(self.args)} ({', '.join(self.args)})"
            )
        default = [name for name, _, _ in self.inputs] or self.args
        self.names = options.get("input_names") or default
        if len(self.names) != len(self.args):
            raise UserError(
                f"input_names has {len(self.names)} names but forward() takes {len(self.args)} "
                f"inputs ({', '.join(self.args)})"
            )
        self.options = options

    def example_inputs(self, torch):
        """A zero tensor per input, of its shape and type."""
        shapes = self.options.get("input_shapes") or {}
        unknown = sorted(set(shapes) - set(self.names) - set(self.args))
        if unknown:
            raise UserError(
                f"input_shapes names {', '.join(unknown)}, which is not an input of the model "
                f"(its inputs: {', '.join(self.names)})"
            )
        batch = self.options.get("max_batch_size", 0)
        inputs, missing = [], []
        for k, (arg, name) in enumerate(zip(self.args, self.names)):
            shape = shapes.get(name, shapes.get(arg))
            dtype = "float32"
            if self.inputs:
                _, type_name, dims = self.inputs[k]
                dtype = TYPES[type_name]
                if shape is None:
                    shape = self.signature_shape(name, dims, batch)
            if shape is None:
                missing.append(name)
                continue
            inputs.append(torch.zeros(*shape, dtype=getattr(torch, dtype)))
        if missing:
            example = ",".join(f"{n}:1x3x224x224" for n in missing)
            raise UserError(
                f"input_shapes has no shape for input(s) {', '.join(missing)}: a TorchScript "
                "file does not record the shapes it was traced with (torch.jit.trace keeps "
                f"neither its example inputs nor their sizes) and this one has no {SIGNATURE} "
                f"extra file, so each input needs its full shape (--input_shapes={example})"
            )
        return inputs

    def signature_shape(self, name, dims, batch):
        """The example's shape from the signature's dims: a batch of max_batch_size for a
        leading -1 when max_batch_size > 0; any other -1 needs input_shapes."""
        shape = list(dims)
        if batch > 0 and shape and shape[0] == -1:
            shape[0] = batch
        if -1 in shape:
            raise UserError(
                f"{self.where} gives input '{name}' a dimension of any size (-1) "
                f"{'beyond the batch' if batch > 0 else 'and max_batch_size is 0'}: the export "
                f"needs its size; give input_shapes (--input_shapes={name}:"
                f"{'x'.join(str(d if d >= 0 else 1) for d in shape)})"
            )
        return shape

    def output_names(self, count):
        names = self.options.get("output_names") or [n for n, _, _ in self.outputs]
        names = names or [f"output_{k}" for k in range(count)]
        if len(names) != count:
            what = "output_names" if self.options.get("output_names") else self.where
            raise UserError(f"{what} has {len(names)} outputs but the model gives {count}")
        return names


def flatten(value):
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in flatten(v)]
    if isinstance(value, dict):
        return [t for k in sorted(value) for t in flatten(value[k])]
    return [value]


def convert(source, options, output):
    torch, module, signature = load(source)
    interface = Interface(source, module, signature, options)
    inputs = interface.example_inputs(torch)
    with torch.no_grad():
        outputs = interface.output_names(len(flatten(module(*inputs))))
    dynamic = None
    if options.get("max_batch_size", 0) > 0:
        dynamic = {n: {0: "batch"} for n in interface.names + outputs}
    torch.onnx.export(
        module,
        tuple(inputs),
        output,
        input_names=interface.names,
        output_names=outputs,
        dynamic_axes=dynamic,
        opset_version=options.get("opset_version") or 14,
        do_constant_folding=True,
    )


def run(source, options, inputs, requested):
    torch, module, signature = load(source)
    interface = Interface(source, module, signature, options)
    given = dict(inputs)
    missing = [n for n in interface.names if n not in given]
    if missing:
        raise UserError(f"the check gives no value for input(s) {', '.join(missing)}")
    tensors = [torch.from_numpy(given[n]) for n in interface.names]
    with torch.no_grad():
        produced = flatten(module(*tensors))
    return dict(zip(interface.output_names(len(produced)), (t.numpy() for t in produced)))


if __name__ == "__main__":
    main(convert, run)
