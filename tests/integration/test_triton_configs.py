"""Triton's example models, served with their own config.pbtxt text unchanged except
`platform` (Triton's TensorFlow models are re-expressed as ONNX with random or trivial
weights, platform "onnxruntime_onnx"; repeat_int32 runs on the example runtime): simple
(INT32 add/sub), simple_string (the same on BYTES), simple_identity (BYTES identity),
simple_int8, densenet_onnx (reshape and label_filename) and repeat_int32 (decoupled). Next
to them, models using the config fields this server honours (model_warmup, optional,
optimization) and ones it refuses, which must be UNAVAILABLE with a reason naming the field.
All through tritonclient, HTTP and gRPC."""

import queue

import numpy as np
import onnx
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from onnx import TensorProto as T
from onnx import helper

import support

# The config.pbtxt texts of Triton's docs/examples/model_repository and qa models, as
# Triton writes them; only `platform` differs where Triton's model is not ONNX.
SIMPLE = """name: "simple"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [
  {
    name: "INPUT0"
    data_type: TYPE_INT32
    dims: [ 16 ]
  },
  {
    name: "INPUT1"
    data_type: TYPE_INT32
    dims: [ 16 ]
  }
]
output [
  {
    name: "OUTPUT0"
    data_type: TYPE_INT32
    dims: [ 16 ]
  },
  {
    name: "OUTPUT1"
    data_type: TYPE_INT32
    dims: [ 16 ]
  }
]
"""

SIMPLE_STRING = SIMPLE.replace('"simple"', '"simple_string"').replace("TYPE_INT32", "TYPE_STRING")
SIMPLE_INT8 = SIMPLE.replace('"simple"', '"simple_int8"').replace("TYPE_INT32", "TYPE_INT8")

SIMPLE_IDENTITY = """name: "simple_identity"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [
  {
    name: "INPUT0"
    data_type: TYPE_STRING
    dims: [ -1 ]
  }
]
output [
  {
    name: "OUTPUT0"
    data_type: TYPE_STRING
    dims: [ -1 ]
  }
]
"""

DENSENET = """name: "densenet_onnx"
platform: "onnxruntime_onnx"
max_batch_size : 0
input [
  {
    name: "data_0"
    data_type: TYPE_FP32
    format: FORMAT_NCHW
    dims: [ 3, 224, 224 ]
    reshape { shape: [ 1, 3, 224, 224 ] }
  }
]
output [
  {
    name: "fc6_1"
    data_type: TYPE_FP32
    dims: [ 1000 ]
    reshape { shape: [ 1, 1000, 1, 1 ] }
    label_filename: "densenet_labels.txt"
  }
]
"""

REPEAT_INT32 = """name: "repeat_int32"
platform: "adlik_example"
max_batch_size: 0
model_transaction_policy {
  decoupled: True
}
input [
  {
    name: "IN"
    data_type: TYPE_INT32
    dims: [ -1 ]
  },
  {
    name: "DELAY"
    data_type: TYPE_UINT32
    dims: [ -1 ]
  },
  {
    name: "WAIT"
    data_type: TYPE_UINT32
    dims: [ 1 ]
  }
]
output [
  {
    name: "OUT"
    data_type: TYPE_INT32
    dims: [ 1 ]
  },
  {
    name: "IDX"
    data_type: TYPE_UINT32
    dims: [ 1 ]
  }
]
instance_group [
  {
    kind: KIND_CPU
  }
]
"""

# `simple` with what this server honours: warm-up samples of every kind, an optimization
# level, CPU instances that share a global rate-limiter resource.
SIMPLE_TUNED = SIMPLE.replace('"simple"', '"simple_tuned"') + """
optimization { graph { level: -1 } input_pinned_memory { enable: false } }
instance_group [ { count: 2 kind: KIND_CPU } ]
model_warmup [
  {
    name: "zeros"
    batch_size: 8
    count: 2
    inputs { key: "INPUT0" value { data_type: TYPE_INT32 dims: [ 16 ] zero_data: true } }
    inputs { key: "INPUT1" value { data_type: TYPE_INT32 dims: [ 16 ] random_data: true } }
  },
  {
    name: "from_file"
    batch_size: 1
    inputs { key: "INPUT0" value { data_type: TYPE_INT32 dims: [ 16 ] input_data_file: "in0.bin" } }
    inputs { key: "INPUT1" value { data_type: TYPE_INT32 dims: [ 16 ] input_data_file: "in0.bin" } }
  }
]
"""

