"""A config can name only files inside its model's folder; the repository scan and the
loads survive folders that change under them, and a load that hangs costs nobody else.

Before: a config override with `label_filename: "../../x"` or an absolute one returned
the lines of any file through classification; `default_model_filename` loaded a model
from anywhere; folders created and deleted inside a version folder while the repository
was polled killed the process (an exception from the directory walk); a load that blocked
(a FIFO in place of the model file) froze health checks and inference for everyone."""

import http.client
import json
import os
import shutil
import threading
import time

import numpy as np
import pytest
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

import support

SECRET = "top-secret-line-1\ntop-secret-line-2\n"


def request(srv, method, path, body=None, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=timeout)
    try:
        conn.request(method, path, body=body)
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8")
    finally:
        conn.close()


def load(srv, model, config=None, timeout=60):
    body = json.dumps({"parameters": {"config": json.dumps(config)}}) if config else None
    return request(srv, "POST", f"/v2/repository/models/{model}/load", body, timeout)


def index(srv):
    status, text = request(srv, "POST", "/v2/repository/index", "{}")
    assert status == 200, text
    return {(m["name"], m.get("version", "")): m for m in json.loads(text)}


def classifier_config(label_filename):
    return {"max_batch_size": 8, "output": [{"name": "probabilities", "data_type": "TYPE_FP32",
                                             "dims": [10], "label_filename": label_filename}]}


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def test_label_and_model_files_must_stay_inside_the_model_folder(repo, secret, start_server):
    # A symlink inside the folder that points out of it is outside too.
    os.symlink(secret, repo / "classifier" / "link.txt")
    srv = start_server(repo, "--model_control_mode=explicit", "--load_model=classifier")
    config = json.loads(request(srv, "GET", "/v2/models/classifier/config")[1])
    output = config["output"][0]["name"]
    base = {"max_batch_size": config["max_batch_size"], "platform": "onnxruntime_onnx"}

    relative = os.path.relpath(secret, repo / "classifier")
    for name in (str(secret), relative, "link.txt", "../" * 30 + str(secret).lstrip("/"),
                 "/no/such/file", "../no-such-file"):
        cfg = dict(base, output=[{"name": output, "data_type": "TYPE_FP32",
                                  "dims": config["output"][0]["dims"], "label_filename": name}])
        status, text = load(srv, "classifier", cfg)
        assert status == 400, (name, text)
        # The same words whether the file exists or not: nothing learnt about it.
        assert f"label file '{name}' must name a file inside the model's folder" in text, text
        assert "top-secret" not in text

    for name in (str(secret), relative, "../../../../../../../bin/true"):
        status, text = load(srv, "classifier", dict(base, default_model_filename=name))
        assert status == 400, (name, text)
        assert "must name a file inside the model's folder" in text, text

    # The copy that served keeps serving, with no label from outside.
    client = httpclient.InferenceServerClient(srv.http_url)
    try:
        image = np.zeros([1] + config["input"][0]["dims"], dtype=np.float32)
        i = httpclient.InferInput(config["input"][0]["name"], list(image.shape), "FP32")
        i.set_data_from_numpy(image)
        result = client.infer("classifier", [i], outputs=[
            httpclient.InferRequestedOutput(output, class_count=3)])
        for entry in result.as_numpy(output).ravel():
            assert b"top-secret" not in entry
    finally:
        client.close()


def test_special_files_are_refused_not_read(repo, start_server, tmp_path):
    """A FIFO as the model file or config.pbtxt would block whoever reads it; a folder or a
    symlink loop as config.pbtxt was silently taken as no config."""
    model = repo / "simple" / "1" / "model.onnx"
    os.unlink(model)
    os.mkfifo(model)
    shutil.copytree(repo / "classifier", repo / "cfg_dir")
    os.unlink(repo / "cfg_dir" / "config.pbtxt")
    os.mkdir(repo / "cfg_dir" / "config.pbtxt")
    shutil.copytree(repo / "classifier", repo / "cfg_loop")
    os.unlink(repo / "cfg_loop" / "config.pbtxt")
    os.symlink("config.pbtxt", repo / "cfg_loop" / "config.pbtxt")
    srv = start_server(repo, "--fs_poll_wait_seconds=0")
    states = index(srv)
    assert states[("simple", "1")]["state"] == "UNAVAILABLE"
    assert "is not a regular file" in states[("simple", "1")]["reason"], states
    for name in ("cfg_dir", "cfg_loop"):
        entry = [m for (n, _), m in states.items() if n == name]
        assert entry and all(m["state"] == "UNAVAILABLE" for m in entry), states
        assert "config" in entry[0]["reason"], entry
    assert states[("classifier", "1")]["state"] == "READY"


