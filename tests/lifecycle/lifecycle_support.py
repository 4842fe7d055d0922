"""Helpers of the lifecycle tests: `simple`-like models whose versions compute
distinguishable results, atomic changes to a live repository, the repository index,
waiting for a change to show, and a client thread that keeps inferring."""

import os
import shutil
import threading
import time

import numpy as np
import onnx
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from onnx import TensorProto, helper, numpy_helper

import support

CHANGE_TIMEOUT_S = 30  # a poll every second; a change shows long before this

CORRUPT_ONNX = b"definitely not an ONNX model \x00\xff\xfe\x01" * 32


def offset_simple_model(offset):
    """`simple` with a twist: OUTPUT0 = INPUT0 + INPUT1 + offset, OUTPUT1 = INPUT0 - INPUT1
    (INT32 [batch, 16]). offset 0 is the example `simple`; any other value makes the
    copy that answered a request recognisable from its output."""
    shape = ["batch", 16]
    nodes = [helper.make_node("Sub", ["INPUT0", "INPUT1"], ["OUTPUT1"], name="sub")]
    initializers = []
    if offset == 0:
        nodes.append(helper.make_node("Add", ["INPUT0", "INPUT1"], ["OUTPUT0"], name="add"))
    else:
        nodes.append(helper.make_node("Add", ["INPUT0", "INPUT1"], ["sum"], name="add"))
        nodes.append(helper.make_node("Add", ["sum", "offset"], ["OUTPUT0"], name="add_offset"))
        initializers.append(numpy_helper.from_array(np.array([offset], dtype=np.int32), "offset"))

    def value(name):
        return helper.make_tensor_value_info(name, TensorProto.INT32, shape)

    graph = helper.make_graph(
        nodes,
        "simple",
        [value("INPUT0"), value("INPUT1")],
        [value("OUTPUT0"), value("OUTPUT1")],
        initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()


def simple_config(name="simple", max_batch_size=8, extra=""):
    """The example `simple` config (INT32 [16] pairs), with `extra` text appended."""
    return (
        f'name: "{name}"\n'
        'platform: "onnxruntime_onnx"\n'
        f"max_batch_size: {max_batch_size}\n"
        "input [\n"
        '  { name: "INPUT0" data_type: TYPE_INT32 dims: [ 16 ] },\n'
        '  { name: "INPUT1" data_type: TYPE_INT32 dims: [ 16 ] }\n'
        "]\n"
        "output [\n"
        '  { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 16 ] },\n'
        '  { name: "OUTPUT1" data_type: TYPE_INT32 dims: [ 16 ] }\n'
        "]\n" + extra
    )


# ---------------------------------------------------------------------------------------
# Atomic changes to a repository a server may be reading at any moment: everything is
# written under a staging folder on the same file system and renamed into place.


class Stager:
    def __init__(self, staging_dir):
        self.dir = str(staging_dir)
        self._n = 0

    def _fresh(self):
        self._n += 1
        path = os.path.join(self.dir, f"s{self._n}")
        os.makedirs(path)
        return path

    def write_file(self, path, data):
        """Replaces (or creates) the file `path` in one rename."""
        tmp = os.path.join(self._fresh(), "f")
        with open(tmp, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        os.replace(tmp, str(path))

    def add_dir(self, path, files):
        """Creates the folder `path` holding `files` (relative path -> bytes or str) in one
        rename."""
        tmp = os.path.join(self._fresh(), "d")
        for rel, data in files.items():
            p = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb" if isinstance(data, bytes) else "w") as f:
                f.write(data)
        os.rename(tmp, str(path))

    def remove_dir(self, path):
        """Takes the folder `path` out of the repository in one rename."""
        os.rename(str(path), os.path.join(self._fresh(), "gone"))


def simple_model_files(versions, config=None):
    """Files of a `simple`-like model: {version: offset}, and its config text (None: the
    example config)."""
    files = {"config.pbtxt": simple_config() if config is None else config}
    for v, offset in versions.items():
        files[f"{v}/model.onnx"] = offset_simple_model(offset)
    return files


def write_model(repo, name, files):
    """Writes a model folder into a repository no server reads yet."""
    for rel, data in files.items():
        p = os.path.join(str(repo), name, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)


def copy_example(example_repo, repo, name, as_name=None):
    shutil.copytree(os.path.join(str(example_repo), name), os.path.join(str(repo), as_name or name))


# ---------------------------------------------------------------------------------------
# The repository index


def index(url):
    r = support.http_request(url, "POST", "/v2/repository/index", {})
    assert r.status == 200, r
    return r.json()


def versions_of(entries, name):
    """{version: (state, reason)} of model `name` in an index."""
    return {e.get("version", ""): (e["state"], e.get("reason", "")) for e in entries if e["name"] == name}


def ready_versions(url, name):
    return sorted(int(v) for v, (state, _) in versions_of(index(url), name).items() if state == "READY")


def wait_for(predicate, what, timeout=CHANGE_TIMEOUT_S, interval=0.02):
    """Calls predicate() until it returns something true, and returns that; fails with
    `what` and the last value (or exception) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last = value
        except AssertionError as e:  # a check that has not come true yet
            last = e
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; last: {last!r}")
        time.sleep(interval)


def model_config(url, name):
    r = support.http_request(url, "GET", f"/v2/models/{name}/config")
    assert r.status == 200, r
    return r.json()


# ---------------------------------------------------------------------------------------
# Inference on `simple`-like models


def infer_simple(srv, protocol, model="simple", version="", batch=1, seed=0, client=None):
    """One inference on server `srv` over "http" or "grpc"; returns (a, b, OUTPUT0, OUTPUT1, the model_version that answered).
    Raises tritonclient's InferenceServerException when the server refuses it."""
    a, b = support.simple_inputs(batch, seed)
    own = client is None
    if protocol == "http":
        client = client or httpclient.InferenceServerClient(srv.http_url)
        mod = httpclient
    else:
        client = client or grpcclient.InferenceServerClient(srv.grpc_url)
        mod = grpcclient
    try:
        inputs = []
        for name, array in (("INPUT0", a), ("INPUT1", b)):
            i = mod.InferInput(name, list(array.shape), "INT32")
            i.set_data_from_numpy(array)
            inputs.append(i)
        outputs = [mod.InferRequestedOutput("OUTPUT0"), mod.InferRequestedOutput("OUTPUT1")]
        result = client.infer(model, inputs, outputs=outputs, model_version=version)
        response = result.get_response()
        answered = response["model_version"] if protocol == "http" else response.model_version
        return a, b, result.as_numpy("OUTPUT0"), result.as_numpy("OUTPUT1"), answered
    finally:
        if own:
            client.close()


def check_offset(srv, protocol, offset, model="simple", version="", batch=1, seed=0):
    """Infers and asserts OUTPUT0 = a + b + offset, OUTPUT1 = a - b; returns the version
    that answered."""
    a, b, out0, out1, answered = infer_simple(srv, protocol, model, version, batch, seed)
    np.testing.assert_array_equal(out0, a + b + np.int32(offset))
    np.testing.assert_array_equal(out1, a - b)
    return answered


class InferLoop:
    """A thread that keeps calling `model` (alternating HTTP and gRPC, one client of each)
    and checks every answer exactly: OUTPUT0 must be a + b + offsets[model_version]. It
    records successes per version, failures (with their messages) and whether an older
    version ever answered after a newer one had."""

    def __init__(self, srv, offsets, model="simple"):
        self.srv = srv
        self.offsets = offsets  # version string -> offset
        self.model = model
        self.successes = 0
        self.by_version = {}
        self.failures = []  # (iteration, message)
        self.regressions = []  # (iteration, version after a newer one)
        self._newest = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="infer-loop", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self, timeout=60):
        self._stop.set()
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the inference loop did not stop (a request hangs?)"

    def snapshot(self):
        with self._lock:
            return self.successes, len(self.failures)

    def wait_successes(self, more, timeout=CHANGE_TIMEOUT_S):
        """Waits until `more` further requests have succeeded."""
        target = self.snapshot()[0] + more
        wait_for(lambda: self.snapshot()[0] >= target or not self._thread.is_alive(),
                 f"{more} more successful inferences", timeout)
        assert self._thread.is_alive(), "the inference loop died"

    def wait_version(self, version, timeout=CHANGE_TIMEOUT_S):
        wait_for(lambda: self.by_version.get(version, 0) > 0, f"an answer from version {version}", timeout)

    def _run(self):
        http = httpclient.InferenceServerClient(self.srv.http_url)
        grpc = grpcclient.InferenceServerClient(self.srv.grpc_url)
        i = 0
        try:
            while not self._stop.is_set():
                protocol, client = ("http", http) if i % 2 == 0 else ("grpc", grpc)
                try:
                    a, b, out0, out1, version = infer_simple(self.srv, protocol, self.model, seed=i, client=client)
                    if version not in self.offsets:
                        raise AssertionError(f"answered by unexpected version {version!r}")
                    expected0 = a + b + np.int32(self.offsets[version])
                    if not (np.array_equal(out0, expected0) and np.array_equal(out1, a - b)):
                        raise AssertionError(f"{protocol}: wrong outputs from version {version}")
                except Exception as e:  # every kind of failure counts
                    with self._lock:
                        self.failures.append((i, f"{protocol}: {type(e).__name__}: {str(e)[:300]}"))
                else:
                    with self._lock:
                        self.successes += 1
                        self.by_version[version] = self.by_version.get(version, 0) + 1
                        if int(version) < self._newest:
                            self.regressions.append((i, version))
                        self._newest = max(self._newest, int(version))
                i += 1
        finally:
            http.close()
            grpc.close()
