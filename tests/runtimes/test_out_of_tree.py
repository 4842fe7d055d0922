"""A runtime built out of tree, as a vendor would, served by the unmodified server.

Followed literally from docs/adding-a-runtime.md: install the SDK from the build folder to a
prefix, build runtimes/example as a separate CMake project against it (find_package(AdlikSDK)),
put the .so into a runtime folder of its own, and start build/bin/adlik_serving with
--runtime_dir pointing there. The same plugin is also built without CMake, with g++ and
pkg-config, as the guide shows, and with clang and libc++ (another C++ standard library than
the GCC-built server's libstdc++): only C crosses the plugin boundary, so it loads and serves.
"""

import concurrent.futures
import os
import shutil
import subprocess

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

import plugin_support as ps
import support

BUILD_TIMEOUT_S = 300


def run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, **kwargs)
    assert result.returncode == 0, f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def sdk_prefix(tmp_path_factory):
    """The SDK installed from the build folder: cmake --install BUILD --component sdk --prefix P."""
    prefix = tmp_path_factory.mktemp("sdk_prefix")
    build = ps.build_dir()
    assert os.path.exists(os.path.join(build, "CMakeCache.txt")), f"{build} is not a CMake build folder"
    run(["cmake", "--install", build, "--component", "sdk", "--prefix", str(prefix)])
    return prefix


@pytest.fixture(scope="module")
def example_plugin(sdk_prefix, tmp_path_factory):
    """runtimes/example built as its own CMake project against the installed SDK."""
    build = tmp_path_factory.mktemp("example_build")
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    run(
        ["cmake", "-S", os.path.join(ps.RUNTIMES_SRC, "example"), "-B", str(build),
         f"-DCMAKE_PREFIX_PATH={sdk_prefix}", "-DCMAKE_BUILD_TYPE=Release", *generator]
    )
    run(["cmake", "--build", str(build)])
    path = build / "libadlik_runtime_example.so"
    assert path.exists(), f"the build made no {path}"
    return path


def test_sdk_install_holds_headers_and_package_files(sdk_prefix):
    for header in ("runtime_api.h", "runtime.h", "status.h", "tensor.h", "data_type.h", "bytes_tensor.h"):
        assert (sdk_prefix / "include" / "adlik" / header).is_file(), header
    config_dir = sdk_prefix / "share" / "cmake" / "AdlikSDK"
    assert (config_dir / "AdlikSDKConfig.cmake").is_file()
    assert (config_dir / "adlik_runtime.map").is_file()
    version = (config_dir / "AdlikSDKConfigVersion.cmake").read_text()
    major, minor = ps.api_version()
    assert f'set(PACKAGE_VERSION "{major}.{minor}")' in version, "the package version is the runtime API version"
    # Only the SDK: no server, no plugin, no platform header.
    installed = sorted(str(p.relative_to(sdk_prefix)) for p in sdk_prefix.rglob("*") if p.is_file())
    assert all(p.startswith(("include/adlik/", "share/cmake/AdlikSDK/", "share/pkgconfig/")) for p in installed), installed


