"""TorchScript (.pt) for the LibTorch runtime: the module re-saved with the extra file
signature.txt the runtime reads its tensors from (runtimes/libtorch), and the module run
by PyTorch for the numeric check. Command line: converter_main.py.

Inputs: forward()'s arguments in order, named, typed and shaped as for the ONNX
converter (from the file's own signature.txt when it has one, else float32; input_names
and input_shapes with the batch override; torchscript_to_onnx.py). Outputs: found by
running forward() once on zeros of those shapes: a tensor, a tuple or list of tensors
(named by output_names, else the file's signature.txt, else output_0, output_1, ...), or
a dict of tensors (named by its keys). With max_batch_size > 0 the first dimension of every tensor is -1.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from converter_main import UserError, main  # noqa: E402
from torchscript_to_onnx import Interface, load  # noqa: E402

TYPES = {
    "float32": "FP32", "float64": "FP64", "float16": "FP16", "bfloat16": "BF16",
    "int64": "INT64", "int32": "INT32", "int16": "INT16", "int8": "INT8",
    "uint8": "UINT8", "bool": "BOOL",
}


def named_outputs(torch, value, options, interface):
    """[(name, tensor)] of forward()'s result, as the runtime takes them."""
    given = options.get("output_names") or []
    if isinstance(value, dict):
        if given and sorted(given) != sorted(value):
            raise UserError(
                f"output_names names {', '.join(given)} but forward() returns a dict of "
                f"{', '.join(value)}"
            )
        pairs = list(value.items())
    else:
        tensors = list(value) if isinstance(value, (tuple, list)) else [value]
        pairs = list(zip(interface.output_names(len(tensors)), tensors))
    for name, t in pairs:
        if not isinstance(t, torch.Tensor):
            raise UserError(
                f"output '{name}' is a {type(t).__name__}; the LibTorch runtime takes a tensor, "
                "a tuple or list of tensors, or a dict of tensors from forward()"
            )
    return pairs


def line(kind, name, tensor, batched):
    dtype = str(tensor.dtype).replace("torch.", "")
    if dtype not in TYPES:
        raise UserError(f"{kind} '{name}' is {dtype}, a type the LibTorch runtime does not serve")
    dims = list(tensor.shape)
    if batched:
        if not dims:
            raise UserError(f"{kind} '{name}' is a scalar, so it has no batch dimension (max_batch_size > 0)")
        dims[0] = -1
    return " ".join([kind, name, TYPES[dtype], *map(str, dims)])


def convert(source, options, output):
    torch, module, signature = load(source)
    interface = Interface(source, module, signature, options)
    names, inputs = interface.names, interface.example_inputs(torch)
    with torch.no_grad():
        outputs = named_outputs(torch, module(*inputs), options, interface)
    batched = options.get("max_batch_size", 0) > 0
    text = "\n".join(
        ["# written by adlik_compiler: forward()'s inputs, then its outputs"]
        + [line("input", n, t, batched) for n, t in zip(names, inputs)]
        + [line("output", n, t, batched) for n, t in outputs]
    ) + "\n"
    torch.jit.save(module, output, _extra_files={"signature.txt": text})


def run(source, options, inputs, requested):
    torch, module, signature = load(source)
    interface = Interface(source, module, signature, options)
    names = interface.names
    given = dict(inputs)
    missing = [n for n in names if n not in given]
    if missing:
        raise UserError(f"the check gives no value for input(s) {', '.join(missing)}")
    with torch.no_grad():
        produced = named_outputs(torch, module(*[torch.from_numpy(given[n]) for n in names]), options, interface)
    return {n: t.numpy() for n, t in produced}


if __name__ == "__main__":
    main(convert, run)
