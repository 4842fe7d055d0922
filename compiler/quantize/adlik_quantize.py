#!/usr/bin/env python3
"""Static post-training int8 quantisation for adlik_compiler, and its accuracy report.

    adlik_quantize.py --framework onnx|openvino --model IN --output OUT
        --calibration DIR --validation DIR [--labels FILE]
        [--mean M] [--std S] [--layout nchw|nhwc] [--max-loss POINTS] [--samples DIR]

onnx: ONNX Runtime's quantize_static, QDQ format (int8 weights per channel, uint8
activations), calibrated with MinMax over the calibration samples. openvino: NNCF's
nncf.quantize over an OpenVINO IR (model.xml; OUT is the quantised model.xml).

A dataset folder holds one sample per file, in name order: `.npy` (the model's only input,
with or without its batch dimension of 1), `.npz` (one array per input name), or an
image (.jpg, .jpeg, .png, .bmp, .ppm) for a model with one image input: converted to RGB,
resized so that it covers the input's height and width divided by 0.875 and centre-cropped
to them (224 of 256, as ImageNet classifiers are evaluated), scaled as (pixel - mean) / std,
laid out as --layout. The labels file has one `FILE LABEL` line per labelled validation file (the
file's name in the folder, the class index); `#` starts a comment line.

The report (stdout): top-1 agreement of the int8 model with the fp32 one over the
validation samples, top-1 accuracy of both over the labelled ones, and each model's mean
time per sample in its runtime's own Python API (batch 1). --samples DIR also writes the
validation samples as the models took them, for the caller to time them elsewhere:
DIR/samples.txt has one line per sample, in the validation order, of `FILE INPUT` pairs
(FILE a .npy in DIR), and DIR/bare_ms.txt the two times, fp32 then int8. Exit status: 0 done;
3 the agreement lost more than --max-loss points (the report is printed and OUT is
written, for the caller to time; it must not be used); 2 a bad dataset or argument;
4 a Python package is missing.
"""

import argparse
import contextlib
import io
import os
import sys
import time

# ONNX Runtime's official wheel starts a telemetry system on import unless this is set first.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".ppm")
CROP_FRACTION = 0.875  # the centre crop of an image sample: 224 of 256


def fail(message, status=2):
    print(f"adlik_quantize: {message}", file=sys.stderr)
    sys.exit(status)


def need(module, package):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as e:
        fail(f"the Python package '{package}' is needed for int8 ({e}); "
             f"install it: python3 -m pip install {package}", 4)


np = need("numpy", "numpy")


class Model:
    """A model in its runtime's own Python API: inputs (name, shape), run(feeds) -> list."""

    def __init__(self, framework, path):
        if framework == "onnx":
            ort = need("onnxruntime", "onnxruntime")
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
            self.inputs = [(i.name, i.shape) for i in self.session.get_inputs()]
            self.run = lambda feeds: self.session.run(None, feeds)
        else:
            ov = need("openvino", "openvino")
            core = ov.Core()
            model = core.read_model(path)
            self.inputs = [(p.get_any_name(), [d.get_length() if d.is_static else None
                                               for d in p.get_partial_shape()])
                           for p in model.inputs]
            compiled = core.compile_model(model, "CPU", {"INFERENCE_NUM_THREADS": 1})
            request = compiled.create_infer_request()
            self.run = lambda feeds: [request.infer(feeds)[o] for o in compiled.outputs]


def static_dim(d, default):
    return d if isinstance(d, int) and d > 0 else default


