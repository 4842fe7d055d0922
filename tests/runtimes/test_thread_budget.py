"""ONNX Runtime models share the runtime's thread pools, sized from --cores.

Every ONNX Runtime session used to own its thread pools, so a server's thread count grew with
the number of models it loaded (the ONNX node suite: ~1,785 threads on 2 cores). The runtime
now creates one set of global pools from the server's thread budget (--cores) and its sessions
use those. Loading 40 models must not add threads per model: the server with 40 ONNX models
runs (nearly) as many threads as with one, and finding their runtime loads no other plugin.
"""

import os
import shutil

import plugin_support as ps
import support

MODELS = 40


def threads_of(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise AssertionError(f"no Threads in /proc/{pid}/status")


def serve_copies(example_repo, tmp_path, log_dir, count):
    repo = tmp_path / f"repo_{count}"
    repo.mkdir()
    for k in range(count):
        dst = repo / f"simple_{k}"
        shutil.copytree(os.path.join(str(example_repo), "simple"), dst)
        config = dst / "config.pbtxt"
        config.write_text(config.read_text().replace('name: "simple"', f'name: "simple_{k}"'))
    srv = support.Server(repo, log_dir, name=f"threads_{count}", extra_args=["--cores=2"]).start()
    index = ps.repository_index(srv.http_url)
    assert all(m["state"] == "READY" for m in index.values()), index
    assert len(index) == count
    return srv


def test_threads_do_not_grow_with_the_number_of_models(example_repo, tmp_path, log_dir):
    one = serve_copies(example_repo, tmp_path, log_dir, 1)
    try:
        with_one = threads_of(one.proc.pid)
    finally:
        assert one.stop() == 0, one.log_tail()
    many = serve_copies(example_repo, tmp_path, log_dir, MODELS)
    try:
        with_many = threads_of(many.proc.pid)
        log = many.log_text()
    finally:
        assert many.stop() == 0, many.log_tail()
    assert "onnxruntime: 2 threads shared by all models" in log
    # Finding the runtime of `platform: "onnxruntime_onnx"` loads no other plugin (the others
    # in build/bin are described by adlik_runtime_describe, in a process of their own).
    assert "runtime 'onnxruntime' loaded from" in log
    assert "runtime 'example' loaded from" not in log and "runtime 'libtorch' loaded from" not in log
    # Per-model pools would add at least one thread per model (39 here).
    assert with_many - with_one < 8, f"1 model: {with_one} threads, {MODELS} models: {with_many}"
