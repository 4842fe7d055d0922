#!/usr/bin/python3
"""Writes the seed's benchmark models as a model repository, offline, with random weights.

    /usr/bin/python3 scripts/make_benchmark_models.py [--out DIR] [--force] [MODEL ...]

MODEL is any of resnet50, yolov5s, bert (default: all three). DIR defaults to
~/.cache/adlik/bench_models (outside the repository: the files are large). A model whose
files are already there from the same recipe is left as it is; --force rebuilds it.

    DIR/resnet50/config.pbtxt   torchvision ResNet-50: FP32 input [3,224,224] -> output [1000]
    DIR/yolov5s/config.pbtxt    YOLOv5s (v6 architecture, 640x640): images [3,640,640]
                                -> output0 [25200,85] (boxes decoded in the graph, as the
                                published export does: cx, cy, w, h, objectness, 80 classes)
    DIR/bert/config.pbtxt       BERT-base for SQuAD: 12 layers, hidden 768, 12 heads,
                                sequence 384; INT64 input_ids, attention_mask,
                                token_type_ids [384] -> FP32 start_logits, end_logits [384]
    DIR/*/1/model.onnx          ONNX fp32, batch dimension dynamic

Random weights (fixed seed) do the same compute as trained ones: the benchmark measures
time, not accuracy. Nothing is downloaded. Needs Debian's python3-torch and
python3-torchvision, so run it with /usr/bin/python3 (scripts/setup.sh installs them when
ADLIK_SETUP_BENCH=1).
"""

import argparse
import hashlib
import inspect
import os
import sys
import time

import torch
from torch import nn

OPSET = 17
SEED = 20240607
DEFAULT_OUT = os.path.join(os.path.expanduser("~"), ".cache", "adlik", "bench_models")


# ---------------------------------------------------------------------------------------
# YOLOv5s, the published v6 architecture (depth 0.33, width 0.50).


class Conv(nn.Module):
    """Conv2d (no bias) + BatchNorm + SiLU, padding k // 2 unless given."""

    def __init__(self, c1, c2, k=1, s=1, p=None):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2 if p is None else p, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c1, c2, shortcut=True, e=0.5):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c_, c2, 3, 1)
        self.add = shortcut and c1 == c2

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C3(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=True):
        super().__init__()
        c_ = c2 // 2
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c1, c_, 1, 1)
        self.cv3 = Conv(2 * c_, c2, 1)
        self.m = nn.Sequential(*(Bottleneck(c_, c_, shortcut, e=1.0) for _ in range(n)))

    def forward(self, x):
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        c_ = c1 // 2
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c_ * 4, c2, 1, 1)
        self.m = nn.MaxPool2d(kernel_size=k, stride=1, padding=k // 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))


class Detect(nn.Module):
    """The three output heads, with the box decoding of the published ONNX export."""

    ANCHORS = ((10, 13, 16, 30, 33, 23), (30, 61, 62, 45, 59, 119), (116, 90, 156, 198, 373, 326))
    STRIDES = (8, 16, 32)

    def __init__(self, channels, num_classes=80, image_size=640):
        super().__init__()
        self.no = num_classes + 5
        self.na = 3
        self.m = nn.ModuleList(nn.Conv2d(c, self.no * self.na, 1) for c in channels)
        for i, (anchors, stride) in enumerate(zip(self.ANCHORS, self.STRIDES)):
            n = image_size // stride
            yv, xv = torch.meshgrid(torch.arange(n, dtype=torch.float32), torch.arange(n, dtype=torch.float32), indexing="ij")
            grid = (torch.stack((xv, yv), 2) - 0.5).view(1, 1, n, n, 2)
            anchor_grid = torch.tensor(anchors, dtype=torch.float32).view(1, self.na, 1, 1, 2)
            self.register_buffer(f"grid{i}", grid.expand(1, self.na, n, n, 2).contiguous())
            self.register_buffer(f"anchor_grid{i}", anchor_grid.expand(1, self.na, n, n, 2).contiguous())

    def forward(self, xs):
        out = []
        for i, (x, stride) in enumerate(zip(xs, self.STRIDES)):
            x = self.m[i](x)
            bs, _, ny, nx = x.shape
            y = x.view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).sigmoid()
            xy, wh, conf = y.split((2, 2, self.no - 4), 4)
            xy = (xy * 2 + getattr(self, f"grid{i}")) * stride
            wh = (wh * 2) ** 2 * getattr(self, f"anchor_grid{i}")
            out.append(torch.cat((xy, wh, conf), 4).view(bs, self.na * nx * ny, self.no))
        return torch.cat(out, 1)


