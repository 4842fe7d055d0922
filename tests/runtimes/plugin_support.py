"""Helpers for the runtime plugin tests (tests/runtimes/).

They use the server and plugins of one build folder: the folder of ADLIK_SERVING's parent
(default build/, so build/bin/adlik_serving, build/bin/libadlik_runtime_*.so and the test
plugins in build/runtimes/testing/). Servers are started with --runtime_dir pointing at a
temporary folder that holds links to exactly the plugins a test wants: --runtime_dir replaces
the default (the binary's folder), so every runtime a server needs must be linked there,
with the libraries it loads from its own folder (libonnxruntime.so.1 and ONNX Runtime's
provider libraries beside the ONNX Runtime plugin).
"""

import glob
import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import support  # noqa: E402  (tests/integration/support.py)

RUNTIMES_SRC = os.path.join(support.ROOT, "runtimes")


def api_version():
    """(ADLIK_RUNTIME_API_VERSION_MAJOR, _MINOR), as include/adlik/runtime_api.h defines them."""
    found = {}
    with open(os.path.join(support.ROOT, "include", "adlik", "runtime_api.h")) as f:
        for line in f:
            for part in ("MAJOR", "MINOR"):
                if line.startswith(f"#define ADLIK_RUNTIME_API_VERSION_{part} "):
                    found[part] = int(line.split()[2])
    if len(found) != 2:
        raise AssertionError("no ADLIK_RUNTIME_API_VERSION_MAJOR/MINOR in include/adlik/runtime_api.h")
    return found["MAJOR"], found["MINOR"]


def build_dir():
    """The build folder the server binary belongs to."""
    return os.path.dirname(os.path.dirname(os.path.abspath(support.server_binary())))


def bin_dir():
    return os.path.dirname(os.path.abspath(support.server_binary()))


def testing_plugin_dir():
    return os.path.join(build_dir(), "runtimes", "testing")


def link_runtime(runtime_dir, path, name=None):
    """Links the plugin file `path` into runtime_dir, as libadlik_runtime_<name>.so if named."""
    target = os.path.join(str(runtime_dir), f"libadlik_runtime_{name}.so" if name else os.path.basename(path))
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} is missing: build the project first (scripts/build.sh)")
    os.symlink(os.path.abspath(path), target)


def link_built_runtime(runtime_dir, name):
    """Links build/bin's plugin `name`, and for onnxruntime the libraries it loads beside it."""
    link_runtime(runtime_dir, os.path.join(bin_dir(), f"libadlik_runtime_{name}.so"))
    if name == "onnxruntime":
        for lib in glob.glob(os.path.join(bin_dir(), "libonnxruntime*.so*")):
            link_runtime(runtime_dir, lib)


def copy_example_simple(repo_dir, name="simple"):
    """runtimes/example/models/simple into repo_dir/name (the config's name follows)."""
    dst = os.path.join(str(repo_dir), name)
    shutil.copytree(os.path.join(RUNTIMES_SRC, "example", "models", "simple"), dst)
    if name != "simple":
        config = os.path.join(dst, "config.pbtxt")
        with open(config) as f:
            text = f.read().replace('name: "simple"', f'name: "{name}"')
        with open(config, "w") as f:
            f.write(text)
    return dst


def repository_index(url):
    """POST /v2/repository/index as {name: entry} (entries of the newest version)."""
    r = support.http_request(url, "POST", "/v2/repository/index", body={})
    assert r.status == 200, r
    return {e["name"]: e for e in r.json()}


# ---------------------------------------------------------------------------------------------
# Engine runtimes built behind a CMake option (OpenVINO, treelite, TFLite): their tests share
# these.


def engine_plugin(name, option):
    """build/bin's libadlik_runtime_<name>.so; skips the calling module where it is not built,
    unless <option>=1 in the environment (scripts/test.sh) says it must have been."""
    plugin = os.path.join(bin_dir(), f"libadlik_runtime_{name}.so")
    if not os.path.exists(plugin):
        if os.environ.get(option) == "1":
            raise RuntimeError(f"{option}=1 but {plugin} was not built (-D{option}=ON)")
        pytest.skip(f"the {name} runtime is not built (configure with -D{option}=ON after "
                    f"{option}=1 scripts/setup.sh)", allow_module_level=True)
    return plugin


def write_config(repo, name, text):
    """repo/name/config.pbtxt: `name: "<name>"` and `text`."""
    (repo / name / "config.pbtxt").write_text(f'name: "{name}"\n' + text)


def make_models(script, repo, expected, timeout=120):
    """Runs a make_*_models.py script: script REPO_DIR EXPECTED_DIR."""
    result = subprocess.run([sys.executable, script, str(repo), str(expected)],
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{script} failed:\n{result.stdout}\n{result.stderr}"


def add_model(repo, name, files, config_text):
    """repo/name/1 holding `files` ({file name: bytes}), with a config."""
    (repo / name / "1").mkdir(parents=True)
    for file, data in files.items():
        (repo / name / "1" / file).write_bytes(data)
    write_config(repo, name, config_text)


def serve(repo, log_dir, name):
    """A module-scoped server fixture's body: yields the started server, then stops it."""
    srv = support.Server(repo, log_dir, name=name).start()
    yield srv
    assert srv.stop() == 0, srv.log_tail()


def check_without_engine_library(plugin, rpath_part, model_dir, config_text, library, tmp_path,
                                 start_server, example_repo):
    """Serves the example ONNX model `simple` and the model folder `model_dir` (config
    `config_text`) with `plugin` rewritten so that its rpath's `rpath_part` points nowhere, as
    where its engine is not installed: `simple` must serve, and the model must be UNAVAILABLE
    with a reason naming `library`."""
    data = open(plugin, "rb").read()
    part = rpath_part.encode()
    assert data.count(part) == 1, f"the plugin's rpath ({rpath_part}) is not where expected"
    runtime_dir = tmp_path / "runtimes"
    runtime_dir.mkdir()
    (runtime_dir / os.path.basename(plugin)).write_bytes(data.replace(part, part[:-1] + b"~"))
    link_built_runtime(runtime_dir, "onnxruntime")
    repo = tmp_path / "repo"
    shutil.copytree(os.path.join(str(example_repo), "simple"), repo / "simple")
    name = os.path.basename(str(model_dir))
    shutil.copytree(model_dir, repo / name)
    write_config(repo, name, config_text)
    srv = start_server(repo, f"--runtime_dir={runtime_dir}", name=f"{name}_missing_lib")
    support.check_simple(srv.http_url, "http_binary", batch=2)
    index = repository_index(srv.http_url)
    assert index["simple"]["state"] == "READY"
    assert index[name]["state"] == "UNAVAILABLE", index[name]
    assert library in index[name]["reason"], index[name]