# Y = X + BIAS, BIAS an initializer the graph also lists as an input: optional.
OPTIONAL_BIAS = """name: "optional_bias"
platform: "onnxruntime_onnx"
max_batch_size: 0
input [
  { name: "X" data_type: TYPE_FP32 dims: [ 4 ] },
  { name: "BIAS" data_type: TYPE_FP32 dims: [ 4 ] optional: true }
]
output [ { name: "Y" data_type: TYPE_FP32 dims: [ 4 ] } ]
"""

# Configs refused, each with the field its reason must name.
REFUSED = {
    "with_sequence_batching": (
        "sequence_batching { max_sequence_idle_microseconds: 5000000 }", "sequence_batching: not supported yet"),
    "with_response_cache": ("response_cache { enable: true }", "response_cache: not supported yet"),
    "with_openvino": (
        'optimization { execution_accelerators { cpu_execution_accelerator [ { name: "openvino" } ] } }',
        "cpu_execution_accelerator 'openvino'"),
    "with_bad_warmup_file": (
        'model_warmup [ { name: "escape" batch_size: 1 inputs { key: "INPUT0" value { data_type: TYPE_INT32 '
        'dims: [ 16 ] input_data_file: "../config.pbtxt" } } inputs { key: "INPUT1" value { data_type: '
        "TYPE_INT32 dims: [ 16 ] zero_data: true } } } ]",
        "model_warmup 'escape': input 'INPUT0': input_data_file '../config.pbtxt' must name a file inside"),
    "with_bad_reshape": (None, "reshape [4,5] of dims [16]: the element counts differ"),
}