class YoloV5s(nn.Module):
    def __init__(self, num_classes=80):
        super().__init__()
        # Backbone (layers 0-9 of yolov5s.yaml).
        self.b0 = Conv(3, 32, 6, 2, 2)
        self.b1 = Conv(32, 64, 3, 2)
        self.b2 = C3(64, 64, 1)
        self.b3 = Conv(64, 128, 3, 2)
        self.b4 = C3(128, 128, 2)
        self.b5 = Conv(128, 256, 3, 2)
        self.b6 = C3(256, 256, 3)
        self.b7 = Conv(256, 512, 3, 2)
        self.b8 = C3(512, 512, 1)
        self.b9 = SPPF(512, 512, 5)
        # Head (layers 10-24).
        self.h10 = Conv(512, 256, 1, 1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.h13 = C3(512, 256, 1, shortcut=False)
        self.h14 = Conv(256, 128, 1, 1)
        self.h17 = C3(256, 128, 1, shortcut=False)
        self.h18 = Conv(128, 128, 3, 2)
        self.h20 = C3(256, 256, 1, shortcut=False)
        self.h21 = Conv(256, 256, 3, 2)
        self.h23 = C3(512, 512, 1, shortcut=False)
        self.detect = Detect((128, 256, 512), num_classes)

    def forward(self, x):
        x = self.b2(self.b1(self.b0(x)))
        p3 = self.b4(self.b3(x))
        p4 = self.b6(self.b5(p3))
        x = self.b9(self.b8(self.b7(p4)))
        h10 = self.h10(x)
        h14 = self.h14(self.h13(torch.cat((self.up(h10), p4), 1)))
        out_small = self.h17(torch.cat((self.up(h14), p3), 1))
        out_medium = self.h20(torch.cat((self.h18(out_small), h14), 1))
        out_large = self.h23(torch.cat((self.h21(out_medium), h10), 1))
        return self.detect((out_small, out_medium, out_large))


# ---------------------------------------------------------------------------------------
# BERT-base with a SQuAD span head (the architecture of bert-base-uncased fine-tuned on
# SQuAD v1.1), written out so that no package beyond torch is needed.


class BertLayer(nn.Module):
    def __init__(self, hidden, heads, intermediate):
        super().__init__()
        self.heads = heads
        self.head_size = hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attention_out = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.intermediate = nn.Linear(hidden, intermediate)
        self.act = nn.GELU()
        self.output = nn.Linear(intermediate, hidden)
        self.output_norm = nn.LayerNorm(hidden, eps=1e-12)

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.head_size).permute(0, 2, 1, 3)

    def forward(self, x, mask_bias):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / (self.head_size**0.5) + mask_bias
        context = torch.matmul(scores.softmax(-1), v).permute(0, 2, 1, 3).flatten(2)
        x = self.attention_norm(x + self.attention_out(context))
        return self.output_norm(x + self.output(self.act(self.intermediate(x))))


class BertForQuestionAnswering(nn.Module):
    def __init__(self, vocab=30522, hidden=768, layers=12, heads=12, intermediate=3072, max_positions=512, seq=384):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(max_positions, hidden)
        self.token_type = nn.Embedding(2, hidden)
        self.embedding_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(BertLayer(hidden, heads, intermediate) for _ in range(layers))
        self.qa_outputs = nn.Linear(hidden, 2)
        self.register_buffer("position_ids", torch.arange(seq).unsqueeze(0))

    def forward(self, input_ids, attention_mask, token_type_ids):
        x = self.word(input_ids) + self.position(self.position_ids) + self.token_type(token_type_ids)
        x = self.embedding_norm(x)
        mask_bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        for layer in self.layers:
            x = layer(x, mask_bias)
        logits = self.qa_outputs(x)
        start, end = logits.split(1, -1)
        return start.squeeze(-1), end.squeeze(-1)


# ---------------------------------------------------------------------------------------
# Export and repository entries.


