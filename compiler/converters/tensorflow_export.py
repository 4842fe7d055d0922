"""TensorFlow's own formats from a model, for the runtimes that serve them without ONNX:
a tf-keras .h5 model as a SavedModel (tf.saved_model.save; its serving_default signature
names the inputs after the input layers and the outputs after the output layers), and a
SavedModel as a TFLite flatbuffer (tf.lite.TFLiteConverter.from_saved_model, with the
request's signature_keys and saved_model_tags). Command line: converter_main.py
(`convert` only; the numeric check runs the source with tensorflow_to_onnx.py).
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from converter_main import UserError, main, require  # noqa: E402
from tensorflow_to_onnx import load_keras, load_signature, one  # noqa: E402


def keras_to_saved_model(source, options, output):
    tf = require("tensorflow", "tensorflow-cpu")
    _, model = load_keras(source, options)
    tf.saved_model.save(model, output)


def saved_model_to_tflite(source, options, output):
    tf = require("tensorflow", "tensorflow-cpu")
    load_signature(tf, source, options)  # a clear error for a bad key or tag
    converter = tf.lite.TFLiteConverter.from_saved_model(
        source,
        signature_keys=[one(options, "signature_keys", "serving_default")],
        tags={one(options, "saved_model_tags", "serve")},
    )
    try:
        flatbuffer = converter.convert()
    except Exception as e:
        raise UserError(f"TFLiteConverter cannot convert '{source}': {e}") from e
    with open(output, "wb") as f:
        f.write(flatbuffer)


CONVERT = {"keras": keras_to_saved_model, "tensorflow": saved_model_to_tflite}


def refuse_run(source, options, inputs, outputs):
    raise UserError("tensorflow_export.py converts only; tensorflow_to_onnx.py runs the source")


if __name__ == "__main__":
    main(lambda source, options, output: CONVERT[options["format"]](source, options, output), refuse_run)
