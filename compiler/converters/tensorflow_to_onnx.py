"""TensorFlow SavedModel, tf-keras .h5 and .tflite -> ONNX through tf2onnx, and the source
model run by TensorFlow (the SavedModel's signature, the Keras model, the TFLite
interpreter) for the numeric check. Command line: converter_main.py.

Options (the compile request's keys):
  signature_keys     SavedModel: the one signature to convert (default serving_default)
  saved_model_tags   SavedModel: the MetaGraph's tags (default serve)
  opset_version      the ONNX opset (default 15)
  input_layer_names, output_layer_names
                     .h5: convert the part of the Keras model between these layers

ONNX names: a SavedModel's tensors keep its signature's names; a Keras model's inputs
are named after its input layers and its outputs after its output layers; a TFLite
model's after its tensors. Keras 3 files are refused (tf2onnx reads tf-keras models):
export a Keras 3 model as a SavedModel (model.export(path)) and compile that.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from converter_main import UserError, main, require  # noqa: E402

DEFAULT_OPSET = 15


def one(options, key, default):
    values = options.get(key) or [default]
    if len(values) != 1:
        raise UserError(f"{key} names {len(values)} values; the compiler converts one ({values[0]})")
    return values[0]


def tf2onnx_cli(args):
    """Runs tf2onnx's command line in this process (TensorFlow is imported once)."""
    require("tf2onnx", "tf2onnx")
    from tf2onnx import convert

    saved, sys.argv = sys.argv, ["tf2onnx.convert", *args]
    try:
        convert.main()
    except SystemExit as e:
        if e.code:
            raise UserError(f"tf2onnx failed (exit status {e.code}); its log is above") from e
    finally:
        sys.argv = saved


# --- SavedModel ---------------------------------------------------------------------


def load_signature(tf, source, options):
    tag = one(options, "saved_model_tags", "serve")
    key = one(options, "signature_keys", "serving_default")
    try:
        loaded = tf.saved_model.load(source, tags=[tag])
    except Exception as e:
        raise UserError(f"'{source}' is not a SavedModel TensorFlow loads with tag '{tag}': {e}") from e
    if key not in loaded.signatures:
        raise UserError(
            f"signature_keys: the SavedModel has no signature '{key}' "
            f"(it has: {', '.join(loaded.signatures) or 'none'})"
        )
    return loaded, loaded.signatures[key]


def convert_saved_model(source, options, output):
    tf = require("tensorflow", "tensorflow-cpu")
    load_signature(tf, source, options)  # a clear error before tf2onnx's
    tf2onnx_cli(
        ["--saved-model", source, "--output", output,
         "--opset", str(options.get("opset_version") or DEFAULT_OPSET),
         "--tag", one(options, "saved_model_tags", "serve"),
         "--signature_def", one(options, "signature_keys", "serving_default")]
    )


def run_saved_model(source, options, inputs):
    tf = require("tensorflow", "tensorflow-cpu")
    _, signature = load_signature(tf, source, options)
    expected = sorted(signature.structured_input_signature[1])
    if sorted(name for name, _ in inputs) != expected:
        raise UserError(
            f"signature '{one(options, 'signature_keys', 'serving_default')}' takes inputs "
            f"{', '.join(expected)}; the compiled model takes {', '.join(n for n, _ in inputs)}"
        )
    result = signature(**{name: tf.constant(value) for name, value in inputs})
    return {name: t.numpy() for name, t in result.items()}


# --- tf-keras .h5 -------------------------------------------------------------------


def load_keras(source, options):
    keras = require("tf_keras", "tf_keras")
    try:
        model = keras.models.load_model(source, compile=False)
    except Exception as e:
        raise UserError(
            f"'{source}' is not a tf-keras model file tf_keras loads ({e}); a Keras 3 model "
            "is compiled from its SavedModel export (model.export(path))"
        ) from e

    def layers(key, attribute):
        tensors = []
        for name in options.get(key) or []:
            try:
                tensors.append(getattr(model.get_layer(name), attribute))
            except ValueError as e:
                known = ", ".join(l.name for l in model.layers)
                raise UserError(f"{key}: the model has no layer '{name}' (its layers: {known})") from e
        return tensors

    ins, outs = layers("input_layer_names", "input"), layers("output_layer_names", "output")
    if ins or outs:
        model = keras.Model(inputs=ins or model.inputs, outputs=outs or model.outputs)
    return keras, model


def keras_names(model):
    return [t.name.split(":")[0] for t in model.inputs], list(model.output_names)


def convert_keras(source, options, output):
    tf = require("tensorflow", "tensorflow-cpu")
    tf2onnx = require("tf2onnx", "tf2onnx")
    _, model = load_keras(source, options)
    in_names, out_names = keras_names(model)
    spec = [tf.TensorSpec(t.shape, t.dtype, name=n) for t, n in zip(model.inputs, in_names)]
    function = tf.function(lambda *xs: model(list(xs) if len(xs) > 1 else xs[0], training=False))
    tf2onnx.convert.from_function(
        function,
        input_signature=spec,
        opset=options.get("opset_version") or DEFAULT_OPSET,
        output_path=output,
    )
    rename_outputs(output, out_names)


def rename_outputs(path, names):
    """Names the ONNX outputs after the Keras output layers, in order."""
    import onnx

    model = onnx.load(path)
    if len(model.graph.output) != len(names):
        return
    renames = {o.name: n for o, n in zip(model.graph.output, names)}
    for node in model.graph.node:
        node.output[:] = [renames.get(x, x) for x in node.output]
        node.input[:] = [renames.get(x, x) for x in node.input]
    for o in model.graph.output:
        o.name = renames[o.name]
    onnx.save(model, path)


def run_keras(source, options, inputs):
    _, model = load_keras(source, options)
    given = dict(inputs)
    in_names, out_names = keras_names(model)
    values = [given[n] for n in in_names]
    result = model(values if len(values) > 1 else values[0], training=False)
    if not isinstance(result, (list, tuple)):
        result = [result]
    return {n: t.numpy() for n, t in zip(out_names, result)}


# --- TFLite -------------------------------------------------------------------------


def convert_tflite(source, options, output):
    tf2onnx_cli(
        ["--tflite", source, "--output", output,
         "--opset", str(options.get("opset_version") or DEFAULT_OPSET)]
    )


def run_tflite(source, options, inputs):
    tf = require("tensorflow", "tensorflow-cpu")
    interpreter = tf.lite.Interpreter(model_path=source)
    details = {d["name"]: d for d in interpreter.get_input_details()}
    for name, value in inputs:
        interpreter.resize_tensor_input(details[name]["index"], value.shape)
    interpreter.allocate_tensors()
    for name, value in inputs:
        interpreter.set_tensor(details[name]["index"], value)
    interpreter.invoke()
    return {d["name"]: interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()}


CONVERT = {"tensorflow": convert_saved_model, "keras": convert_keras, "tflite": convert_tflite}
RUN = {"tensorflow": run_saved_model, "keras": run_keras, "tflite": run_tflite}


if __name__ == "__main__":
    main(
        lambda source, options, output: CONVERT[options["format"]](source, options, output),
        lambda source, options, inputs, _: RUN[options["format"]](source, options, inputs),
    )
