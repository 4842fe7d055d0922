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
import sys

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
