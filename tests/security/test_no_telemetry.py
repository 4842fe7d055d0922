"""Nothing leaves the machine: ONNX Runtime's official build starts a telemetry system
(a Microsoft collector host, /tmp/mat-debug-PID.log, a database under ~/.cache/Microsoft)
with its first environment unless told not to. The ONNX Runtime plugin turns it off
before anything else."""

import os
import time

import numpy as np

import support


def test_serving_onnx_models_starts_no_telemetry(repo, tmp_path, start_server):
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ, HOME=str(home))
    env.pop("ORT_DISABLE_TELEMETRY", None)
    started = time.time()
    srv = start_server(repo, "--model_control_mode=explicit", "--load_model=simple", env=env)
    a = np.ones((1, 16), dtype=np.int32)
    out = support.infer("grpc", srv.grpc_url, "simple", {"INPUT0": a, "INPUT1": a}, ["OUTPUT0"])
    np.testing.assert_array_equal(out["OUTPUT0"], 2 * a)
    pid = srv.proc.pid
    # A file of an earlier process with the same id may be there: only a new one counts.
    log = f"/tmp/mat-debug-{pid}.log"
    assert not os.path.exists(log) or os.path.getmtime(log) < started - 1, log
    assert not (home / ".cache" / "Microsoft").exists()
    assert list(home.iterdir()) == [], list(home.rglob("*"))
