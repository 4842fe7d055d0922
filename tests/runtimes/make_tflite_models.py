#!/usr/bin/env python3
"""Writes models for the TFLite runtime's tests, with TFLite's own outputs.

    python3 tests/runtimes/make_tflite_models.py REPO_DIR EXPECTED_DIR [mobilenet]

Needs TensorFlow's Python package (ADLIK_WITH_TENSORFLOW=1 scripts/setup.sh). Keras models
with random weights from a fixed seed, converted with tf.lite.TFLiteConverter; the expected
outputs come from tf.lite.Interpreter on the same file. Writes:

    REPO_DIR/tfl_mlp/1/model.tflite       FP32 x [N, 16] -> logits [N, 4], probs [N, 4]
                                          (softmax); the converter keeps the batch dynamic
    REPO_DIR/tfl_mlp/config.pbtxt         platform tensorflow_tflite, max_batch_size 8
    REPO_DIR/tfl_int8/1/model.tflite      two inputs, INT8 a [1, 8] and b [1, 8] -> INT8 y
                                          [1, 3]: integer-only quantization (fixed batch 1)
    REPO_DIR/tfl_int8/config.pbtxt        platform tensorflow_tflite, max_batch_size 0
    EXPECTED_DIR/tfl_mlp_x.npy            a batch of 5 inputs
    EXPECTED_DIR/tfl_mlp_{logits,probs}.npy  TFLite's outputs for it
    EXPECTED_DIR/tfl_int8_{a,b,y}.npy     one input pair and TFLite's output

and with `mobilenet`, for docs/benchmarks.md, also:

    REPO_DIR/tfl_mobilenet_v2/1/model.tflite  Keras' MobileNetV2 (224x224x3, 1000 classes,
                                              random weights; FP32, 14 MB), dynamic batch
    REPO_DIR/tfl_mobilenet_v2/config.pbtxt    platform tensorflow_tflite, max_batch_size 64
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

SEED = 20240607


def write(path, data, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(data)


def run_tflite(content, inputs):
    """TFLite's outputs {name: array} for inputs {name: array}, by the model's signature (which
    resizes the inputs to the arrays' shapes)."""
    return tf.lite.Interpreter(model_content=content).get_signature_runner()(**inputs)


def mlp():
    inp = tf.keras.Input((16,), name="x")
    h = tf.keras.layers.Dense(32, activation="relu")(inp)
    logits = tf.keras.layers.Dense(4, name="logits")(h)
    probs = tf.keras.layers.Softmax(name="probs")(logits)
    model = tf.keras.Model(inp, {"logits": logits, "probs": probs})
    return tf.lite.TFLiteConverter.from_keras_model(model).convert()


def int8_two_inputs():
    a = tf.keras.Input((8,), batch_size=1, name="a")
    b = tf.keras.Input((8,), batch_size=1, name="b")
    h = tf.keras.layers.Dense(16, activation="relu")(tf.keras.layers.Concatenate()([a, b]))
    y = tf.keras.layers.Dense(3, name="y")(h)
    model = tf.keras.Model({"a": a, "b": b}, {"y": y})
    rng = np.random.default_rng(SEED)

    def representative():
        for _ in range(32):
            yield {"a": rng.standard_normal((1, 8)).astype(np.float32),
                   "b": rng.standard_normal((1, 8)).astype(np.float32)}

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def mobilenet_v2():
    model = tf.keras.applications.MobileNetV2(weights=None, input_shape=(224, 224, 3))
    return tf.lite.TFLiteConverter.from_keras_model(model).convert()


def main(repo, expected, extra=()):
    tf.keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)

    content = mlp()
    write(os.path.join(repo, "tfl_mlp", "1", "model.tflite"), content, "wb")
    write(os.path.join(repo, "tfl_mlp", "config.pbtxt"),
          'name: "tfl_mlp"\nplatform: "tensorflow_tflite"\nmax_batch_size: 8\n')
    x = rng.standard_normal((5, 16)).astype(np.float32)
    np.save(os.path.join(expected, "tfl_mlp_x.npy"), x)
    for name, value in run_tflite(content, {"x": x}).items():
        np.save(os.path.join(expected, f"tfl_mlp_{name}.npy"), value)

    content = int8_two_inputs()
    write(os.path.join(repo, "tfl_int8", "1", "model.tflite"), content, "wb")
    write(os.path.join(repo, "tfl_int8", "config.pbtxt"),
          'name: "tfl_int8"\nplatform: "tensorflow_tflite"\n')
    a = rng.integers(-128, 128, (1, 8), dtype=np.int8)
    b = rng.integers(-128, 128, (1, 8), dtype=np.int8)
    np.save(os.path.join(expected, "tfl_int8_a.npy"), a)
    np.save(os.path.join(expected, "tfl_int8_b.npy"), b)
    np.save(os.path.join(expected, "tfl_int8_y.npy"), run_tflite(content, {"a": a, "b": b})["y"])

    if "mobilenet" in extra:
        write(os.path.join(repo, "tfl_mobilenet_v2", "1", "model.tflite"), mobilenet_v2(), "wb")
        write(os.path.join(repo, "tfl_mobilenet_v2", "config.pbtxt"),
              'name: "tfl_mobilenet_v2"\nplatform: "tensorflow_tflite"\nmax_batch_size: 64\n'
              'instance_group [ { count: 1 kind: KIND_CPU } ]\n')


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4) or sys.argv[3:] not in ([], ["mobilenet"]):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
