#!/usr/bin/env python3
"""A YOLOv5s detection client: image in, boxes with class names out.

    python3 examples/yolov5_client.py -m yolov5s /usr/share/darknet/data/dog.jpg

The image is letterboxed to 640x640 (aspect kept, grey 114 padding), scaled to [0, 1] and
sent as FP32 [1, 3, 640, 640] (`images`). The model answers `output0` [1, 25200, 85]: per
candidate box cx, cy, w, h (pixels of the 640 input), objectness and 80 class scores, as
YOLOv5's ONNX export does. Decoding: score = objectness x class score, keep scores over
--conf, non-maximum suppression per class at --iou, map the boxes back to the original
image. The benchmark model (scripts/make_benchmark_models.py) has random weights, so its
boxes mean nothing; the decoding is the one trained weights need.
"""

import argparse
import sys

import numpy as np
from PIL import Image

import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

COCO = (
    "person bicycle car motorcycle airplane bus train truck boat traffic_light fire_hydrant stop_sign "
    "parking_meter bench bird cat dog horse sheep cow elephant bear zebra giraffe backpack umbrella "
    "handbag tie suitcase frisbee skis snowboard sports_ball kite baseball_bat baseball_glove skateboard "
    "surfboard tennis_racket bottle wine_glass cup fork knife spoon bowl banana apple sandwich orange "
    "broccoli carrot hot_dog pizza donut cake chair couch potted_plant bed dining_table toilet tv laptop "
    "mouse remote keyboard cell_phone microwave oven toaster sink refrigerator book clock vase scissors "
    "teddy_bear hair_drier toothbrush"
).split()


def letterbox(image, size=640, fill=114):
    """(CHW FP32 in [0, 1], scale, (pad_x, pad_y)): the image resized into size x size."""
    w, h = image.size
    scale = min(size / w, size / h)
    nw, nh = round(w * scale), round(h * scale)
    canvas = Image.new("RGB", (size, size), (fill, fill, fill))
    pad_x, pad_y = (size - nw) // 2, (size - nh) // 2
    canvas.paste(image.resize((nw, nh), Image.BILINEAR), (pad_x, pad_y))
    x = np.asarray(canvas, dtype=np.float32).transpose(2, 0, 1) / 255.0
    return np.ascontiguousarray(x), scale, (pad_x, pad_y)


def iou(box, boxes):
    """Intersection over union of one x1,y1,x2,y2 box with each of `boxes`."""
    x1 = np.maximum(box[0], boxes[:, 0])
    y1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[2], boxes[:, 2])
    y2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def nms(boxes, scores, iou_threshold):
    """Indices of the boxes kept, highest score first."""
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        i = order[0]
        keep.append(int(i))
        if order.size == 1:
            break
        rest = order[1:]
        order = rest[iou(boxes[i], boxes[rest]) <= iou_threshold]
    return keep


def decode(output, conf=0.25, iou_threshold=0.45, max_det=300):
    """output: [N, 85] for one image. Returns [(x1, y1, x2, y2, score, class)] in input pixels,
    best first, after per-class NMS."""
    output = np.asarray(output, dtype=np.float32)
    scores_all = output[:, 5:] * output[:, 4:5]
    classes = scores_all.argmax(1)
    scores = scores_all[np.arange(len(output)), classes]
    mask = scores > conf
    if not mask.any():
        return []
    boxes_cxcywh, scores, classes = output[mask, :4], scores[mask], classes[mask]
    boxes = np.stack(
        [
            boxes_cxcywh[:, 0] - boxes_cxcywh[:, 2] / 2,
            boxes_cxcywh[:, 1] - boxes_cxcywh[:, 3] / 2,
            boxes_cxcywh[:, 0] + boxes_cxcywh[:, 2] / 2,
            boxes_cxcywh[:, 1] + boxes_cxcywh[:, 3] / 2,
        ],
        1,
    )
    # Per-class NMS in one pass: shift each class's boxes far apart.
    offset = classes[:, None].astype(np.float32) * 4096.0
    keep = nms(boxes + offset, scores, iou_threshold)[:max_det]
    return [(*boxes[i].tolist(), float(scores[i]), int(classes[i])) for i in keep]


def to_original(detections, scale, pad, width, height):
    """Boxes from letterboxed input pixels back to the original image's pixels."""
    out = []
    for x1, y1, x2, y2, score, cls in detections:
        box = [(x1 - pad[0]) / scale, (y1 - pad[1]) / scale, (x2 - pad[0]) / scale, (y2 - pad[1]) / scale]
        box = [min(max(v, 0.0), lim) for v, lim in zip(box, (width, height, width, height))]
        out.append((*box, score, cls))
    return out


def infer(protocol, url, model, x):
    lib = grpcclient if protocol == "grpc" else httpclient
    client = lib.InferenceServerClient(url)
    try:
        inp = lib.InferInput("images", list(x.shape), "FP32")
        if protocol == "grpc":
            inp.set_data_from_numpy(x)
            out = lib.InferRequestedOutput("output0")
        else:
            inp.set_data_from_numpy(x, binary_data=True)
            out = lib.InferRequestedOutput("output0", binary_data=True)
        return client.infer(model, [inp], outputs=[out]).as_numpy("output0")
    finally:
        client.close()


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("images", nargs="+")
    parser.add_argument("-m", "--model", default="yolov5s")
    parser.add_argument("-i", "--protocol", choices=["grpc", "http"], default="grpc")
    parser.add_argument("-u", "--url", default=None)
    parser.add_argument("--conf", type=float, default=0.25)
    parser.add_argument("--iou", type=float, default=0.45)
    parser.add_argument("--show", type=int, default=10, help="detections printed per image")
    args = parser.parse_args(argv)
    url = args.url or ("127.0.0.1:8500" if args.protocol == "grpc" else "127.0.0.1:8501")
    for path in args.images:
        image = Image.open(path).convert("RGB")
        x, scale, pad = letterbox(image)
        output = infer(args.protocol, url, args.model, x[None])
        if output.ndim != 3 or output.shape[0] != 1 or output.shape[2] != 5 + len(COCO):
            sys.exit(f"unexpected output shape {output.shape}; expected [1, N, {5 + len(COCO)}]")
        detections = to_original(decode(output[0], args.conf, args.iou), scale, pad, *image.size)
        print(f"Image: {path!r}: {len(detections)} detections (of {output.shape[1]} candidates)")
        for x1, y1, x2, y2, score, cls in detections[: args.show]:
            print(f"  {{'class': {cls}, 'label': '{COCO[cls]}', 'score': {score:.3f}, "
                  f"'box': [{x1:.0f}, {y1:.0f}, {x2:.0f}, {y2:.0f}]}}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