def test_find_package_refuses_another_major(sdk_prefix, tmp_path):
    """find_package(AdlikSDK <other major>) fails: a plugin of another major would be refused at load."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.21)\nproject(probe CXX)\nfind_package(AdlikSDK 999 REQUIRED CONFIG)\n"
    )
    result = subprocess.run(
        ["cmake", "-S", str(tmp_path / "src"), "-B", str(tmp_path / "build"), f"-DCMAKE_PREFIX_PATH={sdk_prefix}"],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
    )
    assert result.returncode != 0
    assert "AdlikSDK" in result.stderr and "999" in result.stderr, result.stderr


ENTRY_POINTS = sorted([
    "AdlikRuntimeApiVersion", "AdlikRuntimeDescribe", "AdlikRuntimeInit", "AdlikRuntimeFini",
    "AdlikModelInit", "AdlikModelFini", "AdlikInstanceInit", "AdlikInstanceFini",
    "AdlikInstanceExecute",
])


def exported(path):
    symbols = run(["nm", "-D", "--defined-only", str(path)]).stdout.splitlines()
    return sorted(line.split()[-1] for line in symbols if line.strip())


def test_example_plugin_exports_only_the_entry_points(example_plugin):
    assert [s for s in exported(example_plugin) if not s.startswith("_")] == ENTRY_POINTS
    assert not [s for s in exported(example_plugin) if s.startswith("_Z")]


@pytest.fixture(scope="module")
def libcxx_plugin(sdk_prefix, tmp_path_factory):
    """runtimes/example built out of tree with clang++ and libc++, not the server's GCC and libstdc++."""
    if shutil.which("clang++") is None:
        pytest.fail("clang++ is missing (scripts/setup.sh installs clang, libc++-dev, libc++abi-dev)")
    build = tmp_path_factory.mktemp("example_libcxx")
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    run(
        ["cmake", "-S", os.path.join(ps.RUNTIMES_SRC, "example"), "-B", str(build),
         f"-DCMAKE_PREFIX_PATH={sdk_prefix}", "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_CXX_COMPILER=clang++",
         "-DCMAKE_CXX_FLAGS=-stdlib=libc++", "-DCMAKE_MODULE_LINKER_FLAGS=-stdlib=libc++", *generator]
    )
    run(["cmake", "--build", str(build)])
    path = build / "libadlik_runtime_example.so"
    assert path.exists(), f"the build made no {path}"
    return path


def test_libcxx_plugin_links_libcxx_and_exports_only_c(libcxx_plugin):
    needed = run(["readelf", "-d", str(libcxx_plugin)]).stdout
    assert "libc++.so" in needed, needed
    assert "libstdc++" not in needed, needed
    assert [s for s in exported(libcxx_plugin) if not s.startswith("_")] == ENTRY_POINTS


def test_libcxx_plugin_serves_in_the_gcc_built_server(libcxx_plugin, tmp_path, log_dir):
    runtime_dir = tmp_path / "runtimes"
    runtime_dir.mkdir()
    ps.link_runtime(runtime_dir, str(libcxx_plugin))
    repo = tmp_path / "repo"
    repo.mkdir()
    ps.copy_example_simple(repo)
    srv = support.Server(repo, log_dir, name="libcxx", extra_args=[f"--runtime_dir={runtime_dir}"]).start()
    try:
        for protocol in support.PROTOCOLS:
            url = srv.grpc_url if protocol == "grpc" else srv.http_url
            for batch in (1, 4):
                support.check_simple(url, protocol, batch=batch, seed=batch)
        assert "runtime 'example' loaded from" in srv.log_text()
    finally:
        assert srv.stop() == 0, srv.log_tail()


@pytest.fixture(scope="module")
def out_of_tree_server(example_plugin, example_repo, tmp_path_factory, log_dir):
    """The server with the out-of-tree example plugin and build/bin's ONNX Runtime plugin."""
    runtime_dir = tmp_path_factory.mktemp("runtime_dir")
    ps.link_runtime(runtime_dir, str(example_plugin))
    ps.link_built_runtime(runtime_dir, "onnxruntime")
    repo = tmp_path_factory.mktemp("repo")
    ps.copy_example_simple(repo)
    shutil.copytree(os.path.join(str(example_repo), "simple"), repo / "simple_onnx")
    config = repo / "simple_onnx" / "config.pbtxt"
    config.write_text(config.read_text().replace('name: "simple"', 'name: "simple_onnx"'))
    srv = support.Server(repo, log_dir, name="out_of_tree", extra_args=[f"--runtime_dir={runtime_dir}"]).start()
    yield srv
    assert srv.stop() == 0, srv.log_tail()


