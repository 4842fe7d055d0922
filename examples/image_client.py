#!/usr/bin/env python3
"""The seed's ResNet-50 classification client, with the standard KServe client (tritonclient).

    python3 examples/image_client.py -m resnet50 IMAGE [IMAGE ...]
    python3 examples/image_client.py -m efficientnet_lite0 --scaling 127 -t examples/data/val_map.txt \\
        examples/data/pickup.jpg /usr/share/darknet/data/eagle.jpg

Each image is resized so that its shorter side is 256, centre-cropped to 224x224,
normalised (ImageNet mean/std, or (x - 127) / 128 for EfficientNet-Lite with --scaling 127),
and sent in batches over gRPC or HTTP. The server's classification extension returns the
top K classes with the labels of the model's label file; each image prints as the seed's
client printed it:

    Image: 'pickup.jpg', result: [{'idx': 717, 'score': 9.43, 'label': '717 pickup'}]

With -t VAL_MAP (lines "FILE_NAME CLASS_INDEX", as ImageNet's val_map.txt) it also prints
top-1 and top-K accuracy over the images named in the map. --raw asks for the whole output
tensor and ranks it here instead of on the server (the two must agree).
"""

import argparse
import os
import sys

import numpy as np
from PIL import Image

import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def preprocess(path, size=224, resize=256, scaling="imagenet", layout="NCHW"):
    """Resize (shorter side to `resize`), centre-crop `size`, normalise; returns CHW/HWC FP32."""
    image = Image.open(path).convert("RGB")
    w, h = image.size
    scale = resize / min(w, h)
    image = image.resize((max(size, round(w * scale)), max(size, round(h * scale))), Image.BILINEAR)
    w, h = image.size
    left, top = (w - size) // 2, (h - size) // 2
    x = np.asarray(image.crop((left, top, left + size, top + size)), dtype=np.float32)
    if scaling == "imagenet":
        x = (x / 255.0 - IMAGENET_MEAN) / IMAGENET_STD
    elif scaling == "127":
        x = (x - 127.0) / 128.0
    elif scaling != "none":
        raise ValueError(f"unknown scaling {scaling!r}")
    return np.ascontiguousarray(x.transpose(2, 0, 1) if layout == "NCHW" else x)


def read_val_map(path):
    """{file name: class index} from lines "FILE_NAME CLASS_INDEX"."""
    truth = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            if len(parts) != 2 or not parts[1].lstrip("-").isdigit():
                sys.exit(f"{path}:{n}: expected 'FILE_NAME CLASS_INDEX', got {line.strip()!r}")
            truth[parts[0]] = int(parts[1])
    return truth


class Client:
    """One protocol's client and the model's input/output description."""

    def __init__(self, protocol, url, model, version=""):
        self.protocol = protocol
        self.lib = grpcclient if protocol == "grpc" else httpclient
        self.client = self.lib.InferenceServerClient(url)
        self.model, self.version = model, version
        if protocol == "grpc":
            meta = self.client.get_model_metadata(model, version, as_json=True)
            config = self.client.get_model_config(model, version, as_json=True)["config"]
        else:
            meta = self.client.get_model_metadata(model, version)
            config = self.client.get_model_config(model, version)
        if len(meta["inputs"]) != 1 or len(meta["outputs"]) < 1:
            sys.exit(f"model {model} must take one image input and give a score output")
        self.input = meta["inputs"][0]
        self.output = meta["outputs"][0]["name"]
        self.max_batch = int(config.get("max_batch_size", 0))
        dims = [int(d) for d in self.input["shape"]][1 if self.max_batch > 0 else 0 :]
        if len(dims) != 3:
            sys.exit(f"input {self.input['name']} has shape {self.input['shape']}; expected an image")
        self.layout = "NCHW" if dims[0] == 3 else "NHWC"
        self.size = dims[1] if self.layout == "NCHW" else dims[0]

    def classify(self, batch, k, raw):
        """batch: [N, ...] FP32. Returns per image a list of {'idx', 'score', 'label'}."""
        if self.max_batch == 0:
            return [r for image in batch for r in self.classify_one(image, k, raw)]
        return self.classify_batch(batch, k, raw)

    def classify_one(self, image, k, raw):
        return self._infer(image, k, raw, batched=False)

    def classify_batch(self, batch, k, raw):
        return self._infer(batch, k, raw, batched=True)

    def _infer(self, data, k, raw, batched):
        inp = self.lib.InferInput(self.input["name"], list(data.shape), "FP32")
        if self.protocol == "grpc":
            inp.set_data_from_numpy(data)
            out = self.lib.InferRequestedOutput(self.output, class_count=0 if raw else k)
        else:
            inp.set_data_from_numpy(data, binary_data=True)
            out = self.lib.InferRequestedOutput(self.output, binary_data=True, class_count=0 if raw else k)
        result = self.client.infer(self.model, [inp], outputs=[out], model_version=self.version)
        values = result.as_numpy(self.output)
        if not batched:
            values = values[None]
        if raw:
            return [top_k(row.reshape(-1), k) for row in values]
        return [[parse_class(entry) for entry in row] for row in values]

    def close(self):
        self.client.close()