def load_sample(path, inputs, args):
    name = os.path.basename(path)
    lower = name.lower()
    first, shape = inputs[0]
    if lower.endswith(".npz"):
        with np.load(path) as z:
            missing = [n for n, _ in inputs if n not in z.files]
            if missing:
                fail(f"{path}: no array for input(s) {', '.join(missing)} (it has {', '.join(z.files)})")
            return {n: batched(z[n], s, path) for n, s in inputs}
    if lower.endswith(".npy") or lower.endswith(IMAGE_EXTENSIONS):
        if len(inputs) != 1:
            fail(f"{path}: the model has {len(inputs)} inputs; give each sample as a .npz "
                 f"with arrays {', '.join(n for n, _ in inputs)}")
        if lower.endswith(".npy"):
            return {first: batched(np.load(path), shape, path)}
        return {first: image(path, shape, args)}
    fail(f"{path}: not a sample (.npy, .npz or an image: {', '.join(IMAGE_EXTENSIONS)})")


def batched(array, shape, path):
    if len(shape) == array.ndim + 1:
        array = array[np.newaxis]
    if len(shape) != array.ndim:
        fail(f"{path}: shape {list(array.shape)} does not fit the input's {shape}")
    return array.astype(np.float32) if array.dtype == np.float64 else array


def image(path, shape, args):
    pil = need("PIL.Image", "pillow")
    if len(shape) != 4:
        fail(f"{path}: an image needs an input of 4 dimensions, the model's is {shape}")
    h, w = (shape[2], shape[3]) if args.layout == "nchw" else (shape[1], shape[2])
    h, w = static_dim(h, 224), static_dim(w, 224)
    try:
        img = pil.open(path).convert("RGB")
        scale = max(h / CROP_FRACTION / img.height, w / CROP_FRACTION / img.width)
        img = img.resize((max(w, round(img.width * scale)), max(h, round(img.height * scale))),
                         pil.BILINEAR)
    except OSError as e:
        fail(f"{path}: not a readable image ({e})")
    left, top = (img.width - w) // 2, (img.height - h) // 2
    img = img.crop((left, top, left + w, top + h))
    x = (np.asarray(img, dtype=np.float32) - args.mean) / args.std
    if args.layout == "nchw":
        x = x.transpose(2, 0, 1)
    return x[np.newaxis]


def load_folder(folder, inputs, args, what):
    if not os.path.isdir(folder):
        fail(f"{what} '{folder}' is not a folder")
    files = sorted(f for f in os.listdir(folder) if not f.startswith("."))
    if not files:
        fail(f"{what} '{folder}' holds no samples")
    return [(f, load_sample(os.path.join(folder, f), inputs, args)) for f in files]


def load_labels(path, names):
    labels = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            if len(parts) != 2 or not parts[1].lstrip("-").isdigit():
                fail(f"{path}:{n}: expected 'FILE LABEL' (a class index), got {line.strip()!r}")
            if parts[0] not in names:
                fail(f"{path}:{n}: '{parts[0]}' is not a file of the validation folder")
            labels[parts[0]] = int(parts[1])
    return labels


def top1(outputs):
    return int(np.argmax(np.asarray(outputs[0]).reshape(-1)))


def evaluate(model, samples):
    predictions, seconds = [], 0.0
    model.run(samples[0][1])  # warm-up
    for _, feeds in samples:
        start = time.perf_counter()
        out = model.run(feeds)
        seconds += time.perf_counter() - start
        predictions.append(top1(out))
    return predictions, seconds / len(samples) * 1e3


def quantize_onnx(args, calibration):
    q = need("onnxruntime.quantization", "onnxruntime")

    class Reader(q.CalibrationDataReader):
        def __init__(self):
            self.it = iter(feeds for _, feeds in calibration)

        def get_next(self):
            return next(self.it, None)

    q.quantize_static(args.model, args.output + ".tmp", Reader(),
                      quant_format=q.QuantFormat.QDQ, per_channel=True,
                      activation_type=q.QuantType.QUInt8, weight_type=q.QuantType.QInt8)