def test_folders_churning_inside_a_version_folder(repo, start_server):
    srv = start_server(repo, "--fs_poll_wait_seconds=1")
    stop = threading.Event()

    def churn():
        base = repo / "simple" / "1"
        n = 0
        while not stop.is_set():
            d = base / f"tmp{n % 8}"
            try:
                os.makedirs(d / "a" / "b" / "c", exist_ok=True)
                (d / "a" / "f").write_bytes(b"x")
                shutil.rmtree(d, ignore_errors=True)
            except OSError:
                pass
            n += 1

    threads = [threading.Thread(target=churn) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 8  # 8 polls
        while time.monotonic() < deadline:
            assert srv.proc.poll() is None, srv.log_tail()
            status, _ = request(srv, "GET", "/v2/health/live")
            assert status == 200
            time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert srv.proc.poll() is None, srv.log_tail()
    a = np.arange(16, dtype=np.int32).reshape(1, 16)
    out = support.infer("http_json", srv.http_url, "simple", {"INPUT0": a, "INPUT1": a}, ["OUTPUT0"])
    np.testing.assert_array_equal(out["OUTPUT0"], 2 * a)


def test_a_hanging_load_blocks_nobody_and_times_out(repo, tmp_path, start_server):
    """A load that takes 30 s (the testing runtime's load_seconds) against a 3 s load
    timeout: health, metadata and inference answer while it runs, the load answers 503
    with the reason after the timeout, and the model is UNAVAILABLE with it."""
    import plugin_support  # tests/runtimes

    runtime_dir = tmp_path / "runtimes"
    runtime_dir.mkdir()
    plugin_support.link_built_runtime(runtime_dir, "onnxruntime")
    plugin_support.link_runtime(runtime_dir, os.path.join(
        plugin_support.testing_plugin_dir(), "libadlik_runtime_testing_good.so"), "testing_good")
    slow = repo / "slow"
    (slow / "1").mkdir(parents=True)
    (slow / "1" / "model.bin").write_bytes(b"x")
    (slow / "config.pbtxt").write_text(
        'backend: "testing_good"\ndefault_model_filename: "model.bin"\nmax_batch_size: 0\n'
        'parameters { key: "load_seconds" value { string_value: "30" } }\n')
    srv = start_server(repo, f"--runtime_dir={runtime_dir}", "--model_control_mode=explicit",
                       "--load_model=simple", "--model_load_timeout_seconds=3")
    answer = {}

    def load_slow():
        answer["start"] = time.monotonic()
        answer["result"] = load(srv, "slow", timeout=60)
        answer["end"] = time.monotonic()

    loader = threading.Thread(target=load_slow)
    loader.start()
    time.sleep(0.5)
    a = np.arange(16, dtype=np.int32).reshape(1, 16)
    answered = 0
    while loader.is_alive():
        assert request(srv, "GET", "/v2/health/ready", timeout=2)[0] == 200
        assert request(srv, "GET", "/v2/models/simple", timeout=2)[0] == 200
        out = support.infer("grpc", srv.grpc_url, "simple", {"INPUT0": a, "INPUT1": a}, ["OUTPUT0"])
        np.testing.assert_array_equal(out["OUTPUT0"], 2 * a)
        answered += 1
        time.sleep(0.2)
    loader.join()
    assert answered >= 3
    status, text = answer["result"]
    assert status == 503, text
    assert "did not finish within 3 s" in text, text
    assert answer["end"] - answer["start"] < 25  # answered at the timeout, not at the load's end
    entry = index(srv)[("slow", "1")]
    assert entry["state"] == "UNAVAILABLE" and "did not finish within 3 s" in entry["reason"], entry