def test_out_of_tree_plugin_is_loaded_from_runtime_dir(out_of_tree_server, example_plugin):
    index = ps.repository_index(out_of_tree_server.http_url)
    assert index["simple"]["state"] == "READY", index
    assert index["simple_onnx"]["state"] == "READY", index
    log = out_of_tree_server.log_text()
    assert "runtime 'example' loaded from" in log and "libadlik_runtime_example.so" in log, log


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_out_of_tree_example_serves_simple(out_of_tree_server, protocol):
    url = out_of_tree_server.grpc_url if protocol == "grpc" else out_of_tree_server.http_url
    for batch in (1, 3, 8):
        support.check_simple(url, protocol, batch=batch, seed=batch)


def test_example_and_onnxruntime_agree(out_of_tree_server):
    a, b = support.simple_inputs(4, seed=77)
    url = out_of_tree_server.http_url
    by_example = support.infer("http_binary", url, "simple", {"INPUT0": a, "INPUT1": b}, ["OUTPUT0", "OUTPUT1"])
    by_onnx = support.infer("http_binary", url, "simple_onnx", {"INPUT0": a, "INPUT1": b}, ["OUTPUT0", "OUTPUT1"])
    for name in ("OUTPUT0", "OUTPUT1"):
        np.testing.assert_array_equal(by_example[name], by_onnx[name])


def test_out_of_tree_example_under_concurrent_requests(out_of_tree_server):
    """Many clients at once: dynamic batching merges them onto the plugin's two instances."""
    url = out_of_tree_server.grpc_url

    def one(seed):
        client = grpcclient.InferenceServerClient(url)
        try:
            a, b = support.simple_inputs(1 + seed % 3, seed)
            inputs = []
            for name, array in (("INPUT0", a), ("INPUT1", b)):
                i = grpcclient.InferInput(name, list(array.shape), "INT32")
                i.set_data_from_numpy(array)
                inputs.append(i)
            result = client.infer("simple", inputs)
            np.testing.assert_array_equal(result.as_numpy("OUTPUT0"), a + b)
            np.testing.assert_array_equal(result.as_numpy("OUTPUT1"), a - b)
        finally:
            client.close()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(64)))


def test_metadata_reports_the_example_platform(out_of_tree_server):
    client = httpclient.InferenceServerClient(out_of_tree_server.http_url)
    try:
        metadata = client.get_model_metadata("simple")
        config = client.get_model_config("simple")
    finally:
        client.close()
    assert metadata["platform"] == "adlik_example", metadata
    assert [i["name"] for i in metadata["inputs"]] == ["INPUT0", "INPUT1"]
    assert config["backend"] == "example", config


def test_plugin_builds_without_cmake_through_pkg_config(sdk_prefix, tmp_path, example_repo, log_dir):
    """g++ $(pkg-config --cflags adlik-sdk) builds the same plugin, and the server takes it."""
    if shutil.which("pkg-config") is None:
        pytest.fail("pkg-config is missing (scripts/setup.sh installs it)")
    env = dict(os.environ, PKG_CONFIG_PATH=str(sdk_prefix / "share" / "pkgconfig"))
    cflags = run(["pkg-config", "--cflags", "--libs", "adlik-sdk"], env=env).stdout.split()
    assert f"-I{sdk_prefix}/share/pkgconfig/../../include" in cflags, cflags
    runtime_dir = tmp_path / "runtimes"
    runtime_dir.mkdir()
    plugin = runtime_dir / "libadlik_runtime_example.so"
    run(["g++", "-O2", "-shared", "-fPIC", *cflags,
         os.path.join(ps.RUNTIMES_SRC, "example", "example_runtime.cc"), "-o", str(plugin)])
    assert [s for s in exported(plugin) if not s.startswith("_")] == ENTRY_POINTS
    repo = tmp_path / "repo"
    repo.mkdir()
    ps.copy_example_simple(repo)
    srv = support.Server(repo, log_dir, name="pkg_config", extra_args=[f"--runtime_dir={runtime_dir}"]).start()
    try:
        support.check_simple(srv.http_url, "http_json", batch=2)
    finally:
        assert srv.stop() == 0, srv.log_tail()