def model(nodes, inputs, outputs, initializers=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m.SerializeToString()


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def add_sub(elem, cast=None):
    """OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1 on [-1, 16]; through `cast`
    (and back) when the type has no arithmetic (BYTES)."""
    names = ["INPUT0", "INPUT1"]
    nodes = []
    if cast is not None:
        nodes += [helper.make_node("Cast", [n], [n + "_n"], to=cast) for n in names]
        names = [n + "_n" for n in names]
    sums = ["OUTPUT0", "OUTPUT1"] if cast is None else ["s", "d"]
    nodes += [helper.make_node("Add", names, [sums[0]]), helper.make_node("Sub", names, [sums[1]])]
    if cast is not None:
        nodes += [helper.make_node("Cast", [s], [o], to=elem) for s, o in zip(sums, ["OUTPUT0", "OUTPUT1"])]
    return model(
        nodes, [vi("INPUT0", elem, [-1, 16]), vi("INPUT1", elem, [-1, 16])],
        [vi("OUTPUT0", elem, [-1, 16]), vi("OUTPUT1", elem, [-1, 16])])


def densenet_like():
    """Random 1x1 convolution of the per-channel means: [1,3,224,224] -> [1,1000,1,1]."""
    rng = np.random.default_rng(7)
    w = rng.standard_normal((1000, 3, 1, 1)).astype(np.float32)
    return model(
        [helper.make_node("ReduceMean", ["data_0"], ["m"], axes=[2, 3], keepdims=1),
         helper.make_node("Conv", ["m", "W"], ["fc6_1"])],
        [vi("data_0", T.FLOAT, [1, 3, 224, 224])], [vi("fc6_1", T.FLOAT, [1, 1000, 1, 1])],
        [helper.make_tensor("W", T.FLOAT, w.shape, w.flatten())]), w


def optional_bias():
    return model(
        [helper.make_node("Add", ["X", "BIAS"], ["Y"])],
        [vi("X", T.FLOAT, [4]), vi("BIAS", T.FLOAT, [4])], [vi("Y", T.FLOAT, [4])],
        [helper.make_tensor("BIAS", T.FLOAT, [4], [1.0, 2.0, 3.0, 4.0])])


@pytest.fixture(scope="module")
def triton_repo(tmp_path_factory):
    repo = tmp_path_factory.mktemp("triton_configs") / "repo"

    def put(name, config, onnx_bytes=None, files=None):
        (repo / name / "1").mkdir(parents=True)
        (repo / name / "config.pbtxt").write_text(config)
        if onnx_bytes is not None:
            (repo / name / "1" / "model.onnx").write_bytes(onnx_bytes)
        for path, data in (files or {}).items():
            (repo / name / path).parent.mkdir(parents=True, exist_ok=True)
            (repo / name / path).write_bytes(data)

    put("simple", SIMPLE, add_sub(T.INT32))
    put("simple_string", SIMPLE_STRING, add_sub(T.STRING, cast=T.INT32))
    put("simple_int8", SIMPLE_INT8, add_sub(T.INT8))
    put("simple_identity", SIMPLE_IDENTITY,
        model([helper.make_node("Identity", ["INPUT0"], ["OUTPUT0"])],
              [vi("INPUT0", T.STRING, [-1, -1])], [vi("OUTPUT0", T.STRING, [-1, -1])]))
    densenet, weights = densenet_like()
    labels = "".join(f"LABEL_{i}\n" for i in range(1000)).encode()
    put("densenet_onnx", DENSENET, densenet, {"densenet_labels.txt": labels})
    put("repeat_int32", REPEAT_INT32, files={"1/model.txt": b"repeat\n"})
    put("simple_tuned", SIMPLE_TUNED, add_sub(T.INT32),
        {"warmup/in0.bin": np.arange(16, dtype=np.int32).tobytes()})
    put("optional_bias", OPTIONAL_BIAS, optional_bias())
    for name, (extra, _) in REFUSED.items():
        config = SIMPLE.replace('"simple"', f'"{name}"')
        if extra is None:
            config = config.replace("dims: [ 16 ]\n  },\n  {\n    name: \"INPUT1\"",
                                    "dims: [ 16 ]\n    reshape { shape: [ 4, 5 ] }\n  },\n  {\n    name: \"INPUT1\"", 1)
        else:
            config += extra + "\n"
        put(name, config, add_sub(T.INT32), {"warmup/in0.bin": bytes(64)})
    return repo, weights


@pytest.fixture(scope="module")
def triton_server(triton_repo, log_dir):
    srv = support.Server(triton_repo[0], log_dir, name="triton_configs").start()
    yield srv
    assert srv.stop() == 0


def url_of(srv, protocol):
    return srv.grpc_url if protocol == "grpc" else srv.http_url


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
@pytest.mark.parametrize("name", ["simple", "simple_tuned"])
def test_simple(triton_server, protocol, name):
    a, b = support.simple_inputs(3, seed=1)
    out = support.infer(protocol, url_of(triton_server, protocol), name, {"INPUT0": a, "INPUT1": b},
                        ["OUTPUT0", "OUTPUT1"])
    np.testing.assert_array_equal(out["OUTPUT0"], a + b)
    np.testing.assert_array_equal(out["OUTPUT1"], a - b)


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_simple_int8(triton_server, protocol):
    a = np.arange(-8, 8, dtype=np.int8).reshape(1, 16)
    b = np.full((1, 16), 3, dtype=np.int8)
    out = support.infer(protocol, url_of(triton_server, protocol), "simple_int8", {"INPUT0": a, "INPUT1": b},
                        ["OUTPUT0", "OUTPUT1"])
    np.testing.assert_array_equal(out["OUTPUT0"], a + b)
    np.testing.assert_array_equal(out["OUTPUT1"], a - b)


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_simple_string(triton_server, protocol):
    # Triton's simple_string_infer_client: numbers written as strings.
    a = np.arange(16, dtype=np.int32).reshape(1, 16)
    b = np.ones((1, 16), dtype=np.int32)
    to_bytes = np.vectorize(lambda v: str(v).encode(), otypes=[object])
    out = support.infer(protocol, url_of(triton_server, protocol), "simple_string",
                        {"INPUT0": to_bytes(a), "INPUT1": to_bytes(b)}, ["OUTPUT0", "OUTPUT1"])
    np.testing.assert_array_equal(out["OUTPUT0"].astype(np.int32), a + b)
    np.testing.assert_array_equal(out["OUTPUT1"].astype(np.int32), a - b)


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_simple_identity(triton_server, protocol):
    data = np.array([[b"hello", b"", "wörld".encode()]], dtype=object)
    out = support.infer(protocol, url_of(triton_server, protocol), "simple_identity", {"INPUT0": data},
                        ["OUTPUT0"])
    # JSON carries BYTES as text: tritonclient gives str there, bytes otherwise.
    got = [[v.encode() if isinstance(v, str) else v for v in row] for row in out["OUTPUT0"].tolist()]
    assert got == data.tolist()


@pytest.mark.parametrize("protocol", ["http_binary", "grpc"])
def test_densenet_reshape_and_labels(triton_server, triton_repo, protocol):
    weights = triton_repo[1].reshape(1000, 3)
    rng = np.random.default_rng(3)
    image = rng.random((3, 224, 224), dtype=np.float32)
    url = url_of(triton_server, protocol)
    out = support.infer(protocol, url, "densenet_onnx", {"data_0": image}, ["fc6_1"])
    # The client sees dims [1000], not the model's [1,1000,1,1].
    assert out["fc6_1"].shape == (1000,), out["fc6_1"].shape
    expected = weights @ image.reshape(3, -1).mean(axis=1)
    np.testing.assert_allclose(out["fc6_1"], expected, rtol=1e-4, atol=1e-4)
    # Triton's image_client asks for the top classes with their labels.
    top = support.infer(protocol, url, "densenet_onnx", {"data_0": image}, ["fc6_1"], class_count=3)["fc6_1"]
    best = np.argsort(-expected)[:3]
    for entry, index in zip(top.tolist(), best):
        score, idx, label = entry.decode().split(":")
        assert int(idx) == index and label == f"LABEL_{index}", entry


def test_densenet_metadata_shows_dims(triton_server):
    client = httpclient.InferenceServerClient(triton_server.http_url)
    try:
        meta = client.get_model_metadata("densenet_onnx")
        assert meta["inputs"][0]["shape"] == [3, 224, 224], meta
        assert meta["outputs"][0]["shape"] == [1000], meta
        config = client.get_model_config("densenet_onnx")
        assert config["input"][0]["reshape"]["shape"] == ["1", "3", "224", "224"] or \
            config["input"][0]["reshape"]["shape"] == [1, 3, 224, 224], config
    finally:
        client.close()
    grpc = grpcclient.InferenceServerClient(triton_server.grpc_url)
    try:
        config = grpc.get_model_config("densenet_onnx").config
        assert list(config.output[0].reshape.shape) == [1, 1000, 1, 1]
        assert config.output[0].label_filename == "densenet_labels.txt"
    finally:
        grpc.close()


def test_repeat_int32_streams_its_responses(triton_server):
    answers = queue.Queue()
    client = grpcclient.InferenceServerClient(triton_server.grpc_url)
    client.start_stream(callback=lambda result, error: answers.put((result, error)))
    try:
        values = np.array([4, 2, 0, 1], dtype=np.int32)
        inputs = []
        for name, array in (("IN", values), ("DELAY", np.zeros(4, dtype=np.uint32)),
                            ("WAIT", np.zeros(1, dtype=np.uint32))):
            i = grpcclient.InferInput(name, list(array.shape), "INT32" if name == "IN" else "UINT32")
            i.set_data_from_numpy(array)
            inputs.append(i)
        client.async_stream_infer("repeat_int32", inputs, enable_empty_final_response=True)
        got = []
        while True:
            result, error = answers.get(timeout=30)
            assert error is None, error
            if result.get_response().parameters["triton_final_response"].bool_param:
                break
            got.append((int(result.as_numpy("IDX")[0]), int(result.as_numpy("OUT")[0])))
        assert got == [(i, int(v)) for i, v in enumerate(values)], got
    finally:
        client.stop_stream()
        client.close()


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_optional_input_may_be_left_out(triton_server, protocol):
    url = url_of(triton_server, protocol)
    x = np.array([10, 20, 30, 40], dtype=np.float32)
    # Left out: ONNX Runtime uses the initializer.
    out = support.infer(protocol, url, "optional_bias", {"X": x}, ["Y"])
    np.testing.assert_array_equal(out["Y"], x + [1, 2, 3, 4])
    # Given: it overrides the initializer.
    bias = np.full(4, 0.5, dtype=np.float32)
    out = support.infer(protocol, url, "optional_bias", {"X": x, "BIAS": bias}, ["Y"])
    np.testing.assert_array_equal(out["Y"], x + 0.5)


def test_refused_fields_make_the_model_unavailable_naming_them(triton_server):
    client = httpclient.InferenceServerClient(triton_server.http_url)
    try:
        index = {m["name"]: m for m in client.get_model_repository_index()}
        for name, (_, reason) in REFUSED.items():
            entry = index[name]
            assert entry.get("state") == "UNAVAILABLE", entry
            assert reason in entry.get("reason", ""), entry
        for name in ("simple", "simple_string", "simple_int8", "simple_identity", "densenet_onnx",
                     "repeat_int32", "simple_tuned", "optional_bias"):
            assert index[name].get("state") == "READY", index[name]
    finally:
        client.close()


def test_warmup_ran_before_ready(triton_server):
    log = triton_server.log_text()
    assert "model_warmup 'zeros': ran 2 times on each of 2 instances" in log, triton_server.log_tail()
    assert "model_warmup 'from_file': ran 1 times on each of 2 instances" in log, triton_server.log_tail()
