#!/usr/bin/env python3
"""Writes models for the OpenVINO runtime's tests, with OpenVINO's own outputs.

    python3 tests/runtimes/make_openvino_models.py REPO_DIR EXPECTED_DIR

Needs the openvino and onnx Python packages (ADLIK_WITH_OPENVINO=1 scripts/setup.sh). An MLP,
FP32 x [N, 16] -> logits [N, 4], probs [N, 4] (softmax), is built with the onnx package's
helpers with a fixed batch of 1, converted with openvino.convert_model and saved as IR with
openvino.save_model (FP32 weights). Writes:

    REPO_DIR/ov_mlp/1/model.xml, model.bin  the IR (batch fixed at 1: the runtime reshapes it)
    REPO_DIR/ov_mlp/config.pbtxt            platform openvino, max_batch_size 8, no tensors
    REPO_DIR/ov_mlp_onnx/1/model.onnx       the ONNX source with a dynamic batch, served by
    REPO_DIR/ov_mlp_onnx/config.pbtxt       backend openvino + default_model_filename model.onnx
    EXPECTED_DIR/ov_mlp_x.npy               a batch of 5 inputs
    EXPECTED_DIR/ov_mlp_{logits,probs}.npy  OpenVINO's outputs for it (the IR, reshaped to a
                                            dynamic batch, compiled for the CPU, computed here)

Weights are drawn from a fixed seed, so every run writes the same models.
"""

import os
import sys

import numpy as np
import onnx
import openvino as ov
from onnx import TensorProto, helper, numpy_helper

SEED = 20240607


def mlp_onnx(batch):
    rng = np.random.default_rng(SEED)
    w1 = rng.standard_normal((16, 32)).astype(np.float32) * 0.3
    b1 = rng.standard_normal(32).astype(np.float32) * 0.1
    w2 = rng.standard_normal((32, 4)).astype(np.float32) * 0.3
    b2 = rng.standard_normal(4).astype(np.float32) * 0.1
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w1"], ["h0"]),
            helper.make_node("Add", ["h0", "b1"], ["h1"]),
            helper.make_node("Relu", ["h1"], ["h"]),
            helper.make_node("MatMul", ["h", "w2"], ["l0"]),
            helper.make_node("Add", ["l0", "b2"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
        ],
        "ov_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 16])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, 4]),
         helper.make_tensor_value_info("probs", TensorProto.FLOAT, [batch, 4])],
        [numpy_helper.from_array(a, n) for a, n in ((w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def main(repo, expected):
    ir_dir = os.path.join(repo, "ov_mlp", "1")
    onnx_dir = os.path.join(repo, "ov_mlp_onnx", "1")
    os.makedirs(ir_dir, exist_ok=True)
    os.makedirs(onnx_dir, exist_ok=True)
    os.makedirs(expected, exist_ok=True)

    fixed = os.path.join(onnx_dir, "fixed_batch.onnx")
    onnx.save(mlp_onnx(1), fixed)
    ov.save_model(ov.convert_model(fixed), os.path.join(ir_dir, "model.xml"), compress_to_fp16=False)
    os.remove(fixed)
    onnx.save(mlp_onnx("N"), os.path.join(onnx_dir, "model.onnx"))
    write(os.path.join(repo, "ov_mlp", "config.pbtxt"),
          'name: "ov_mlp"\nplatform: "openvino"\nmax_batch_size: 8\n')
    write(os.path.join(repo, "ov_mlp_onnx", "config.pbtxt"),
          'name: "ov_mlp_onnx"\nbackend: "openvino"\ndefault_model_filename: "model.onnx"\n'
          'max_batch_size: 8\n')

    core = ov.Core()
    model = core.read_model(os.path.join(ir_dir, "model.xml"))
    model.reshape({"x": ov.PartialShape([-1, 16])})
    compiled = core.compile_model(model, "CPU", {"INFERENCE_NUM_THREADS": 1})
    x = np.random.default_rng(SEED + 1).standard_normal((5, 16)).astype(np.float32)
    result = compiled.create_infer_request().infer({"x": x})
    np.save(os.path.join(expected, "ov_mlp_x.npy"), x)
    for name in ("logits", "probs"):
        np.save(os.path.join(expected, f"ov_mlp_{name}.npy"), result[compiled.output(name)])


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