def quantize_openvino(args, calibration):
    ov = need("openvino", "openvino")
    nncf = need("nncf", "nncf")
    model = ov.Core().read_model(args.model)
    with contextlib.redirect_stdout(io.StringIO()):  # NNCF's progress bars
        quantized = nncf.quantize(model, nncf.Dataset([feeds for _, feeds in calibration]),
                                  subset_size=len(calibration))
    ov.save_model(quantized, args.output + ".tmp.xml", compress_to_fp16=False)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--framework", choices=["onnx", "openvino"], required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--calibration", required=True)
    p.add_argument("--validation", required=True)
    p.add_argument("--labels")
    p.add_argument("--mean", type=float, default=0.0)
    p.add_argument("--std", type=float, default=1.0)
    p.add_argument("--layout", choices=["nchw", "nhwc"], default="nchw")
    p.add_argument("--max-loss", type=float, default=1.0)
    p.add_argument("--samples", help="a folder to write the validation samples and bare times to")
    args = p.parse_args()
    if args.std == 0:
        fail("image_std must not be 0")

    fp32 = Model(args.framework, args.model)
    calibration = load_folder(args.calibration, fp32.inputs, args, "calibration_dataset")
    validation = load_folder(args.validation, fp32.inputs, args, "validation_dataset")
    labels = load_labels(args.labels, {f for f, _ in validation}) if args.labels else {}

    if args.framework == "onnx":
        quantize_onnx(args, calibration)
        out = args.output + ".tmp"
    else:
        quantize_openvino(args, calibration)
        out = args.output + ".tmp.xml"
    int8 = Model(args.framework, out)

    ref, ref_ms = evaluate(fp32, validation)
    got, got_ms = evaluate(int8, validation)
    n = len(validation)
    agree = sum(a == b for a, b in zip(ref, got)) * 100.0 / n
    loss = 100.0 - agree
    print(f"int8 ({'ONNX Runtime QDQ' if args.framework == 'onnx' else 'NNCF'}), "
          f"calibrated on {len(calibration)} samples, validated on {n}:")
    print(f"  top-1 agreement with fp32: {agree:.2f} % ({loss:.2f} points lost, "
          f"limit {args.max_loss:g})")
    labelled = [i for i, (f, _) in enumerate(validation) if f in labels]
    if labelled:
        truth = [labels[validation[i][0]] for i in labelled]
        acc32 = sum(ref[i] == t for i, t in zip(labelled, truth)) * 100.0 / len(labelled)
        acc8 = sum(got[i] == t for i, t in zip(labelled, truth)) * 100.0 / len(labelled)
        print(f"  top-1 accuracy on {len(labelled)} labelled: fp32 {acc32:.2f} %, int8 {acc8:.2f} %")
    print(f"  bare ({'onnxruntime' if args.framework == 'onnx' else 'openvino'} Python, 1 thread, "
          f"batch 1): fp32 {ref_ms:.3f} ms, int8 {got_ms:.3f} ms per sample "
          f"(int8/fp32 {got_ms / ref_ms:.2f})")
    sys.stdout.flush()
    os.replace(out, args.output)
    if args.framework == "openvino":
        os.replace(out[:-4] + ".bin", args.output[:-4] + ".bin")
    if args.samples:
        write_samples(args.samples, validation, ref_ms, got_ms)
    if loss > args.max_loss:
        fail(f"int8 lost {loss:.2f} points of top-1 agreement, above max_accuracy_loss "
             f"{args.max_loss:g}", 3)


def write_samples(folder, samples, ref_ms, got_ms):
    os.makedirs(folder, exist_ok=True)
    lines = []
    for i, (_, feeds) in enumerate(samples):
        pairs = []
        for j, (name, array) in enumerate(feeds.items()):
            file = f"{i}_{j}.npy"
            np.save(os.path.join(folder, file), np.ascontiguousarray(array))
            pairs.append(f"{file} {name}")
        lines.append(" ".join(pairs) + "\n")
    with open(os.path.join(folder, "samples.txt"), "w") as f:
        f.writelines(lines)
    with open(os.path.join(folder, "bare_ms.txt"), "w") as f:
        f.write(f"{ref_ms} {got_ms}\n")


if __name__ == "__main__":
    main()