def resnet50():
    import torchvision

    model = torchvision.models.resnet50(weights=None)
    inputs = (torch.randn(1, 3, 224, 224),)
    spec = dict(
        input_names=["input"],
        output_names=["output"],
        max_batch_size=128,
        inputs=[("input", "TYPE_FP32", [3, 224, 224])],
        outputs=[("output", "TYPE_FP32", [1000])],
    )
    return model, inputs, spec


def yolov5s():
    model = YoloV5s()
    inputs = (torch.rand(1, 3, 640, 640),)
    spec = dict(
        input_names=["images"],
        output_names=["output0"],
        max_batch_size=32,
        inputs=[("images", "TYPE_FP32", [3, 640, 640])],
        outputs=[("output0", "TYPE_FP32", [25200, 85])],
    )
    return model, inputs, spec


def bert():
    seq = 384
    model = BertForQuestionAnswering(seq=seq)
    inputs = (
        torch.randint(0, 30522, (1, seq), dtype=torch.int64),
        torch.ones(1, seq, dtype=torch.int64),
        torch.zeros(1, seq, dtype=torch.int64),
    )
    spec = dict(
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["start_logits", "end_logits"],
        max_batch_size=128,
        inputs=[(n, "TYPE_INT64", [seq]) for n in ("input_ids", "attention_mask", "token_type_ids")],
        outputs=[(n, "TYPE_FP32", [seq]) for n in ("start_logits", "end_logits")],
    )
    return model, inputs, spec


MODELS = {"resnet50": resnet50, "yolov5s": yolov5s, "bert": bert}


def config_text(name, spec):
    def tensors(kind, items):
        body = ",\n".join(
            f'  {{ name: "{n}" data_type: {t} dims: [ {", ".join(str(d) for d in dims)} ] }}' for n, t, dims in items
        )
        return f"{kind} [\n{body}\n]\n"

    return (
        f'name: "{name}"\n'
        'platform: "onnxruntime_onnx"\n'
        f"max_batch_size: {spec['max_batch_size']}\n"
        + tensors("input", spec["inputs"])
        + tensors("output", spec["outputs"])
        + "instance_group [ { count: 1 kind: KIND_CPU } ]\n"
    )


def recipe_stamp(name):
    """Changes whenever this script changes, so that a cached model is rebuilt then."""
    source = inspect.getsource(sys.modules[__name__])
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    return f"{name} torch {torch.__version__} opset {OPSET} seed {SEED} recipe {digest}\n"


def write_model(out_dir, name, force):
    model_dir = os.path.join(out_dir, name)
    onnx_path = os.path.join(model_dir, "1", "model.onnx")
    config_path = os.path.join(model_dir, "config.pbtxt")
    stamp_path = os.path.join(model_dir, ".recipe")
    stamp = recipe_stamp(name)
    if not force and os.path.exists(onnx_path) and os.path.exists(config_path):
        try:
            with open(stamp_path) as f:
                if f.read() == stamp:
                    print(f"{name}: up to date in {model_dir}")
                    return
        except OSError:
            pass
    torch.manual_seed(SEED)
    model, inputs, spec = MODELS[name]()
    model.eval()
    params = sum(p.numel() for p in model.parameters())
    os.makedirs(os.path.dirname(onnx_path), exist_ok=True)
    dynamic = {n: {0: "batch"} for n in spec["input_names"] + spec["output_names"]}
    start = time.monotonic()
    tmp = onnx_path + ".tmp"
    with torch.no_grad():
        torch.onnx.export(
            model,
            inputs,
            tmp,
            input_names=spec["input_names"],
            output_names=spec["output_names"],
            dynamic_axes=dynamic,
            opset_version=OPSET,
            do_constant_folding=True,
        )
    os.replace(tmp, onnx_path)
    with open(config_path, "w") as f:
        f.write(config_text(name, spec))
    with open(stamp_path, "w") as f:
        f.write(stamp)
    size_mb = os.path.getsize(onnx_path) / 1e6
    print(
        f"{name}: {params / 1e6:.1f} M parameters, {size_mb:.1f} MB ONNX, "
        f"exported in {time.monotonic() - start:.1f} s -> {model_dir}"
    )


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", metavar="MODEL", help=f"any of {', '.join(MODELS)} (default: all)")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"repository to write (default {DEFAULT_OUT})")
    parser.add_argument("--force", action="store_true", help="rebuild models that are up to date")
    args = parser.parse_args(argv)
    unknown = [m for m in args.models if m not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for name in args.models or list(MODELS):
        write_model(args.out, name, args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
