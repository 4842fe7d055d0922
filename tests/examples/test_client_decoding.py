"""The pre- and post-processing of the YOLOv5s and BERT example clients, on synthetic
tensors: letterboxing and box mapping, NMS, SQuAD input encoding and span decoding. The
clients against the real benchmark models run only with ADLIK_TEST_BENCH_MODELS=1 (the
models are large; scripts/make_benchmark_models.py makes them)."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import support
from example_modules import load_example

yolo = load_example("yolov5_client")
bert = load_example("bert_squad_client")


def candidate(cx, cy, w, h, obj, cls, score):
    row = np.zeros(85, dtype=np.float32)
    row[:5] = [cx, cy, w, h, obj]
    row[5 + cls] = score
    return row


def test_nms_keeps_one_of_overlapping_boxes_per_class():
    out = np.stack(
        [
            candidate(100, 100, 50, 50, 0.9, 16, 0.9),  # dog
            candidate(102, 101, 50, 50, 0.9, 16, 0.8),  # the same dog, lower score
            candidate(101, 100, 50, 50, 0.9, 1, 0.7),  # a bicycle in the same place
            candidate(400, 400, 40, 40, 0.9, 16, 0.6),  # another dog
            candidate(300, 300, 40, 40, 0.2, 16, 0.5),  # below the threshold (0.1 < 0.25)
        ]
    )
    dets = yolo.decode(out, conf=0.25, iou_threshold=0.45)
    assert [(d[5], round(d[4], 2)) for d in dets] == [(16, 0.81), (1, 0.63), (16, 0.54)]
    x1, y1, x2, y2 = dets[0][:4]
    assert (x1, y1, x2, y2) == pytest.approx((75, 75, 125, 125))


def test_letterbox_and_mapping_back():
    image = Image.new("RGB", (1280, 640), (255, 0, 0))
    x, scale, pad = yolo.letterbox(image)
    assert x.shape == (3, 640, 640) and x.dtype == np.float32
    assert scale == 0.5 and pad == (0, 160)
    assert x[0, 0, 0] == pytest.approx(114 / 255)  # padding
    assert x[0, 320, 320] == pytest.approx(1.0)  # the red image
    back = yolo.to_original([(100, 260, 200, 360, 0.9, 0)], scale, pad, 1280, 640)
    assert back[0][:4] == pytest.approx((200, 200, 400, 400))


def test_squad_encoding():
    tok = bert.Tokenizer()
    arrays, word_of = bert.encode(tok, "Where is it?", "It is on the porch.")
    for name in ("input_ids", "attention_mask", "token_type_ids"):
        assert arrays[name].shape == (1, 384) and arrays[name].dtype == np.int64
    ids, mask, types = arrays["input_ids"][0], arrays["attention_mask"][0], arrays["token_type_ids"][0]
    # [CLS] where is it ? [SEP] it is on the porch . [SEP]
    assert ids[0] == 101 and ids[5] == 102 and ids[12] == 102 and ids[13] == 0
    assert mask.sum() == 13 and types.sum() == 7 and types[6] == 1 and types[5] == 0
    assert word_of[:7] == [-1, -1, -1, -1, -1, -1, 0] and word_of[12] == -1
    assert ids.max() < 30522


def test_span_decoding_stays_in_the_context():
    tok = bert.Tokenizer()
    context = "The dog sits on the porch near a red bicycle."
    _, word_of = bert.encode(tok, "Where is the dog?", context)
    start, end = np.full(384, -100, np.float32), np.full(384, -100, np.float32)
    start[0] = end[0] = 100  # [CLS]: never an answer
    first = word_of.index(4)  # "the" (porch)
    start[first], end[first + 1] = 5, 4  # "the porch"
    end[first - 1] = 100  # best after "the" only if an end could precede its start
    s, e, score = bert.best_span(start, end, word_of)
    assert (s, e, score) == (first, first + 1, 9.0)
    assert bert.answer_text(context, word_of, s, e) == "the porch"


def test_wordpiece(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "play", "##ing", "the"]) + "\n")
    tok = bert.Tokenizer(str(vocab))
    assert [(p, i) for p, i, _ in tok.tokenize("Playing the xyz")] == [("play", 4), ("##ing", 5), ("the", 6), ("xyz", 1)]
    assert tok.special("[CLS]") == 2


BENCH_REPO = os.path.join(os.path.expanduser("~"), ".cache", "adlik", "bench_models")
DOG = "/usr/share/darknet/data/dog.jpg"


@pytest.mark.skipif(os.environ.get("ADLIK_TEST_BENCH_MODELS") != "1", reason="set ADLIK_TEST_BENCH_MODELS=1")
def test_clients_against_the_benchmark_models(tmp_path, log_dir):
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("yolov5s", "bert"):
        os.symlink(os.path.join(BENCH_REPO, name), repo / name)
    srv = support.Server(repo, log_dir, name="bench_models", extra_args=["--grpc_max_message_mb=256"]).start()
    try:
        image = DOG if os.path.exists(DOG) else os.path.join(support.ROOT, "examples", "data", "pickup.jpg")
        r = subprocess.run(
            [sys.executable, os.path.join(support.ROOT, "examples", "yolov5_client.py"), "-u", srv.grpc_url, image],
            capture_output=True, text=True, timeout=300,
        )
        assert r.returncode == 0, r.stdout + r.stderr
        assert "(of 25200 candidates)" in r.stdout
        r = subprocess.run(
            [sys.executable, os.path.join(support.ROOT, "examples", "bert_squad_client.py"), "-i", "http",
             "-u", srv.http_url, "-q", "Where is the dog?", "-c", "The dog sits on the porch."],
            capture_output=True, text=True, timeout=300,
        )
        assert r.returncode == 0, r.stdout + r.stderr
        assert "Answer: '" in r.stdout
    finally:
        assert srv.stop() == 0, srv.log_tail()
