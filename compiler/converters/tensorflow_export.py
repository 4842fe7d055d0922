"""TensorFlow's own formats from a model, for the runtimes that serve them without ONNX:
a tf-keras .h5 model as a SavedModel (tf.saved_model.save; its serving_default signature
names the inputs after the input layers and the outputs after the output layers), and a
SavedModel as a TFLite flatbuffer (tf.lite.TFLiteConverter.from_saved_model, with the
request's signature_keys and saved_model_tags). Command line: converter_main.py.
`run` runs a .tflite served as it is (named as the TFLite runtime names its tensors); the
numeric check of the conversions runs their source with tensorflow_to_onnx.py.
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


def run_tflite(source, options, inputs, _):
    """A .tflite served as it is, run as the TFLite runtime names its tensors: by its
    first signature's names, or by the tensors' names when it has none."""
    tf = require("tensorflow", "tensorflow-cpu")
    interpreter = tf.lite.Interpreter(model_path=source)
    signatures = interpreter.get_signature_list()
    if not signatures:
        from tensorflow_to_onnx import run_tflite as by_tensor_names

        return by_tensor_names(source, options, inputs)
    runner = interpreter.get_signature_runner(next(iter(signatures)))
    return runner(**dict(inputs))


def refuse_run(source, options, inputs, outputs):
    raise UserError(f"tensorflow_export.py runs a .tflite only, not a {options['format']} model")


if __name__ == "__main__":
    main(
        lambda source, options, output: CONVERT[options["format"]](source, options, output),
        lambda source, options, inputs, outputs: (
            run_tflite if options["format"] == "tflite" else refuse_run
        )(source, options, inputs, outputs),
    )
