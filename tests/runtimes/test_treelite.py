"""The treelite runtime (runtimes/treelite/, built with -DADLIK_WITH_TREELITE=ON).

Tree models are fitted at test time with xgboost and lightgbm (tests/runtimes/
make_treelite_models.py), which also writes treelite's own predictions (treelite.gtil in
Python, the same library as the runtime's) and the training library's; the served outputs
must equal treelite's and match the training library's. Served: an XGBoost JSON classifier
with dynamic batching on two instances, a LightGBM text model without a batch dimension, a
scikit-learn random forest saved as a treelite checkpoint,
broken files, and the plugin with libtreelite.so missing.
"""

import concurrent.futures
import os
import shutil

import numpy as np
import pytest
import tritonclient.http as httpclient

import plugin_support as ps
import support

PLUGIN = ps.engine_plugin("treelite", "ADLIK_WITH_TREELITE")
MAKE_MODELS = os.path.join(os.path.dirname(__file__), "make_treelite_models.py")
write_config = ps.write_config

# model -> input dtype (XGBoost models take FP32, LightGBM models FP64).
MODELS = {"xgb_binary": np.float32, "lgbm_multiclass": np.float64, "sklearn_forest": None}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """(repository, folder of the expected outputs)."""
    repo = tmp_path_factory.mktemp("treelite_repo")
    expected = tmp_path_factory.mktemp("treelite_expected")
    ps.make_models(MAKE_MODELS, repo, expected)

    shutil.copytree(repo / "xgb_binary", repo / "xgb_batched")
    write_config(repo, "xgb_batched", 'platform: "treelite"\nmax_batch_size: 64\n'
                 'dynamic_batching { max_queue_delay_microseconds: 2000 }\n'
                 'instance_group [ { count: 2 kind: KIND_CPU } ]\n'
                 'parameters { key: "nthread" value { string_value: "1" } }\n')
    # The LightGBM file, its format named by the parameter rather than the extension.
    (repo / "lgbm_by_type" / "1").mkdir(parents=True)
    shutil.copy(repo / "lgbm_multiclass" / "1" / "model.txt", repo / "lgbm_by_type" / "1" / "trees.model")
    write_config(repo, "lgbm_by_type", 'backend: "treelite"\ndefault_model_filename: "trees.model"\n'
                 'parameters { key: "model_type" value { string_value: "lightgbm" } }\n')

    def broken(name, files, config_text='platform: "treelite"\n'):
        ps.add_model(repo, name, files, config_text)

    broken("tl_corrupt_json", {"model.json": b'{"learner": {"gradient_booster": '})
    broken("tl_unknown_extension", {"model.bin": b"trees"},
           'backend: "treelite"\ndefault_model_filename: "model.bin"\n')
    broken("tl_bad_model_type", {"model.json": b"{}"},
           'platform: "treelite"\nparameters { key: "model_type" value { string_value: "catboost" } }\n')
    broken("tl_missing_file", {"other.json": b"{}"})
    return repo, expected


@pytest.fixture(scope="module")
def server(models, log_dir):
    repo, _ = models
    yield from ps.serve(repo, log_dir, "treelite")


@pytest.mark.parametrize("model", ["xgb_binary", "lgbm_multiclass", "lgbm_by_type", "sklearn_forest"])
@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_outputs_equal_treelites(server, models, model, protocol):
    _, expected = models
    source = "lgbm_multiclass" if model == "lgbm_by_type" else model
    client = httpclient.InferenceServerClient(server.http_url)
    try:
        datatype = client.get_model_metadata(model)["inputs"][0]["datatype"]
    finally:
        client.close()
    assert MODELS[source] is None or datatype == {np.float32: "FP32", np.float64: "FP64"}[MODELS[source]]
    x = np.load(expected / f"{source}_x.npy").astype(np.float32 if datatype == "FP32" else np.float64)
    want = np.load(expected / f"{source}_y.npy")
    url = server.grpc_url if protocol == "grpc" else server.http_url
    out = support.infer(protocol, url, model, {"input__0": x}, ["output__0"])["output__0"]
    assert out.dtype == want.dtype and out.shape == want.shape, (out.dtype, out.shape, want.dtype, want.shape)
    np.testing.assert_array_equal(out, want)
    engine = np.load(expected / f"{source}_engine.npy")
    np.testing.assert_allclose(out.reshape(engine.shape), engine, rtol=1e-5, atol=1e-6)


def test_config_completed_from_the_model(server):
    client = httpclient.InferenceServerClient(server.http_url)
    try:
        xgb = client.get_model_config("xgb_binary")
        lgbm = client.get_model_config("lgbm_multiclass")
    finally:
        client.close()
    assert xgb["platform"] == "treelite" and xgb["backend"] == "treelite", xgb
    assert [(t["name"], t["data_type"], t["dims"]) for t in xgb["input"]] == [("input__0", "TYPE_FP32", [8])]
    assert [(t["name"], t["data_type"], t["dims"]) for t in xgb["output"]] == [("output__0", "TYPE_FP32", [1, 1])]
    assert lgbm["max_batch_size"] == 0
    assert [(t["name"], t["data_type"], t["dims"]) for t in lgbm["input"]] == [("input__0", "TYPE_FP64", [-1, 6])]
    assert [(t["name"], t["data_type"], t["dims"]) for t in lgbm["output"]] == [("output__0", "TYPE_FP64", [-1, 1, 3])]


def test_concurrent_batches_on_two_instances(server, models):
    _, expected = models
    x = np.load(expected / "xgb_binary_x.npy")
    want = np.load(expected / "xgb_binary_y.npy")

    def one(k):
        rows = [k % 7, (k + 3) % 7]
        out = support.infer("grpc", server.grpc_url, "xgb_batched", {"input__0": x[rows]}, ["output__0"])
        np.testing.assert_array_equal(out["output__0"], want[rows])

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        list(pool.map(one, range(48)))


def test_broken_models_are_unavailable_with_their_reason(server, models):
    repo, _ = models
    index = ps.repository_index(server.http_url)
    assert index["xgb_binary"]["state"] == "READY"
    reasons = {
        "tl_corrupt_json": f"cannot load '{repo / 'tl_corrupt_json' / '1' / 'model.json'}' as xgboost_json: ",
        "tl_unknown_extension": "cannot tell its format from the extension",
        "tl_bad_model_type": "parameter model_type: 'catboost' is not one of",
        "tl_missing_file": str(repo / "tl_missing_file" / "1" / "model.json"),
    }
    for model, reason in reasons.items():
        assert index[model]["state"] == "UNAVAILABLE", index[model]
        assert reason in index[model]["reason"], index[model]


def test_without_its_library_only_treelite_models_are_unavailable(models, tmp_path, start_server, example_repo):
    repo, _ = models
    ps.check_without_engine_library(PLUGIN, "/treelite/lib", repo / "xgb_binary",
                                    'backend: "treelite"\nmax_batch_size: 64\n', "libtreelite.so", tmp_path,
                                    start_server, example_repo)
