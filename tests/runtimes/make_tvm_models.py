#!/usr/bin/env python3
"""Writes the TVM runtime test's models and reference outputs (tests/runtimes/test_tvm.py).

    make_tvm_models.py REPO EXPECTED

An ONNX model made with the onnx package (random weights; inputs x FLOAT [batch, 8] and
bias FLOAT [batch, 4]; outputs y = Relu(x W + bias) [batch, 4] and z = Sigmoid(x V)
[batch, 2]) is compiled by compiler/tvm_build.py (the adlik_compiler's own script) into
REPO/tvm_dynamic/1/model.so with a symbolic batch, and into REPO/tvm_fixed/1/model.so for
a fixed batch of 3. EXPECTED gets the test input x.npy, bias.npy (batch 5), the outputs
TVM's Python runtime computes with the symbolic library (y_tvm.npy, z_tvm.npy) and ONNX
Runtime's on the ONNX model (y_ort.npy, z_ort.npy).
"""
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BUILD = os.path.join(ROOT, "compiler", "tvm_build.py")


def model(batch):
    rng = np.random.default_rng(3)
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "W"], ["xw"]),
            helper.make_node("Add", ["xw", "bias"], ["a"]),
            helper.make_node("Relu", ["a"], ["y"]),
            helper.make_node("MatMul", ["x", "V"], ["xv"]),
            helper.make_node("Sigmoid", ["xv"], ["z"]),
        ],
        "tvm_test",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 8]),
         helper.make_tensor_value_info("bias", TensorProto.FLOAT, [batch, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 4]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, [batch, 2])],
        [numpy_helper.from_array(rng.standard_normal((8, 4)).astype(np.float32), "W"),
         numpy_helper.from_array(rng.standard_normal((8, 2)).astype(np.float32), "V")],
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    return m


def build(m, repo, name, scratch):
    source = os.path.join(scratch, f"{name}.onnx")
    onnx.save(m, source)
    os.makedirs(os.path.join(repo, name, "1"))
    subprocess.run([sys.executable, BUILD, source, os.path.join(repo, name, "1", "model.so")], check=True)
    return source


def main(repo, expected):
    import tvm
    from tvm import relax

    source = build(model("batch"), repo, "tvm_dynamic", expected)
    build(model(3), repo, "tvm_fixed", expected)
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (5, 8)).astype(np.float32)
    bias = rng.uniform(-1, 1, (5, 4)).astype(np.float32)
    np.save(os.path.join(expected, "x.npy"), x)
    np.save(os.path.join(expected, "bias.npy"), bias)
    vm = relax.VirtualMachine(tvm.runtime.load_module(os.path.join(repo, "tvm_dynamic", "1", "model.so")),
                              tvm.cpu())
    y, z = vm["main"](tvm.runtime.tensor(x), tvm.runtime.tensor(bias))
    np.save(os.path.join(expected, "y_tvm.npy"), y.numpy())
    np.save(os.path.join(expected, "z_tvm.npy"), z.numpy())
    y, z = ort.InferenceSession(source).run(["y", "z"], {"x": x, "bias": bias})
    np.save(os.path.join(expected, "y_ort.npy"), y)
    np.save(os.path.join(expected, "z_ort.npy"), z)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
