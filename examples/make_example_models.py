#!/usr/bin/env python3
"""Writes the example model repository used by the demo and the integration tests.

    python3 examples/make_example_models.py OUT_DIR

Layout (the Triton model repository layout):

    OUT_DIR/simple/config.pbtxt            INT32 INPUT0, INPUT1 [16] -> OUTPUT0 = sum, OUTPUT1 = difference
    OUT_DIR/simple/1/model.onnx
    OUT_DIR/simple_string/...              the same on numeric strings (BYTES [16])
    OUT_DIR/simple_fp16/...                the same on FP16
    OUT_DIR/simple_identity/1/model.onnx   BYTES identity; no config.pbtxt (the server completes it)
    OUT_DIR/classifier/config.pbtxt        small image classifier, FP32 [3,224,224] -> [1000]
    OUT_DIR/classifier/labels.txt          1000 labels, one a line
    OUT_DIR/classifier/1/model.onnx

All models are built with the onnx package's helpers. The arithmetic models are exact; the
classifier has random weights drawn from a fixed seed, so every run writes the same bytes.
Running it again over an existing OUT_DIR rewrites these files and touches nothing else.
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8
SEED = 20240607
NUM_CLASSES = 1000
BATCH = "batch"


def _model(graph):
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="adlik_serving examples",
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def _value(name, elem_type, shape):
    return helper.make_tensor_value_info(name, elem_type, shape)


def simple_model():
    """OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1 on INT32 [batch, 16]."""
    shape = [BATCH, 16]
    graph = helper.make_graph(
        [
            helper.make_node("Add", ["INPUT0", "INPUT1"], ["OUTPUT0"], name="add"),
            helper.make_node("Sub", ["INPUT0", "INPUT1"], ["OUTPUT1"], name="sub"),
        ],
        "simple",
        [_value("INPUT0", TensorProto.INT32, shape), _value("INPUT1", TensorProto.INT32, shape)],
        [_value("OUTPUT0", TensorProto.INT32, shape), _value("OUTPUT1", TensorProto.INT32, shape)],
    )
    return _model(graph)


def simple_string_model():
    """The same as simple on numeric strings: Cast string -> int32, Add/Sub, Cast back."""
    shape = [BATCH, 16]
    to_int = TensorProto.INT32
    to_str = TensorProto.STRING
    graph = helper.make_graph(
        [
            helper.make_node("Cast", ["INPUT0"], ["a"], to=to_int, name="parse0"),
            helper.make_node("Cast", ["INPUT1"], ["b"], to=to_int, name="parse1"),
            helper.make_node("Add", ["a", "b"], ["sum"], name="add"),
            helper.make_node("Sub", ["a", "b"], ["diff"], name="sub"),
            helper.make_node("Cast", ["sum"], ["OUTPUT0"], to=to_str, name="format0"),
            helper.make_node("Cast", ["diff"], ["OUTPUT1"], to=to_str, name="format1"),
        ],
        "simple_string",
        [_value("INPUT0", TensorProto.STRING, shape), _value("INPUT1", TensorProto.STRING, shape)],
        [_value("OUTPUT0", TensorProto.STRING, shape), _value("OUTPUT1", TensorProto.STRING, shape)],
    )
    return _model(graph)


def simple_fp16_model():
    """The same as simple on FP16. The arithmetic runs in FP32 between two Casts so that
    every runtime has kernels for it; for FP16 operands whose sum and difference are
    representable in FP16 the result is exact."""
    shape = [BATCH, 16]
    f32 = TensorProto.FLOAT
    f16 = TensorProto.FLOAT16
    graph = helper.make_graph(
        [
            helper.make_node("Cast", ["INPUT0"], ["a"], to=f32, name="widen0"),
            helper.make_node("Cast", ["INPUT1"], ["b"], to=f32, name="widen1"),
            helper.make_node("Add", ["a", "b"], ["sum"], name="add"),
            helper.make_node("Sub", ["a", "b"], ["diff"], name="sub"),
            helper.make_node("Cast", ["sum"], ["OUTPUT0"], to=f16, name="narrow0"),
            helper.make_node("Cast", ["diff"], ["OUTPUT1"], to=f16, name="narrow1"),
        ],
        "simple_fp16",
        [_value("INPUT0", f16, shape), _value("INPUT1", f16, shape)],
        [_value("OUTPUT0", f16, shape), _value("OUTPUT1", f16, shape)],
    )
    return _model(graph)


def simple_identity_model():
    """BYTES identity on [batch, length] (both dimensions symbolic)."""
    shape = [BATCH, "length"]
    graph = helper.make_graph(
        [helper.make_node("Identity", ["INPUT0"], ["OUTPUT0"], name="identity")],
        "simple_identity",
        [_value("INPUT0", TensorProto.STRING, shape)],
        [_value("OUTPUT0", TensorProto.STRING, shape)],
    )
    return _model(graph)


def classifier_model():
    """A small convolutional classifier: two strided Conv+Relu layers, global average
    pooling and a fully connected layer to 1000 classes. Random weights, fixed seed."""
    rng = np.random.default_rng(SEED)

    def weights(name, shape, fan_in):
        values = rng.standard_normal(shape).astype(np.float32) * np.float32(np.sqrt(2.0 / fan_in))
        return numpy_helper.from_array(values, name)

    def bias(name, n):
        return numpy_helper.from_array((rng.standard_normal(n) * 0.1).astype(np.float32), name)

    c1, c2 = 8, 16
    initializers = [
        weights("conv1.weight", (c1, 3, 3, 3), 3 * 9),
        bias("conv1.bias", c1),
        weights("conv2.weight", (c2, c1, 3, 3), c1 * 9),
        bias("conv2.bias", c2),
        weights("fc.weight", (NUM_CLASSES, c2), c2),
        bias("fc.bias", NUM_CLASSES),
    ]
    conv = dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    nodes = [
        helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["conv1"], name="conv1", **conv),
        helper.make_node("Relu", ["conv1"], ["relu1"], name="relu1"),
        helper.make_node("Conv", ["relu1", "conv2.weight", "conv2.bias"], ["conv2"], name="conv2", **conv),
        helper.make_node("Relu", ["conv2"], ["relu2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["relu2"], ["pool"], name="pool"),
        helper.make_node("Flatten", ["pool"], ["flat"], axis=1, name="flatten"),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["output"], transB=1, name="fc"),
    ]
    graph = helper.make_graph(
        nodes,
        "classifier",
        [_value("input", TensorProto.FLOAT, [BATCH, 3, 224, 224])],
        [_value("output", TensorProto.FLOAT, [BATCH, NUM_CLASSES])],
        initializer=initializers,
    )
    return _model(graph)


def _tensor_config(name, data_type, dims, extra=""):
    dims_text = ", ".join(str(d) for d in dims)
    return (
        f"  {{\n"
        f'    name: "{name}"\n'
        f"    data_type: {data_type}\n"
        f"    dims: [ {dims_text} ]\n"
        f"{extra}"
        f"  }}"
    )


def _config(name, max_batch_size, inputs, outputs):
    def block(kind, tensors):
        return f"{kind} [\n" + ",\n".join(_tensor_config(*t) for t in tensors) + "\n]\n"

    return (
        f'name: "{name}"\n'
        f'platform: "onnxruntime_onnx"\n'
        f"max_batch_size: {max_batch_size}\n" + block("input", inputs) + block("output", outputs)
    )


def _pair_config(name, data_type):
    return _config(
        name,
        8,
        [("INPUT0", data_type, [16]), ("INPUT1", data_type, [16])],
        [("OUTPUT0", data_type, [16]), ("OUTPUT1", data_type, [16])],
    )


def _labels():
    return "".join(f"class_{i:04d}\n" for i in range(NUM_CLASSES))


def _write(path, data, written):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    tmp = path + ".tmp"
    with open(tmp, mode) as f:
        f.write(data)
    os.replace(tmp, path)
    written.append(path)


def _write_model(out_dir, name, model, config, written, extra_files=()):
    model_dir = os.path.join(out_dir, name)
    config_path = os.path.join(model_dir, "config.pbtxt")
    if config is None:
        # The model is meant to be served without a config; drop one a user may have left.
        if os.path.exists(config_path):
            os.remove(config_path)
    else:
        _write(config_path, config, written)
    for file_name, data in extra_files:
        _write(os.path.join(model_dir, file_name), data, written)
    _write(os.path.join(model_dir, "1", "model.onnx"), model.SerializeToString(), written)


def make_repository(out_dir):
    """Writes every example model under out_dir; returns the paths written."""
    written = []
    _write_model(out_dir, "simple", simple_model(), _pair_config("simple", "TYPE_INT32"), written)
    _write_model(
        out_dir, "simple_string", simple_string_model(), _pair_config("simple_string", "TYPE_STRING"), written
    )
    _write_model(out_dir, "simple_fp16", simple_fp16_model(), _pair_config("simple_fp16", "TYPE_FP16"), written)
    _write_model(out_dir, "simple_identity", simple_identity_model(), None, written)
    classifier_config = _config(
        "classifier",
        8,
        [("input", "TYPE_FP32", [3, 224, 224])],
        [("output", "TYPE_FP32", [NUM_CLASSES], '    label_filename: "labels.txt"\n')],
    )
    _write_model(
        out_dir,
        "classifier",
        classifier_model(),
        classifier_config,
        written,
        extra_files=[("labels.txt", _labels())],
    )
    return written


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(f"usage: {os.path.basename(argv[0])} OUT_DIR", file=sys.stderr)
        return 2
    out_dir = argv[1]
    for path in make_repository(out_dir):
        print(f"wrote {path} ({os.path.getsize(path)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