def top_k(scores, k):
    """The k highest scores, highest first (ties: lower index first), without labels."""
    order = np.argsort(-scores, kind="stable")[:k]
    return [{"idx": int(i), "score": float(scores[i]), "label": ""} for i in order]


def parse_class(entry):
    """A classification-extension entry "score:index[:label]"."""
    text = entry.decode() if isinstance(entry, bytes) else str(entry)
    parts = text.split(":", 2)
    return {"idx": int(parts[1]), "score": float(parts[0]), "label": parts[2] if len(parts) > 2 else ""}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("images", nargs="+", help="image files (JPEG, PNG, ...)")
    parser.add_argument("-m", "--model", default="resnet50")
    parser.add_argument("-x", "--model-version", default="")
    parser.add_argument("-i", "--protocol", choices=["grpc", "http"], default="grpc")
    parser.add_argument("-u", "--url", default=None, help="host:port (default 127.0.0.1:8500 gRPC, :8501 HTTP)")
    parser.add_argument("-k", "--top", type=int, default=1, help="classes per image (default 1)")
    parser.add_argument("-b", "--batch-size", type=int, default=8, help="images per request (<= max_batch_size)")
    parser.add_argument("-t", "--val-map", help="ground truth, 'FILE_NAME CLASS_INDEX' per line: print accuracy")
    parser.add_argument("--scaling", choices=["imagenet", "127", "none"], default="imagenet")
    parser.add_argument("--raw", action="store_true", help="rank the output tensor here, not on the server")
    args = parser.parse_args(argv)
    url = args.url or ("127.0.0.1:8500" if args.protocol == "grpc" else "127.0.0.1:8501")

    client = Client(args.protocol, url, args.model, args.model_version)
    batch_size = max(1, min(args.batch_size, client.max_batch or 1))
    results = {}
    for start in range(0, len(args.images), batch_size):
        paths = args.images[start : start + batch_size]
        batch = np.stack([preprocess(p, client.size, scaling=args.scaling, layout=client.layout) for p in paths])
        for path, top in zip(paths, client.classify(batch, args.top, args.raw)):
            results[path] = top
            print(f"Image: {path!r}, result: {top}")
    client.close()

    if args.val_map:
        truth = read_val_map(args.val_map)
        scored = [(p, truth[os.path.basename(p)]) for p in args.images if os.path.basename(p) in truth]
        if not scored:
            sys.exit(f"none of the images is named in {args.val_map}")
        top1 = sum(1 for p, want in scored if results[p][0]["idx"] == want)
        topk = sum(1 for p, want in scored if any(r["idx"] == want for r in results[p]))
        n = len(scored)
        print(f"Accuracy over {n} images: top-1 {top1}/{n} = {top1 / n:.3f}, top-{args.top} {topk}/{n} = {topk / n:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
