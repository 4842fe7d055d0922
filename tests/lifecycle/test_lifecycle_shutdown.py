"""SIGTERM while a model is loading (at start, through the repository API, after a
poll): the server does not hang, and exits 0."""

import http.client
import threading

import numpy as np
import onnx
import pytest
import tritonclient.grpc as grpcclient
from onnx import TensorProto, helper, numpy_helper
from tritonclient.utils import InferenceServerException

import lifecycle_support as ls
import support

# Far above how long the slow model takes to load (a few seconds); only a hang gets here.
EXIT_TIMEOUT_S = 120
CHAIN = 20000  # Add+Relu pairs: session creation takes seconds, the file is about 1 MB


@pytest.fixture(scope="module")
def slow_loading_model():
    """A model whose session takes seconds to create (a long chain of small nodes for the
    graph optimizer to walk): x + 1, ReLU, CHAIN times over, on FP32 [batch, 16]."""
    one = numpy_helper.from_array(np.ones((16,), dtype=np.float32), "one")
    nodes, prev = [], "x"
    for i in range(CHAIN):
        nodes.append(helper.make_node("Add", [prev, "one"], [f"t{i}"]))
        nodes.append(helper.make_node("Relu", [f"t{i}"], [f"r{i}"]))
        prev = f"r{i}"
    nodes.append(helper.make_node("Identity", [prev], ["y"]))
    graph = helper.make_graph(
        nodes,
        "slowload",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 16])],
        initializer=[one],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _slow_files(model):
    return {"1/model.onnx": model}


def _loading(srv):
    return ls.versions_of(ls.index(srv.http_url), "slowload").get("1", ("",))[0] == "LOADING"


def _stop(srv):
    code = srv.stop(timeout=EXIT_TIMEOUT_S)
    assert code is not None, f"no exit {EXIT_TIMEOUT_S} s after SIGTERM:\n{srv.log_tail()}"
    assert code == 0, f"exit code {code} after SIGTERM:\n{srv.log_tail()}"


def _signal_came_while_loading(srv):
    """From the log: SIGTERM was taken before the slow model's load had ended."""
    lines = srv.log_text().splitlines()
    signal_at = next((i for i, l in enumerate(lines) if "signal 15" in l), None)
    ended_at = next(
        (i for i, l in enumerate(lines) if "'slowload' version 1: READY" in l or "'slowload' version 1: UNAVAILABLE" in l),
        len(lines),
    )
    assert signal_at is not None, srv.log_tail()
    return signal_at < ended_at


def test_sigterm_during_the_initial_load(repo, example_repo, start_server, slow_loading_model):
    ls.copy_example(example_repo, repo, "simple")
    ls.write_model(repo, "slowload", _slow_files(slow_loading_model))
    srv = start_server(repo, wait_live=False)
    ls.wait_for(lambda: "'slowload' version 1: LOADING" in srv.log_text() or srv.proc.poll() is not None,
                "the initial load to start", timeout=60)
    assert srv.proc.poll() is None, srv.log_tail()
    _stop(srv)


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_sigterm_during_an_explicit_load(repo, example_repo, start_server, slow_loading_model, protocol):
    ls.copy_example(example_repo, repo, "simple")
    ls.write_model(repo, "slowload", _slow_files(slow_loading_model))
    srv = start_server(repo, "--model_control_mode=explicit", "--load_model=simple")
    outcome = []

    def load():
        try:
            if protocol == "http":
                r = support.http_request(srv.http_url, "POST", "/v2/repository/models/slowload/load", {},
                                         timeout=EXIT_TIMEOUT_S)
                outcome.append(r.status)
            else:
                client = grpcclient.InferenceServerClient(srv.grpc_url)
                try:
                    client.load_model("slowload", client_timeout=EXIT_TIMEOUT_S)
                    outcome.append("ok")
                finally:
                    client.close()
        except (OSError, InferenceServerException, http.client.HTTPException) as e:
            outcome.append(e)  # the server went away under the request: fine

    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    ls.wait_for(lambda: _loading(srv), "slowload LOADING", timeout=60)
    support.check_simple(srv.http_url)  # serving goes on during the load
    _stop(srv)
    loader.join(EXIT_TIMEOUT_S)
    assert not loader.is_alive(), "the load request never returned"
    assert outcome, "the load request thread ended without an outcome"
    assert _signal_came_while_loading(srv), "the load ended before SIGTERM: nothing was tested\n" + srv.log_tail()


def test_sigterm_during_a_polled_load(repo, example_repo, start_server, slow_loading_model):
    stage = ls.Stager(repo.parent / "staging")
    ls.copy_example(example_repo, repo, "simple")
    srv = start_server(repo, "--fs_poll_wait_seconds=1")
    stage.add_dir(repo / "slowload", _slow_files(slow_loading_model))
    ls.wait_for(lambda: _loading(srv), "slowload LOADING", timeout=60)
    support.check_simple(srv.http_url)
    _stop(srv)
    assert _signal_came_while_loading(srv), "the load ended before SIGTERM: nothing was tested\n" + srv.log_tail()
