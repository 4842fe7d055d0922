#!/usr/bin/env python3
"""Writes TensorFlow SavedModels for the TensorFlow runtime's tests, with TensorFlow's outputs.

    python3 tests/runtimes/make_tensorflow_models.py REPO_DIR EXPECTED_DIR

Needs PyPI tensorflow-cpu (ADLIK_WITH_TENSORFLOW=1 scripts/setup.sh). Weights are random,
drawn from a fixed seed; every model is a tf.Module saved with tf.saved_model.save, its
signatures' batch dimension None. Writes, each beside a config.pbtxt that names the platform
and max_batch_size only (the runtime completes the tensors):

    REPO_DIR/tf_dense/1/model.savedmodel    x FP32 [-1, 4] -> y = tanh(x W + b) FP32 [-1, 3];
                                            max_batch_size 8
    REPO_DIR/tf_multi/1/model.savedmodel    a FP32 [-1, 3], b INT32 [-1, 3] -> sum FP32 [-1, 3],
                                            argmax INT64 [-1]; a second signature "scaled"
                                            (a -> twice a); max_batch_size 8
    REPO_DIR/tf_strings/1/model.savedmodel  text BYTES [-1] -> upper BYTES [-1], length INT32
                                            [-1]; max_batch_size 8
    EXPECTED_DIR/<model>_<tensor>.npy       the inputs, and TensorFlow's outputs for them
    EXPECTED_DIR/tf_multi_scaled.npy        the "scaled" signature's output for tf_multi_a
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

SEED = 20261128


def write_config(repo, name):
    with open(os.path.join(repo, name, "config.pbtxt"), "w") as f:
        f.write(f'name: "{name}"\nplatform: "tensorflow_savedmodel"\nmax_batch_size: 8\n')


class Dense(tf.Module):
    def __init__(self, rng):
        super().__init__()
        self.w = tf.Variable(rng.standard_normal((4, 3)).astype(np.float32))
        self.b = tf.Variable(rng.standard_normal(3).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
    def serve(self, x):
        return {"y": tf.tanh(tf.matmul(x, self.w) + self.b)}


class Multi(tf.Module):
    def __init__(self, rng):
        super().__init__()
        self.scale = tf.Variable(rng.standard_normal(3).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="a"),
                                  tf.TensorSpec([None, 3], tf.int32, name="b")])
    def serve(self, a, b):
        total = a * self.scale + tf.cast(b, tf.float32)
        return {"sum": total, "argmax": tf.argmax(total, axis=1)}

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="a")])
    def scaled(self, a):
        return {"twice": 2.0 * a}


class Strings(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def serve(self, text):
        return {"upper": tf.strings.upper(text), "length": tf.strings.length(text)}


def save(repo, name, module, signatures):
    path = os.path.join(repo, name, "1", "model.savedmodel")
    tf.saved_model.save(module, path, signatures=signatures)
    write_config(repo, name)


def main(repo, expected):
    rng = np.random.default_rng(SEED)
    os.makedirs(expected, exist_ok=True)

    def keep(name, array):
        np.save(os.path.join(expected, f"{name}.npy"), np.asarray(array))

    dense = Dense(rng)
    save(repo, "tf_dense", dense, {"serving_default": dense.serve})
    x = rng.standard_normal((5, 4)).astype(np.float32)
    keep("tf_dense_x", x)
    keep("tf_dense_y", dense.serve(tf.constant(x))["y"].numpy())

    multi = Multi(rng)
    save(repo, "tf_multi", multi, {"serving_default": multi.serve, "scaled": multi.scaled})
    a = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.integers(-3, 3, (4, 3)).astype(np.int32)
    out = multi.serve(tf.constant(a), tf.constant(b))
    keep("tf_multi_a", a)
    keep("tf_multi_b", b)
    keep("tf_multi_sum", out["sum"].numpy())
    keep("tf_multi_argmax", out["argmax"].numpy())
    keep("tf_multi_scaled", multi.scaled(tf.constant(a))["twice"].numpy())

    strings = Strings()
    save(repo, "tf_strings", strings, {"serving_default": strings.serve})
    text = np.array([b"adlik", b"", b"Saved Model", "\u00e9t\u00e9".encode()], dtype=object)
    out = strings.serve(tf.constant(text))
    keep("tf_strings_text", text)
    keep("tf_strings_upper", out["upper"].numpy().astype(object))
    keep("tf_strings_length", out["length"].numpy())


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
