"""Fixtures of the integration tests (the shared ones are in tests/conftest.py).

The session starts one adlik_serving on a repository holding the example models and
three broken models, and stops it with SIGTERM at the end, expecting exit code 0.
"""

import os
import shutil

import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

import support


@pytest.fixture(scope="session")
def model_repo(tmp_path_factory, example_repo):
    """The example models plus the broken ones (see support.add_broken_models)."""
    path = tmp_path_factory.mktemp("models") / "repo"
    shutil.copytree(example_repo, path)
    support.add_broken_models(str(path))
    return path


@pytest.fixture(scope="session")
def server(model_repo, log_dir):
    srv = support.Server(model_repo, log_dir, name="main", extra_args=["--http_num_threads=4"]).start()
    yield srv
    code = srv.stop()
    assert code == 0, f"server exit code {code} after SIGTERM (None: did not exit):\n{srv.log_tail()}"


@pytest.fixture(scope="session")
def http_url(server):
    return server.http_url


@pytest.fixture(scope="session")
def grpc_url(server):
    return server.grpc_url


@pytest.fixture
def http_client(http_url):
    client = httpclient.InferenceServerClient(http_url)
    yield client
    client.close()


@pytest.fixture
def grpc_client(grpc_url):
    client = grpcclient.InferenceServerClient(grpc_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def example_model_file(example_repo):
    def path(model):
        return os.path.join(str(example_repo), model, "1", "model.onnx")

    return path
