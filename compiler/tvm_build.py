#!/usr/bin/env python3
"""Builds a TVM model library (model.so) from an ONNX model, for the TVM runtime.

    tvm_build.py INPUT.onnx OUTPUT.so

The adlik_compiler's onnx -> tvm pass runs this with python3 (it sits beside the
compiler binary, or in compiler/ of the source tree). TVM's relax frontend imports the
ONNX graph, keeping a symbolic first dimension symbolic (so one library serves any
batch size), tvm.compile builds it for the llvm target of this machine's CPU, and
export_library links model.so, a relax VM executable whose function "main" takes the
inputs in the ONNX graph's order.

Exit status: 0 built; 3 the Python package apache-tvm is missing; 1 anything else.
Errors go to stderr, one line.
"""
import sys


def main(argv):
    if len(argv) != 3:
        print("usage: tvm_build.py INPUT.onnx OUTPUT.so", file=sys.stderr)
        return 1
    try:
        import onnx
        import tvm
        from tvm import relax
        from tvm.relax.frontend.onnx import from_onnx
    except ImportError as e:
        print(f"the Python package apache-tvm (with onnx) is not importable: {e}; "
              "install it with ADLIK_WITH_TVM=1 scripts/setup.sh", file=sys.stderr)
        return 3
    source, output = argv[1], argv[2]
    try:
        model = onnx.load(source)
        mod = from_onnx(model, keep_params_in_input=False)
        mod = relax.transform.DecomposeOpsForInference()(mod)
        # This machine's CPU (its vector units): the library runs on CPUs like it.
        cpu = tvm.target.codegen.llvm_get_system_cpu()
        executable = tvm.compile(mod, target=tvm.target.Target({"kind": "llvm", "mcpu": cpu}))
        executable.export_library(output)
    except Exception as e:  # TVM raises its own error types; report any one line
        message = str(e).strip().splitlines()
        print(f"TVM could not build '{source}': {type(e).__name__}: "
              f"{message[-1] if message else ''}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
