"""examples/image_client.py, the seed's classification flow, against the example
`classifier` (random weights, labels class_0000..class_0999): images in, top-K
{'idx', 'score', 'label'} out, over both protocols, batched, ranked by the server or
locally, and the accuracy mode over a ground-truth map. With the real EfficientNet-Lite0
built (examples/make_efficientnet_lite0.py), a real photo must come out with its label."""

import ast
import os
import re
import shutil
import subprocess
import sys

import pytest

import support

CLIENT = os.path.join(support.ROOT, "examples", "image_client.py")
PICKUP = os.path.join(support.ROOT, "examples", "data", "pickup.jpg")
VAL_MAP = os.path.join(support.ROOT, "examples", "data", "val_map.txt")
LINE = re.compile(r"^Image: '(?P<path>[^']+)', result: (?P<result>\[.*\])$")


def run_client(*args):
    r = subprocess.run([sys.executable, CLIENT, *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    results = {}
    for line in r.stdout.splitlines():
        m = LINE.match(line)
        if m:
            results[m["path"]] = ast.literal_eval(m["result"])
    return results, r.stdout


def url(server, protocol):
    return server.grpc_url if protocol == "grpc" else server.http_url


@pytest.mark.parametrize("protocol", ["grpc", "http"])
def test_top_k_with_labels(example_server, protocol):
    results, _ = run_client("-m", "classifier", "-i", protocol, "-u", url(example_server, protocol), "-k", "3", PICKUP)
    top = results[PICKUP]
    assert len(top) == 3
    for entry in top:
        assert set(entry) == {"idx", "score", "label"}
        assert 0 <= entry["idx"] < 1000
        assert entry["label"] == f"class_{entry['idx']:04d}"
    scores = [e["score"] for e in top]
    assert scores == sorted(scores, reverse=True)
    assert len({e["idx"] for e in top}) == 3


def test_protocols_batching_and_local_ranking_agree(example_server, tmp_path):
    second = str(tmp_path / "second.png")
    from PIL import Image

    Image.open(PICKUP).transpose(Image.FLIP_LEFT_RIGHT).save(second)
    images = [PICKUP, second]
    grpc, _ = run_client("-m", "classifier", "-u", example_server.grpc_url, "-k", "5", "-b", "2", *images)
    http, _ = run_client("-m", "classifier", "-i", "http", "-u", example_server.http_url, "-k", "5", "-b", "1", *images)
    raw, _ = run_client("-m", "classifier", "-u", example_server.grpc_url, "-k", "5", "--raw", *images)
    for path in images:
        want = [e["idx"] for e in grpc[path]]
        assert [e["idx"] for e in http[path]] == want
        assert [e["idx"] for e in raw[path]] == want
        for a, b in zip(grpc[path], raw[path]):
            assert a["score"] == pytest.approx(b["score"], rel=1e-5, abs=1e-5)
    # Different images give different scores (the image really reaches the model).
    assert [e["score"] for e in grpc[PICKUP]] != [e["score"] for e in grpc[second]]


def test_accuracy_mode(example_server, tmp_path):
    a, b = str(tmp_path / "a.jpg"), str(tmp_path / "b.jpg")
    shutil.copy(PICKUP, a)
    shutil.copy(PICKUP, b)
    results, _ = run_client("-m", "classifier", "-u", example_server.grpc_url, "-k", "3", a)
    top = [e["idx"] for e in results[a]]
    wrong = next(i for i in range(1000) if i not in top)
    val_map = tmp_path / "val_map.txt"
    val_map.write_text(f"# file class\na.jpg {top[0]}\nb.jpg {wrong}\n")
    _, out = run_client("-m", "classifier", "-u", example_server.grpc_url, "-k", "3", "-t", str(val_map), a, b)
    assert "Accuracy over 2 images: top-1 1/2 = 0.500, top-3 1/2 = 0.500" in out, out


REAL_REPO = os.path.join(os.path.expanduser("~"), ".cache", "adlik", "example_models")
EAGLE = "/usr/share/darknet/data/eagle.jpg"


@pytest.mark.skipif(
    not os.path.exists(os.path.join(REAL_REPO, "efficientnet_lite0", "1", "model.onnx")) or not os.path.exists(EAGLE),
    reason="needs ADLIK_SETUP_BENCH=1 scripts/setup.sh and /usr/bin/python3 examples/make_efficientnet_lite0.py",
)
def test_real_weights_name_a_real_photo(tmp_path, log_dir):
    repo = tmp_path / "real"
    repo.mkdir()
    os.symlink(os.path.join(REAL_REPO, "efficientnet_lite0"), repo / "efficientnet_lite0")
    srv = support.Server(repo, log_dir, name="real").start()
    try:
        results, out = run_client(
            "-m", "efficientnet_lite0", "-u", srv.grpc_url, "--scaling", "127", "-k", "5", "-t", VAL_MAP, PICKUP, EAGLE
        )
    finally:
        assert srv.stop() == 0, srv.log_tail()
    assert results[PICKUP][0]["idx"] == 717 and results[PICKUP][0]["label"] == "717 pickup", results[PICKUP]
    assert 22 in [e["idx"] for e in results[EAGLE]], results[EAGLE]  # bald eagle in the top 5
    assert "top-5 2/2 = 1.000" in out, out
