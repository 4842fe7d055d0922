#!/usr/bin/env python3
"""The ONNX operator conformance suite served end to end by adlik_serving.

Every node test of the ONNX backend test data (Debian's libonnx-testdata:
DATA/<test>/model.onnx with test_data_set_0/input_N.pb and output_N.pb) becomes one
model of a single repository (<repo>/<test>/1/model.onnx, no config.pbtxt, so the
server completes the configuration from the ONNX signature with max_batch_size 0).
One adlik_serving serves the whole repository; each test's inputs are sent over HTTP
(tritonclient.http, binary tensors) and over gRPC (tritonclient.grpc), and every
output is compared with the expected one at the suite's tolerance (rtol 1e-3,
atol 1e-7 for floating point; integers, booleans and strings exact; NaN equals NaN;
dtype and shape must match exactly, 0-d included).

The same model is also run bare with the onnxruntime Python package, which tells the
server's faults from ONNX Runtime's: a test that bare ONNX Runtime passes and the
server fails is a server bug. Every failure gets a category; the report (Markdown)
lists the pass counts per protocol, every failure with its cause, the server bugs
with a reproduction, and what the server cost to load the suite (time to load all
models, resident memory and thread count after loading).

Usage:
  python3 tests/conformance/onnx_node_suite.py                 # all ~930 tests
  python3 tests/conformance/onnx_node_suite.py --filter 'test_(abs|add)'
  python3 tests/conformance/onnx_node_suite.py --protocols http,grpc,http_json \\
      --cores-sweep 1,2,4,16                                   # how docs/onnx-conformance.md is made
  python3 tests/conformance/onnx_node_suite.py --http-url 127.0.0.1:8501 \\
      --grpc-url 127.0.0.1:8500 --server-pid 1234              # a running server
  (--help lists the rest: --repo, --report, --json, --server, --data.)

http_json (HTTP with JSON tensor data) is a third, optional mode; tests whose data
JSON cannot carry (FP16/BF16, NaN/Inf) are counted apart there. The exit status is 1
when any failure is the server's own.

--backend openvino serves the same models through the OpenVINO runtime instead (each
model's config.pbtxt says `backend: "openvino"` and `default_model_filename: "model.onnx"`)
and runs them bare with the openvino Python package; its report goes to
docs/onnx-conformance-openvino.md, and the ONNX Runtime report shows its pass counts.

The server binary is build/bin/adlik_serving unless ADLIK_SERVING or --server says
otherwise. When a server is given by URL it must already serve a repository built by
this script (--repo DIR --build-only builds one).
"""

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import ml_dtypes
import numpy as np
import onnx
from onnx import numpy_helper

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_DATA = "/usr/share/libonnx-testdata/data/node"
DEFAULT_REPORT = os.path.join(ROOT, "docs", "onnx-conformance.md")
RTOL = 1e-3
ATOL = 1e-7
PROTOCOLS = ("http", "grpc")  # the default run
ALL_PROTOCOLS = ("http", "grpc", "http_json")  # http_json: HTTP with JSON tensor data, on request
# The runtimes the suite can serve the models through: the title the report uses for the
# engine, and the report's default path.
BACKENDS = {
    "onnxruntime": {"title": "ONNX Runtime", "report": DEFAULT_REPORT},
    "openvino": {"title": "OpenVINO", "report": os.path.join(ROOT, "docs", "onnx-conformance-openvino.md")},
}
PROTOCOL_TITLES = {"http": "HTTP/REST (binary tensors)", "grpc": "gRPC", "http_json": "HTTP/REST (JSON tensor data)"}

# ONNX element types the KServe v2 protocol has a datatype for.
KSERVE_ELEMENT_TYPES = {
    onnx.TensorProto.BOOL: "BOOL",
    onnx.TensorProto.UINT8: "UINT8",
    onnx.TensorProto.UINT16: "UINT16",
    onnx.TensorProto.UINT32: "UINT32",
    onnx.TensorProto.UINT64: "UINT64",
    onnx.TensorProto.INT8: "INT8",
    onnx.TensorProto.INT16: "INT16",
    onnx.TensorProto.INT32: "INT32",
    onnx.TensorProto.INT64: "INT64",
    onnx.TensorProto.FLOAT16: "FP16",
    onnx.TensorProto.FLOAT: "FP32",
    onnx.TensorProto.DOUBLE: "FP64",
    onnx.TensorProto.STRING: "BYTES",
    onnx.TensorProto.BFLOAT16: "BF16",
}

# Failure categories (what the report groups by). SERVER BUG ones are the server's own.
PASS = "pass"
CAT_LOAD = "model fails to load in ONNX Runtime (also bare)"
CAT_PROTOCOL_KIND = "the KServe protocol cannot carry this type (sequence/optional/map)"
CAT_PROTOCOL_ELEMENT = "the KServe protocol cannot carry this element type"
CAT_RUN = "ONNX Runtime fails to run the model (also bare)"
CAT_DIFFERS = "ONNX Runtime result differs from the expected output (also bare)"
CAT_DATA = "test data is not a tensor"
CAT_JSON = "JSON tensor data cannot carry this (FP16/BF16, NaN/Inf, non-UTF-8 strings)"
CAT_DATA_SHAPE = "test data does not fit the model's declared input shape (also bare)"
CAT_RANDOM = "random operator: ONNX Runtime's generator is not the reference's (also bare)"
CAT_SERVER_LOAD = "SERVER BUG: bare ONNX Runtime loads the model, the server does not"
CAT_SERVER_RUN = "SERVER BUG: bare ONNX Runtime runs the model, the server's request fails"
CAT_SERVER_DIFFERS = "SERVER BUG: bare ONNX Runtime gives the expected output, the server does not"
CAT_SERVER_CRASH = "SERVER BUG: the server died during the request"
SERVER_BUG_PREFIX = "SERVER BUG"
CATEGORY_ORDER = [
    CAT_SERVER_LOAD,
    CAT_SERVER_RUN,
    CAT_SERVER_DIFFERS,
    CAT_SERVER_CRASH,
    CAT_PROTOCOL_KIND,
    CAT_PROTOCOL_ELEMENT,
    CAT_JSON,
    CAT_DATA,
    CAT_DATA_SHAPE,
    CAT_LOAD,
    CAT_RUN,
    CAT_RANDOM,
    CAT_DIFFERS,
]

# Operators whose output depends on a random generator (Dropout only in training mode).
RANDOM_OPS = {"Bernoulli", "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Multinomial"}


def is_server_bug(category):
    return category.startswith(SERVER_BUG_PREFIX)


# ---------------------------------------------------------------------------------------
# Test cases


class Port:
    """One graph input or output: name, kind (tensor/sequence/optional/map) and, for a
    tensor, its ONNX element type and shape (ints, symbolic dims as None)."""

    def __init__(self, value_info):
        self.name = value_info.name
        self.type = value_info.type
        self.kind = value_info.type.WhichOneof("value") or "undefined"
        self.elem_type = None
        self.shape = None
        if self.kind == "tensor_type":
            t = value_info.type.tensor_type
            self.elem_type = t.elem_type
            if t.HasField("shape"):
                self.shape = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]

    @property
    def is_tensor(self):
        return self.kind == "tensor_type"

    def describe(self):
        return f"{self.name}: {type_text(self.type)}"


def type_text(type_proto):
    kind = type_proto.WhichOneof("value")
    if kind == "tensor_type":
        return f"tensor({onnx.TensorProto.DataType.Name(type_proto.tensor_type.elem_type).lower()})"
    if kind == "sequence_type":
        return f"seq({type_text(type_proto.sequence_type.elem_type)})"
    if kind == "optional_type":
        return f"optional({type_text(type_proto.optional_type.elem_type)})"
    if kind == "map_type":
        key = onnx.TensorProto.DataType.Name(type_proto.map_type.key_type).lower()
        return f"map({key}, {type_text(type_proto.map_type.value_type)})"
    return str(kind)


class Case:
    """One node test: its model, graph signature, and the test data read as numpy
    values (arrays, lists for sequences, None for empty optionals)."""

    def __init__(self, name, test_dir):
        self.name = name
        self.dir = test_dir
        self.model_path = os.path.join(test_dir, "model.onnx")
        model = onnx.load(self.model_path, load_external_data=False)
        initializers = {i.name for i in model.graph.initializer}
        self.inputs = [Port(v) for v in model.graph.input if v.name not in initializers]
        self.outputs = [Port(v) for v in model.graph.output]
        self.opset = ",".join(f"{o.domain or 'ai.onnx'}:{o.version}" for o in model.opset_import)
        self.random_ops = sorted(_random_ops(model.graph))
        data_dir = os.path.join(test_dir, "test_data_set_0")
        self.data_error = None
        self.input_values = []
        self.output_values = []
        try:
            self.input_values = self._read_values(data_dir, "input", self.inputs)
            self.output_values = self._read_values(data_dir, "output", self.outputs)
        except Exception as e:  # the report shows what could not be read
            self.data_error = f"{type(e).__name__}: {e}"

    @staticmethod
    def _read_values(data_dir, prefix, ports):
        values = []
        i = 0
        while os.path.exists(os.path.join(data_dir, f"{prefix}_{i}.pb")):
            if i >= len(ports):
                raise ValueError(f"{prefix}_{i}.pb has no graph {prefix} to go to")
            value = read_value(os.path.join(data_dir, f"{prefix}_{i}.pb"), ports[i].type)
            if (
                ports[i].elem_type == onnx.TensorProto.BFLOAT16
                and isinstance(value, np.ndarray)
                and value.dtype == np.uint16
            ):
                # Test data of this age stores bfloat16 as UINT16 tensors of the bits.
                value = value.view(ml_dtypes.bfloat16)
            values.append(value)
            i += 1
        return values

    @property
    def fed_inputs(self):
        """The graph inputs that get a value (input_N.pb goes to the N-th graph input)."""
        return self.inputs[: len(self.input_values)]

    @property
    def checked_outputs(self):
        return self.outputs[: len(self.output_values)]

    def non_tensor_ports(self):
        return [p for p in self.fed_inputs + self.outputs if not p.is_tensor]

    def uncarried_element_ports(self):
        return [p for p in self.fed_inputs + self.outputs if p.is_tensor and p.elem_type not in KSERVE_ELEMENT_TYPES]

    def input_shape_conflict(self):
        """Where a fed input's data contradicts the graph's declared shape, or None."""
        for port, value in zip(self.fed_inputs, self.input_values):
            if not port.is_tensor or port.shape is None or not isinstance(value, np.ndarray):
                continue
            declared = port.shape
            if len(declared) != value.ndim or any(d is not None and d != v for d, v in zip(declared, value.shape)):
                shown = ["?" if d is None else d for d in declared]
                return f"input '{port.name}': test data has shape {list(value.shape)}, the model declares {shown}"
        return None

    def tensor_data_problem(self):
        """Why the data of a tensor-only model is not plain tensors, or None."""
        for port, value in zip(self.fed_inputs + self.checked_outputs, self.input_values + self.output_values):
            if not isinstance(value, np.ndarray):
                return f"'{port.name}' holds a {type(value).__name__}, not a tensor"
        return None


def _random_ops(graph):
    found = set()
    for node in graph.node:
        if node.op_type in RANDOM_OPS:
            found.add(node.op_type)
        elif node.op_type == "Dropout" and len(node.input) >= 3 and node.input[2]:
            found.add("Dropout (training mode)")
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                found |= _random_ops(attr.g)
            for g in attr.graphs:
                found |= _random_ops(g)
    return found


def read_value(path, type_proto):
    """Reads one test data file as the proto the graph's type calls for."""
    with open(path, "rb") as f:
        data = f.read()
    kind = type_proto.WhichOneof("value")
    if kind == "tensor_type":
        proto = onnx.TensorProto()
        proto.ParseFromString(data)
        return numpy_helper.to_array(proto)
    if kind == "sequence_type":
        proto = onnx.SequenceProto()
        proto.ParseFromString(data)
        return numpy_helper.to_list(proto)
    if kind == "optional_type":
        proto = onnx.OptionalProto()
        proto.ParseFromString(data)
        return numpy_helper.to_optional(proto)
    if kind == "map_type":
        proto = onnx.MapProto()
        proto.ParseFromString(data)
        return numpy_helper.to_dict(proto)
    raise ValueError(f"{os.path.basename(path)}: graph type {kind} has no reader")


def discover(data_dir, pattern=None):
    names = sorted(
        d for d in os.listdir(data_dir) if os.path.isfile(os.path.join(data_dir, d, "model.onnx"))
    )
    if pattern:
        rx = re.compile(pattern)
        names = [n for n in names if rx.search(n)]
    return names


def build_repository(data_dir, names, repo_dir, backend="onnxruntime"):
    """<repo>/<test>/1/model.onnx for every test; no config.pbtxt for ONNX Runtime (which
    serves model.onnx by default), one naming the backend and the file for another."""
    os.makedirs(repo_dir, exist_ok=True)
    for name in names:
        version_dir = os.path.join(repo_dir, name, "1")
        os.makedirs(version_dir, exist_ok=True)
        shutil.copyfile(os.path.join(data_dir, name, "model.onnx"), os.path.join(version_dir, "model.onnx"))
        if backend != "onnxruntime":
            with open(os.path.join(repo_dir, name, "config.pbtxt"), "w") as f:
                f.write(f'backend: "{backend}"\ndefault_model_filename: "model.onnx"\n')


# ---------------------------------------------------------------------------------------
# Comparison (as onnx.backend.test.runner.Runner.assert_similar_outputs, but with exact
# dtype and shape, and integers exact)


def _as_bytes_array(a):
    flat = [x.encode("utf-8") if isinstance(x, str) else bytes(x) for x in a.reshape(-1)]
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    return out.reshape(a.shape)


def compare_value(expected, actual):
    """None when actual matches expected, else why not."""
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"expected a sequence, got {type(actual).__name__}"
        if len(expected) != len(actual):
            return f"sequence length {len(actual)}, expected {len(expected)}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            why = compare_value(e, a)
            if why:
                return f"sequence element {i}: {why}"
        return None
    if expected is None:
        return None if actual is None else f"expected an empty optional, got {type(actual).__name__}"
    if isinstance(expected, dict):
        return None if expected == actual else "map differs"
    if actual is None:
        return "got nothing (empty optional)"
    expected = np.asarray(expected)
    actual = np.asarray(actual)
    e_str = expected.dtype == object or expected.dtype.kind in "SU"
    a_str = actual.dtype == object or actual.dtype.kind in "SU"
    if e_str or a_str:
        if not (e_str and a_str):
            return f"dtype {actual.dtype}, expected {expected.dtype}"
    elif expected.dtype != actual.dtype:
        return f"dtype {actual.dtype}, expected {expected.dtype}"
    if expected.shape != actual.shape:
        return f"shape {list(actual.shape)}, expected {list(expected.shape)}"
    if e_str:
        e, a = _as_bytes_array(expected), _as_bytes_array(actual)
        bad = np.flatnonzero(e.reshape(-1) != a.reshape(-1))
        if bad.size:
            i = bad[0]
            return f"{bad.size} of {e.size} strings differ; first at {i}: {a.reshape(-1)[i]!r}, expected {e.reshape(-1)[i]!r}"
        return None
    if expected.dtype.kind in "biu":
        bad = np.flatnonzero(expected.reshape(-1) != actual.reshape(-1))
        if bad.size:
            i = bad[0]
            return (
                f"{bad.size} of {expected.size} values differ; first at {i}: "
                f"{actual.reshape(-1)[i].item()!r}, expected {expected.reshape(-1)[i].item()!r}"
            )
        return None
    # bfloat16: two ULPs, as onnx.backend.test.runner allows.
    rtol = max(RTOL, 2**-6) if expected.dtype == ml_dtypes.bfloat16 else RTOL
    e = expected.astype(np.float64)
    a = actual.astype(np.float64)
    close = np.isclose(a, e, rtol=rtol, atol=ATOL, equal_nan=True)
    if not close.all():
        bad = np.flatnonzero(~close.reshape(-1))
        i = bad[0]
        return (
            f"{bad.size} of {e.size} values differ beyond rtol {rtol:g}, atol {ATOL:g}; first at {i}: "
            f"{float(a.reshape(-1)[i])!r}, expected {float(e.reshape(-1)[i])!r}"
        )
    return None


def compare_outputs(case, actual_by_name):
    for port, expected in zip(case.checked_outputs, case.output_values):
        if port.name not in actual_by_name:
            return f"output '{port.name}' missing"
        why = compare_value(expected, actual_by_name[port.name])
        if why:
            return f"output '{port.name}': {why}"
    return None


# ---------------------------------------------------------------------------------------
# Bare ONNX Runtime (run in a child process, so that a crash in ONNX Runtime costs one
# test, not the run)


def _bare_one(case, backend="onnxruntime"):
    if case.data_error:
        return {"status": "data", "detail": case.data_error}
    if backend == "openvino":
        return _bare_one_openvino(case)
    import onnxruntime as ort

    result = {"status": None, "detail": ""}
    try:
        options = ort.SessionOptions()
        options.log_severity_level = 4
        options.intra_op_num_threads = 1
        session = ort.InferenceSession(case.model_path, options, providers=["CPUExecutionProvider"])
    except Exception as e:
        result.update(status="load", detail=one_line(str(e)))
        return result
    feeds = {}
    for port, value in zip(case.fed_inputs, case.input_values):
        if isinstance(value, np.ndarray) and value.dtype == object:
            value = value.astype(str)
        elif isinstance(value, np.ndarray) and value.dtype == ml_dtypes.bfloat16:
            # numpy has no bfloat16 that onnxruntime's Python binding takes.
            value = ort.OrtValue.ortvalue_from_numpy_with_onnx_type(
                np.require(value, requirements="C").view(np.uint16), onnx.TensorProto.BFLOAT16
            )
        feeds[port.name] = value
    names = [p.name for p in case.checked_outputs]
    try:
        if any(p.elem_type == onnx.TensorProto.BFLOAT16 for p in case.checked_outputs):
            values = _run_bound(ort, session, case, feeds)
        else:
            values = session.run(names, feeds)
    except Exception as e:
        result.update(status="run", detail=one_line(str(e)))
        return result
    why = compare_outputs(case, dict(zip(names, values)))
    if why:
        result.update(status="differs", detail=why)
    else:
        result.update(status="pass")
    return result


def _bare_one_openvino(case):
    """As _bare_one, through the openvino Python package (CPU, one thread, FP32 as the
    runtime compiles by default)."""
    import openvino as ov

    result = {"status": None, "detail": ""}
    try:
        core = ov.Core()
        model = core.read_model(case.model_path)
        compiled = core.compile_model(model, "CPU", {"INFERENCE_NUM_THREADS": 1, "INFERENCE_PRECISION_HINT": "f32"})
    except Exception as e:
        result.update(status="load", detail=one_line(str(e)))
        return result
    # Ports by the names the runtime gives them (compiling may add internal names to a
    # port, so the compiled model's ports are taken by index).
    in_names, out_names = ([t[0] for t in side] for side in expected_metadata_openvino(case, model))
    feeds = {}
    for port, value in zip(case.fed_inputs, case.input_values):
        if isinstance(value, np.ndarray) and value.dtype == object:
            value = value.astype(str)
        if port.name in in_names:
            feeds[compiled.inputs[in_names.index(port.name)]] = value
        else:
            feeds[port.name] = value  # OpenVINO's own error follows
    names = [p.name for p in case.checked_outputs]
    try:
        out = compiled.create_infer_request().infer(feeds)
        values = [out[compiled.outputs[out_names.index(name)]] if name in out_names else out[name] for name in names]
    except Exception as e:
        result.update(status="run", detail=one_line(str(e)))
        return result
    why = compare_outputs(case, dict(zip(names, values)))
    result.update(status="differs" if why else "pass", detail=why or "")
    return result


def _run_bound(ort, session, case, feeds):
    """Runs with bfloat16 outputs written into buffers of the expected shape (the
    Python binding cannot hand a bfloat16 tensor to numpy)."""
    binding = session.io_binding()
    for name, value in feeds.items():
        if not isinstance(value, ort.OrtValue):
            value = ort.OrtValue.ortvalue_from_numpy(np.require(value, requirements="C"))
        binding.bind_ortvalue_input(name, value)
    buffers = {}
    for port, expected in zip(case.checked_outputs, case.output_values):
        if port.elem_type == onnx.TensorProto.BFLOAT16:
            buffers[port.name] = np.zeros(np.asarray(expected).shape, dtype=np.uint16)
            binding.bind_ortvalue_output(
                port.name,
                ort.OrtValue.ortvalue_from_numpy_with_onnx_type(buffers[port.name], onnx.TensorProto.BFLOAT16),
            )
        else:
            binding.bind_output(port.name)
    session.run_with_iobinding(binding)
    produced = binding.get_outputs()
    values = []
    for port, ortvalue in zip(case.checked_outputs, produced):
        if port.name in buffers:
            values.append(buffers[port.name].view(ml_dtypes.bfloat16))
        else:
            values.append(ortvalue.numpy())
    return values


def _bare_worker(data_dir, names, conn, backend):
    for name in names:
        try:
            case = Case(name, os.path.join(data_dir, name))
            result = _bare_one(case, backend)
        except Exception as e:
            result = {"status": "data", "detail": f"{type(e).__name__}: {e}"}
        conn.send((name, result))
    conn.send(None)
    conn.close()


def run_bare(data_dir, names, log=print, backend="onnxruntime"):
    """name -> {"status": pass|load|run|differs|data|crash, "detail": str}."""
    results = {}
    remaining = list(names)
    ctx = multiprocessing.get_context("spawn")
    while remaining:
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_bare_worker, args=(data_dir, remaining, child, backend), daemon=True)
        proc.start()
        child.close()
        while True:
            try:
                item = parent.recv()
            except EOFError:
                item = "died"
            if item is None:
                remaining = []
                break
            if item == "died":
                proc.join()
                crashed = remaining[0]
                results[crashed] = {"status": "crash", "detail": f"{backend} process died (exit code {proc.exitcode})"}
                log(f"bare {backend} crashed on {crashed}")
                remaining = remaining[1:]
                break
            name, result = item
            results[name] = result
            remaining.remove(name)
        proc.join()
    return results


# ---------------------------------------------------------------------------------------
# The server


def free_ports(n):
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def http_json(url, method, path, body=None, timeout=30):
    host, port = url.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        conn.request(method, path, body=payload, headers=headers)
        r = conn.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)
    finally:
        conn.close()


def proc_status(pid):
    """VmRSS (bytes), VmHWM (bytes) and Threads of a process, from /proc/PID/status."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) * 1024
            elif key == "Threads":
                out[key] = int(value)
    return out


class Server:
    """One adlik_serving on the suite's repository; output goes to a log file."""

    def __init__(self, binary, repo_dir, log_path, extra_args=()):
        self.binary = binary
        self.repo_dir = repo_dir
        self.log_path = log_path
        self.extra_args = list(extra_args)
        self.http_port, self.grpc_port = free_ports(2)
        self.proc = None
        self.started_at = None

    @property
    def http_url(self):
        return f"127.0.0.1:{self.http_port}"

    @property
    def grpc_url(self):
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def command(self):
        return [
            self.binary,
            f"--model_base_path={self.repo_dir}",
            f"--http_port={self.http_port}",
            f"--grpc_port={self.grpc_port}",
            *self.extra_args,
        ]

    def start(self, timeout):
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError(f"server binary {self.binary} not found (build it, or set ADLIK_SERVING)")
        with open(self.log_path, "ab") as log:
            self.started_at = time.monotonic()
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        deadline = self.started_at + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"server exited with code {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status, _ = http_json(self.http_url, "GET", "/v2/health/live", timeout=2)
                if status == 200:
                    return time.monotonic() - self.started_at
            except (OSError, http.client.HTTPException, ValueError):
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"server not live after {timeout} s:\n{self.log_tail()}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=60):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        return self.proc.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-lines:])
        except OSError:
            return ""


def wait_all_settled(http_url, names, timeout, server=None):
    """Polls the repository index until every model is READY or UNAVAILABLE.
    Returns name -> {"state", "reason"}."""
    wanted = set(names)
    deadline = time.monotonic() + timeout
    states = {}
    while True:
        if server is not None and not server.alive():
            raise RuntimeError(f"server exited with code {server.proc.returncode} while loading:\n{server.log_tail()}")
        status, index = http_json(http_url, "POST", "/v2/repository/index", {}, timeout=60)
        if status != 200:
            raise RuntimeError(f"repository index: HTTP {status}: {index}")
        states = {m["name"]: {"state": m.get("state", ""), "reason": m.get("reason", "")} for m in index}
        pending = [n for n in wanted if states.get(n, {}).get("state") not in ("READY", "UNAVAILABLE")]
        if not pending:
            return states
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(pending)} models not settled after {timeout} s, e.g. {sorted(pending)[:5]}")
        time.sleep(0.2)


# ---------------------------------------------------------------------------------------
# Requests


def one_line(text, limit=400):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def kserve_datatype(array):
    from tritonclient.utils import np_to_triton_dtype

    if array.dtype == object or array.dtype.kind in "SU":
        return "BYTES"
    return np_to_triton_dtype(array.dtype)


def wire_array(array):
    """The numpy array a client sends: strings as object arrays of bytes."""
    if array.dtype == object or array.dtype.kind in "SU":
        return _as_bytes_array(array)
    return np.require(array, requirements="C")


class Clients:
    def __init__(self, http_url, grpc_url, timeout):
        import tritonclient.grpc as grpcclient
        import tritonclient.http as httpclient

        self.http_url = http_url
        self.grpc_url = grpc_url
        self.timeout = timeout
        self._h = httpclient
        self._g = grpcclient
        self.http = httpclient.InferenceServerClient(
            http_url, connection_timeout=timeout, network_timeout=timeout
        ) if http_url else None
        self.grpc = grpcclient.InferenceServerClient(
            grpc_url,
            channel_args=[("grpc.max_receive_message_length", 256 << 20), ("grpc.max_send_message_length", 256 << 20)],
        ) if grpc_url else None

    def reconnect_http(self):
        if self.http is not None:
            try:
                self.http.close()
            except Exception:
                pass
            self.http = self._h.InferenceServerClient(
                self.http_url, connection_timeout=self.timeout, network_timeout=self.timeout
            )

    def close(self):
        for c in (self.http, self.grpc):
            if c is not None:
                try:
                    c.close()
                except Exception:
                    pass

    def infer(self, protocol, case):
        """name -> numpy array of every checked output."""
        on_http = protocol.startswith("http")
        binary = protocol == "http"
        lib = self._h if on_http else self._g
        inputs = []
        for port, value in zip(case.fed_inputs, case.input_values):
            array = wire_array(value)
            i = lib.InferInput(port.name, list(array.shape), kserve_datatype(value))
            if on_http:
                i.set_data_from_numpy(array, binary_data=binary)
            else:
                i.set_data_from_numpy(array)
            inputs.append(i)
        names = [p.name for p in case.checked_outputs]
        if on_http:
            outputs = [lib.InferRequestedOutput(n, binary_data=binary) for n in names]
            result = self.http.infer(case.name, inputs, outputs=outputs)
            returned = [o["name"] for o in result.get_response()["outputs"]]
        else:
            outputs = [lib.InferRequestedOutput(n) for n in names]
            result = self.grpc.infer(case.name, inputs, outputs=outputs, client_timeout=self.timeout)
            returned = [o.name for o in result.get_response().outputs]
        out = {n: result.as_numpy(n) for n in returned}
        extra = sorted(set(returned) - set(names))
        if extra:
            raise UnexpectedOutputs(f"outputs {extra} were returned but not requested")
        return out


class UnexpectedOutputs(Exception):
    pass


def json_obstacle(case):
    """Why the JSON form of KServe tensor data cannot carry this test, or None."""
    for port, value in zip(case.fed_inputs + case.checked_outputs, case.input_values + case.output_values):
        if not isinstance(value, np.ndarray):
            continue
        dt = kserve_datatype(value)
        if dt in ("FP16", "BF16"):
            return f"'{port.name}' is {dt}"
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            return f"'{port.name}' holds NaN or Inf"
        if dt == "BYTES":
            for x in _as_bytes_array(value).reshape(-1):
                try:
                    x.decode("utf-8")
                except UnicodeDecodeError:
                    return f"'{port.name}' holds a string that is not UTF-8"
    return None


def expected_metadata(case):
    """(name, datatype, shape or None) of every graph input and output, as a server
    that completes its config from the ONNX signature should report them; symbolic
    dimensions are -1; shape None where the graph declares none."""

    def one(port):
        shape = None if port.shape is None else [-1 if d is None else d for d in port.shape]
        return (port.name, KSERVE_ELEMENT_TYPES.get(port.elem_type, "?"), shape)

    return [one(p) for p in case.inputs], [one(p) for p in case.outputs]


OPENVINO_TYPES = {"boolean": "BOOL", "u8": "UINT8", "u16": "UINT16", "u32": "UINT32", "u64": "UINT64",
                  "i8": "INT8", "i16": "INT16", "i32": "INT32", "i64": "INT64", "f16": "FP16", "f32": "FP32",
                  "f64": "FP64", "bf16": "BF16"}


def expected_metadata_openvino(case, model=None):
    """expected_metadata as OpenVINO reads the model (its ONNX frontend may fold a graph input
    that has an initializer, rename an input an identity passes through, or give a dimension
    it cannot infer statically as dynamic): the runtime's signature should be OpenVINO's."""
    import openvino as ov

    model = model or ov.Core().read_model(case.model_path)

    def one(port):
        own = port.get_node().get_friendly_name().removesuffix("/sink_port_0")
        name = own if own in port.get_names() else port.get_any_name()
        shape = port.get_partial_shape()
        dims = None if shape.rank.is_dynamic else [d.get_length() if d.is_static else -1 for d in shape]
        return (name, OPENVINO_TYPES.get(port.get_element_type().get_type_name(), "?"), dims)

    return [one(p) for p in model.inputs], [one(p) for p in model.outputs]


def metadata_mismatch(case, protocol, clients, backend="onnxruntime"):
    """None when the server's model metadata matches the ONNX signature (for OpenVINO: the
    signature OpenVINO reads from it), else why not."""
    if protocol.startswith("http"):
        doc = clients.http.get_model_metadata(case.name)
        got_in = [(t["name"], t["datatype"], [int(d) for d in t["shape"]]) for t in doc.get("inputs", [])]
        got_out = [(t["name"], t["datatype"], [int(d) for d in t["shape"]]) for t in doc.get("outputs", [])]
    else:
        doc = clients.grpc.get_model_metadata(case.name)
        got_in = [(t.name, t.datatype, list(t.shape)) for t in doc.inputs]
        got_out = [(t.name, t.datatype, list(t.shape)) for t in doc.outputs]
    want_in, want_out = expected_metadata_openvino(case) if backend == "openvino" else expected_metadata(case)
    for kind, want, got in (("input", want_in, got_in), ("output", want_out, got_out)):
        if [w[0] for w in want] != [g[0] for g in got]:
            return f"{kind} names {[g[0] for g in got]}, the graph has {[w[0] for w in want]}"
        for (name, dt, shape), (_, gdt, gshape) in zip(want, got):
            if dt != gdt:
                return f"{kind} '{name}': datatype {gdt}, the graph's is {dt}"
            if shape is not None and shape != gshape:
                return f"{kind} '{name}': shape {gshape}, the graph declares {shape}"
    return None


def describe_value(value, limit=16):
    if isinstance(value, list):
        return f"sequence of {len(value)}"
    if value is None:
        return "None"
    a = np.asarray(value)
    flat = a.reshape(-1)
    items = flat[:limit].tolist()
    if a.dtype == object:
        items = [x.encode() if isinstance(x, str) else x for x in items]
    more = f", ... ({flat.size} values)" if flat.size > limit else ""
    return f"{a.dtype} {list(a.shape)} {items}{more}"


def request_text(case, protocol):
    """A KServe JSON rendering of the request (the suite itself sends binary tensors)."""
    lines = [f"{PROTOCOL_TITLES[protocol]}: model '{case.name}'"]
    for port, value in zip(case.fed_inputs, case.input_values):
        if isinstance(value, np.ndarray):
            lines.append(f"  input  {port.name}: {kserve_datatype(value)} {describe_value(value)}")
        else:
            lines.append(f"  input  {port.name}: {describe_value(value)}")
    for port, value in zip(case.checked_outputs, case.output_values):
        lines.append(f"  output {port.name} expected: {describe_value(value)}")
    return lines


# ---------------------------------------------------------------------------------------
# Classification


def classify_unloaded(case, bare, reason, state="UNAVAILABLE"):
    if case.data_error:
        return CAT_DATA, case.data_error
    if bare["status"] == "load":
        return CAT_LOAD, f"the server says: {one_line(reason, 300)} (bare: {one_line(bare['detail'], 150)})"
    if case.non_tensor_ports():
        kinds = ", ".join(p.describe() for p in case.non_tensor_ports())
        return CAT_PROTOCOL_KIND, f"{kinds}; the server says: {one_line(reason, 200)}"
    if case.uncarried_element_ports():
        kinds = ", ".join(p.describe() for p in case.uncarried_element_ports())
        return CAT_PROTOCOL_ELEMENT, f"{kinds}; the server says: {one_line(reason, 200)}"
    return CAT_SERVER_LOAD, f"model state {state}: {one_line(reason)}"


def classify_ready(case, bare, error=None, mismatch=None):
    """error: the request's exception text; mismatch: compare_outputs' finding."""
    problem = case.tensor_data_problem()
    if problem:
        return CAT_DATA, problem
    if error is not None:
        if bare["status"] in ("run", "crash"):
            conflict = case.input_shape_conflict()
            if conflict:
                return CAT_DATA_SHAPE, f"{conflict}; server: {one_line(error, 200)}; bare: {one_line(bare['detail'], 150)}"
            return CAT_RUN, f"server: {one_line(error, 200)}; bare: {bare['detail']}"
        return CAT_SERVER_RUN, one_line(error)
    if mismatch is not None:
        if bare["status"] == "differs":
            if case.random_ops:
                return CAT_RANDOM, f"{', '.join(case.random_ops)}; server: {mismatch}; bare: {bare['detail']}"
            return CAT_DIFFERS, f"server: {mismatch}; bare: {bare['detail']}"
        if bare["status"] == "run":
            return CAT_RUN, f"server: {mismatch}; bare: {bare['detail']}"
        return CAT_SERVER_DIFFERS, mismatch
    return PASS, ""


# ---------------------------------------------------------------------------------------
# The run


class SuiteResult:
    def __init__(self):
        self.backend = "onnxruntime"  # the runtime the server ran the models on
        self.names = []
        self.cases_meta = {}  # name -> {"opset", "inputs", "outputs"}
        self.bare = {}  # name -> {"status", "detail"}
        self.states = {}  # name -> {"state", "reason"}
        self.results = {p: {} for p in ALL_PROTOCOLS}  # protocol -> name -> (category, detail)
        self.bugs = []  # dicts: protocol, name, category, detail, request lines, json check
        self.metadata = {p: {} for p in ALL_PROTOCOLS}  # protocol -> name -> None (matches) or why not
        self.metrics = {}
        self.coverage = []  # (feature, number of passing tests with it)
        self.carriable = set()  # tests whose signature the KServe protocol can carry
        self.cores_sweep = []  # dicts: cores, load_all_s, rss_bytes, threads
        self.versions = {}
        self.protocols = list(PROTOCOLS)
        self.server_log_tail = ""

    def passed(self, protocol):
        return sum(1 for c, _ in self.results[protocol].values() if c == PASS)

    def server_bug_count(self, protocol=None):
        protocols = [protocol] if protocol else self.protocols
        return sum(1 for p in protocols for c, _ in self.results[p].values() if is_server_bug(c))

    def metadata_mismatches(self, protocol=None):
        protocols = [protocol] if protocol else self.protocols
        return sum(1 for p in protocols for v in self.metadata[p].values() if v)

    def bare_passed(self):
        return sum(1 for b in self.bare.values() if b["status"] == "pass")

    def category_counts(self, protocol):
        counts = {}
        for c, _ in self.results[protocol].values():
            counts[c] = counts.get(c, 0) + 1
        return counts

    def to_json(self):
        return {
            "tests": len(self.names),
            "protocols": self.protocols,
            "passed": {p: self.passed(p) for p in self.protocols},
            "server_bugs": {p: self.server_bug_count(p) for p in self.protocols},
            "bare_passed": self.bare_passed(),
            "metrics": self.metrics,
            "versions": self.versions,
            "results": {p: {n: list(v) for n, v in self.results[p].items()} for p in self.protocols},
            "bare": self.bare,
            "states": self.states,
            "bugs": self.bugs,
            "metadata": self.metadata,
        }


def versions(backend="onnxruntime"):
    out = {"python": platform.python_version(), "onnx": onnx.__version__, "numpy": np.__version__}
    if backend == "openvino":
        try:
            import openvino

            out["openvino (PyPI)"] = openvino.__version__
        except ImportError:
            out["openvino (PyPI)"] = "not installed"
    try:
        import onnxruntime

        out["onnxruntime (PyPI)"] = onnxruntime.__version__
    except ImportError:
        out["onnxruntime (PyPI)"] = "not installed"
    try:
        import tritonclient

        out["tritonclient"] = getattr(tritonclient, "__version__", "")
        if not out["tritonclient"]:
            from importlib.metadata import version

            out["tritonclient"] = version("tritonclient")
    except Exception:
        pass
    try:
        out["libonnx-testdata"] = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "libonnx-testdata"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return out


def server_ort_version(binary):
    """The version of the libonnxruntime.so next to the binary (its file name or strings)."""
    lib_dir = os.path.dirname(os.path.realpath(binary))
    try:
        for f in sorted(os.listdir(lib_dir)):
            m = re.match(r"libonnxruntime\.so\.(\d+\.\d+\.\d+)$", f)
            if m:
                return m.group(1)
        path = os.path.join(lib_dir, "libonnxruntime.so.1")
        with open(path, "rb") as f:
            blob = f.read()
        found = re.findall(rb"\b1\.(\d\d)\.(\d+)\b", blob)
        if found:
            best = max(found, key=lambda x: (int(x[0]), int(x[1])))
            return f"1.{best[0].decode()}.{best[1].decode()} (from the library's strings)"
    except OSError:
        pass
    return "unknown"


def run_suite(
    data_dir=DEFAULT_DATA,
    pattern=None,
    repo_dir=None,
    http_url=None,
    grpc_url=None,
    server_pid=None,
    binary=None,
    protocols=PROTOCOLS,
    server_args=(),
    load_timeout=900,
    request_timeout=60,
    check_json_on_bug=True,
    sweep_cores=(),
    log=print,
    backend="onnxruntime",
    sample_every=1,
):
    """Runs the suite; returns a SuiteResult. Without http_url it builds the repository
    (in repo_dir, or a temporary folder) and starts its own server. sample_every=k runs
    every k-th test (in name order) only."""
    binary = binary or os.environ.get("ADLIK_SERVING", os.path.join(ROOT, "build", "bin", "adlik_serving"))
    result = SuiteResult()
    result.backend = backend
    result.protocols = list(protocols)
    result.versions = versions(backend)
    result.versions["adlik_serving"] = binary
    if backend == "onnxruntime":
        result.versions["server's ONNX Runtime"] = server_ort_version(binary)
    names = discover(data_dir, pattern)[::sample_every]
    result.names = names
    log(f"{len(names)} node tests in {data_dir}")

    own_tmp = None
    server = None
    try:
        if http_url is None:
            if repo_dir is None:
                own_tmp = tempfile.mkdtemp(prefix="onnx_node_suite_")
                repo_dir = os.path.join(own_tmp, "repo")
            t0 = time.monotonic()
            build_repository(data_dir, names, repo_dir, backend)
            result.metrics["repository_build_s"] = time.monotonic() - t0
            log_path = os.path.join(own_tmp or os.path.dirname(os.path.abspath(repo_dir)), "adlik_serving.log")
            server = Server(binary, repo_dir, log_path, extra_args=server_args)
            live_s = server.start(timeout=load_timeout)
            result.metrics["live_s"] = live_s
            log(f"server live after {live_s:.1f} s (pid {server.pid}, log {log_path})")
            http_url, grpc_url = server.http_url, server.grpc_url
            server_pid = server.pid
            result.metrics["server_args"] = " ".join(server.command()[1:]).replace(repo_dir, "<repo>")

        # While the server loads, run the same models bare (the child process uses
        # one thread; the measurements below are taken before it counts against them).
        bare_started = time.monotonic()
        ctx_bare = _BareInBackground(data_dir, names, backend)

        states = wait_all_settled(http_url, names, load_timeout, server)
        if server is not None:
            result.metrics["load_all_s"] = time.monotonic() - server.started_at
            log(f"all {len(names)} models settled after {result.metrics['load_all_s']:.1f} s")
        result.states = {n: states.get(n, {"state": "MISSING", "reason": "not in the repository index"}) for n in names}
        if repo_dir:
            for st in result.states.values():
                st["reason"] = st["reason"].replace(os.path.abspath(repo_dir), "<repo>").replace(repo_dir, "<repo>")
        ready = sum(1 for s in result.states.values() if s["state"] == "READY")
        result.metrics["ready_models"] = ready
        result.metrics["unavailable_models"] = len(names) - ready
        if server_pid:
            st = proc_status(server_pid)
            result.metrics["rss_bytes"] = st.get("VmRSS")
            result.metrics["hwm_bytes"] = st.get("VmHWM")
            result.metrics["threads"] = st.get("Threads")
            log(f"server RSS {st.get('VmRSS', 0) / 2**20:.0f} MiB, {st.get('Threads')} threads")

        result.bare = ctx_bare.wait()
        for b in result.bare.values():
            b["detail"] = b["detail"].replace(data_dir.rstrip("/"), "<data>")
        result.metrics["bare_s"] = time.monotonic() - bare_started
        log(f"bare {backend}: {result.bare_passed()} of {len(names)} pass ({result.metrics['bare_s']:.1f} s)")

        on_http = any(p.startswith("http") for p in protocols)
        clients = Clients(http_url if on_http else None, grpc_url if "grpc" in protocols else None, request_timeout)
        try:
            for protocol in protocols:
                t0 = time.monotonic()
                for name in names:
                    result.results[protocol][name] = run_one(
                        result, clients, protocol, name, data_dir, server, check_json_on_bug
                    )
                    if server is not None and not server.alive():
                        # Recorded as a server bug by run_one; start a fresh server and go on.
                        log(f"server died during {protocol} {name}; starting it again")
                        result.metrics["restarts"] = result.metrics.get("restarts", 0) + 1
                        clients.close()
                        server = Server(binary, repo_dir, server.log_path, extra_args=server_args)
                        server.start(timeout=load_timeout)
                        wait_all_settled(server.http_url, names, load_timeout, server)
                        server_pid = server.pid
                        clients = Clients(
                            server.http_url if on_http else None,
                            server.grpc_url if "grpc" in protocols else None,
                            request_timeout,
                        )
                        continue
                    if result.states[name]["state"] == "READY":
                        result.metadata[protocol][name] = check_metadata(clients, protocol, name, data_dir, backend)
                result.metrics[f"{protocol}_s"] = time.monotonic() - t0
                log(
                    f"{protocol}: {result.passed(protocol)} of {len(names)} pass, "
                    f"{result.server_bug_count(protocol)} server bugs ({result.metrics[f'{protocol}_s']:.1f} s)"
                )
        finally:
            clients.close()
        result.coverage, result.carriable = coverage(data_dir, names, result.results)
        if server_pid:
            st = proc_status(server_pid)
            result.metrics["rss_after_requests_bytes"] = st.get("VmRSS")
            result.metrics["threads_after_requests"] = st.get("Threads")
        if server is not None:
            result.server_log_tail = server.log_tail()
            code = server.stop()
            result.metrics["exit_code"] = code
            if sweep_cores:
                result.cores_sweep = cores_sweep(binary, repo_dir, names, sweep_cores, load_timeout, log)
    finally:
        if server is not None:
            server.kill()
        if own_tmp:
            shutil.rmtree(own_tmp, ignore_errors=True)
    return result


def cores_sweep(binary, repo_dir, names, cores_list, load_timeout=900, log=print):
    """Starts the server on the repository once per --cores value; rows of cores,
    load_all_s, rss_bytes, threads."""
    rows = []
    for cores in cores_list:
        log_path = os.path.join(os.path.dirname(os.path.abspath(repo_dir)), f"adlik_serving_cores{cores}.log")
        server = Server(binary, repo_dir, log_path, extra_args=[f"--cores={cores}"])
        try:
            server.start(timeout=load_timeout)
            wait_all_settled(server.http_url, names, load_timeout, server)
            load_s = time.monotonic() - server.started_at
            st = proc_status(server.pid)
            rows.append({"cores": cores, "load_all_s": load_s, "rss_bytes": st.get("VmRSS"), "threads": st.get("Threads")})
            log(f"--cores={cores}: loaded in {load_s:.1f} s, RSS {st.get('VmRSS', 0) / 2**20:.0f} MiB, {st.get('Threads')} threads")
            server.stop()
        finally:
            server.kill()
    return rows


class _BareInBackground:
    """run_bare in a thread of this process (the work itself is in a child process)."""

    def __init__(self, data_dir, names, backend):
        import threading

        self._out = {}
        self._error = None

        def target():
            try:
                self._out = run_bare(data_dir, names, backend=backend)
            except BaseException as e:  # surfaced by wait()
                self._error = e

        self._thread = threading.Thread(target=target, daemon=True)
        self._thread.start()

    def wait(self):
        self._thread.join()
        if self._error:
            raise self._error
        return self._out


def run_one(result, clients, protocol, name, data_dir, server, check_json_on_bug):
    from tritonclient.utils import InferenceServerException

    try:
        case = Case(name, os.path.join(data_dir, name))
    except Exception as e:
        return CAT_DATA, f"cannot read the test: {type(e).__name__}: {e}"
    bare = result.bare.get(name, {"status": "unknown", "detail": ""})
    state = result.states[name]
    if state["state"] != "READY":
        category, detail = classify_unloaded(case, bare, state["reason"], state["state"])
        if is_server_bug(category):
            result.bugs.append(bug_record(case, protocol, category, detail, state=state))
        return category, detail
    if case.data_error:
        return CAT_DATA, case.data_error
    problem = case.tensor_data_problem()
    if problem:
        return CAT_DATA, problem
    if protocol == "http_json":
        obstacle = json_obstacle(case)
        if obstacle:
            return CAT_JSON, obstacle
    error = mismatch = None
    actual = None
    try:
        actual = clients.infer(protocol, case)
        mismatch = compare_outputs(case, actual)
    except InferenceServerException as e:
        error = f"{e.status() or ''} {e.message()}".strip()
    except Exception as e:  # transport errors, decoding errors
        error = f"{type(e).__name__}: {e}"
        if protocol.startswith("http"):
            clients.reconnect_http()
    if server is not None and not server.alive():
        detail = f"exit code {server.proc.returncode} during the request; log tail: {one_line(server.log_tail(5), 300)}"
        result.bugs.append(bug_record(case, protocol, CAT_SERVER_CRASH, detail))
        return CAT_SERVER_CRASH, detail
    category, detail = classify_ready(case, bare, error, mismatch)
    if is_server_bug(category):
        record = bug_record(case, protocol, category, detail, actual=actual, error=error)
        if check_json_on_bug and clients.http_url:
            record["http_json"] = json_check(clients.http_url, case)
        result.bugs.append(record)
    return category, detail


def coverage(data_dir, names, results):
    """What the tests that pass on every protocol exercise: rows of (feature, count);
    and the set of tests whose signature the KServe protocol can carry."""
    counts = {}
    carriable = set()

    def bump(key):
        counts[key] = counts.get(key, 0) + 1

    for name in names:
        try:
            case = Case(name, os.path.join(data_dir, name))
        except Exception:
            continue
        if not case.non_tensor_ports() and not case.uncarried_element_ports():
            carriable.add(name)
        if not all(results[p].get(name, ("",))[0] == PASS for p in results if results[p]):
            continue
        values = [v for v in case.input_values + case.output_values if isinstance(v, np.ndarray)]
        dtypes = {kserve_datatype(v) for v in values}
        for dt in dtypes:
            bump(f"datatype {dt}")
        if any(v.ndim == 0 for v in values):
            bump("a 0-d (scalar) tensor")
        if any(v.size == 0 for v in values):
            bump("an empty tensor (a dimension of 0)")
        if any(p.shape is not None and None in p.shape for p in case.inputs + case.outputs):
            bump("a symbolic (variable) dimension in the signature")
        if any(p.shape is not None and 0 in p.shape for p in case.inputs + case.outputs):
            bump("a declared dimension of size 0")
        if not case.fed_inputs:
            bump("no inputs")
        if len(case.checked_outputs) > 1:
            bump("several outputs")
    return sorted(counts.items(), key=lambda kv: (not kv[0].startswith("datatype"), kv[0])), carriable


def check_metadata(clients, protocol, name, data_dir, backend="onnxruntime"):
    from tritonclient.utils import InferenceServerException

    try:
        return metadata_mismatch(Case(name, os.path.join(data_dir, name)), protocol, clients, backend)
    except InferenceServerException as e:
        return f"metadata request failed: {one_line(e.message(), 300)}"
    except Exception as e:
        return f"metadata request failed: {type(e).__name__}: {one_line(e, 300)}"


def bug_record(case, protocol, category, detail, state=None, actual=None, error=None):
    record = {
        "protocol": protocol,
        "name": case.name,
        "category": category,
        "detail": detail,
        "request": request_text(case, protocol),
        "signature": {
            "inputs": [p.describe() + (f" shape {p.shape}" if p.shape is not None else "") for p in case.inputs],
            "outputs": [p.describe() + (f" shape {p.shape}" if p.shape is not None else "") for p in case.outputs],
        },
    }
    if state is not None:
        record["state"] = state
    if error is not None:
        record["actual"] = one_line(error, 1000)
    elif actual is not None:
        record["actual"] = "; ".join(f"{n}: {describe_value(v)}" for n, v in actual.items())
    return record


def json_check(http_url, case):
    """The same request in the JSON (non-binary) form, sent raw, for the bug report."""
    inputs = []
    for port, value in zip(case.fed_inputs, case.input_values):
        array = np.asarray(value)
        dt = kserve_datatype(array)
        if dt in ("FP16", "BF16"):
            return "not tried (FP16/BF16 have no JSON form)"
        if dt == "BYTES":
            data = [x.decode("utf-8", "replace") for x in _as_bytes_array(array).reshape(-1)]
        else:
            data = array.reshape(-1).tolist()
        if any(isinstance(x, float) and not np.isfinite(x) for x in data):
            return "not tried (NaN/Inf have no JSON form)"
        inputs.append({"name": port.name, "datatype": dt, "shape": list(array.shape), "data": data})
    body = {"inputs": inputs, "outputs": [{"name": p.name} for p in case.checked_outputs]}
    try:
        status, doc = http_json(http_url, "POST", f"/v2/models/{case.name}/infer", body)
    except Exception as e:
        return f"request failed: {type(e).__name__}: {e}"
    if status != 200:
        return f"HTTP {status}: {one_line(json.dumps(doc), 300)}"
    shapes = ", ".join(f"{o['name']} {o.get('datatype')} {o.get('shape')}" for o in doc.get("outputs", []))
    return f"HTTP 200: {shapes}"


# ---------------------------------------------------------------------------------------
# The report


def _mib(n):
    return f"{n / 2**20:.0f} MiB" if n else "n/a"


def _esc(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


CAUSE_PATTERNS = [
    (r"(ai\.onnx\.preview\.training:\w+)\(-1\) is not a registered function/op", r"operator \1 is not in ONNX Runtime"),
    (r"Could not find an implementation for (\w+)\((\d+)\)", r"no ONNX Runtime kernel for \1(\2) with these types"),
    (r"Batchwise recurrent operations \(layout == 1\) are not supported", "recurrent operator with layout=1 (batchwise) not supported"),
    (r"Failed to construct locale with name:(\S+?):", r"the \1 locale is not installed on this machine"),
    (r"is not a tensor \(sequences, maps and optionals are not supported\)", "sequence/optional input or output"),
    (r"random operator|^(Bernoulli|Random\w+|Dropout \(training mode\))", "random numbers differ from the reference generator"),
    (r"test data has shape", "test data shape contradicts the declared input shape"),
    (r"' is (FP16|BF16)$", "FP16/BF16 tensor (no JSON form)"),
    (r"holds NaN or Inf", "NaN or Inf values (no JSON form)"),
    (r"not UTF-8", "string that is not UTF-8 (no JSON form)"),
    (r"strings differ; first at \d+: b'[-0-9.e]+', expected", "float to string formatting (ONNX Runtime prints more digits)"),
]


def cause_of(category, detail, more=""):
    """A short cause for the causes table; `more` is other text to search (the bare
    run's and the server's full messages)."""
    text = f"{category} {detail} {more}"
    for rx, repl in CAUSE_PATTERNS:
        m = re.search(rx, detail) or re.search(rx, text)
        if m:
            return m.expand(repl) if "\\" in repl else repl
    first = detail.split("; bare:")[0]
    first = re.sub(r"^server: ", "", first)
    return one_line(re.sub(r"first at \d+: .*", "", first), 120).rstrip(" ;")


def summary_counts(path):
    """{row title: (passed, total, server bugs)} of the summary table of the report at
    `path`; {} when there is none."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return {}
    return {m.group(1): (int(m.group(2)), int(m.group(3)), m.group(4))
            for m in re.finditer(r"^\| ([^|]+?) \| \*\*(\d+)\*\* of (\d+) \| \d+ \| (\d+) \|", text, re.M)}


def write_report(result, path, command_line=None):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if result.backend != "onnxruntime":
        # The same report, about the other engine: every "ONNX Runtime" and the bare runs'
        # package name say which.
        title = BACKENDS[result.backend]["title"]
        lines = _report_lines(result, command_line)
        text = "\n".join(lines)
        text = text.replace("ONNX Runtime", title).replace("`onnxruntime` Python package", f"`{result.backend}` Python package")
        text = text.replace("(no `config.pbtxt`: the server completes the configuration from the ONNX signature,",
                            f"(a `config.pbtxt` naming the `{result.backend}` runtime and `model.onnx`; the server "
                            "completes the rest from the model's signature,")
        text = text.replace("# ONNX operator conformance through adlik_serving",
                            f"# ONNX operator conformance through adlik_serving's {title} runtime", 1)
        with open(path, "w") as f:
            f.write(text)
        return
    lines = _report_lines(result, command_line)
    others = []
    for backend, info in BACKENDS.items():
        if backend == result.backend:
            continue
        for row, (passed, total, bugs) in summary_counts(info["report"]).items():
            name = os.path.basename(info["report"])
            others.append(f"| {row}, through the {info['title']} runtime ([{name}]({name})) | {passed} of {total} | "
                          f"{total - passed} | {bugs} |")
    if others:
        at = next(i for i, line in enumerate(lines) if line.startswith("| bare ")) + 1
        lines[at:at] = others
    with open(path, "w") as f:
        f.write("\n".join(lines))


def _report_lines(result, command_line):
    n = len(result.names)
    lines = []
    add = lines.append
    add("# ONNX operator conformance through adlik_serving")
    add("")
    add(
        "Every node test of the ONNX backend test data (Debian `libonnx-testdata`) served as one "
        "model of a single repository (no `config.pbtxt`: the server completes the configuration "
        "from the ONNX signature, `max_batch_size` 0) by one `adlik_serving`, its inputs sent over "
        "HTTP (tritonclient.http, binary tensors) and gRPC (tritonclient.grpc), every output compared "
        f"with the expected one: rtol {RTOL:g}, atol {ATOL:g} for floating point, integers, booleans "
        "and strings exact, NaN equal to NaN, dtype and shape exact (0-d tensors included). The same "
        "models were run bare with the `onnxruntime` Python package to tell the server's faults from "
        "ONNX Runtime's."
    )
    add("")
    add("Generated by `tests/conformance/onnx_node_suite.py`" + (f" (`{command_line}`)" if command_line else "") + ".")
    add("")
    add("## Summary")
    add("")
    add("| | passed | failed | of which server bugs |")
    add("|---|---|---|---|")
    for p in result.protocols:
        passed = result.passed(p)
        add(f"| {PROTOCOL_TITLES[p]} | **{passed}** of {n} | {n - passed} | {result.server_bug_count(p)} |")
    bp = result.bare_passed()
    add(f"| bare ONNX Runtime (Python, same models, no server) | {bp} of {n} | {n - bp} | |")
    add("")
    if result.carriable:
        ceiling = sum(1 for name, b in result.bare.items() if b["status"] == "pass" and name in result.carriable)
        add(
            f"Bare ONNX Runtime passes {bp}; {bp - ceiling} of those use sequences, optionals or element "
            f"types that the KServe protocol cannot carry, so {ceiling} is the most a KServe server on this "
            "ONNX Runtime can pass. "
            + "; ".join(f"{PROTOCOL_TITLES[p]}: {result.passed(p)}" for p in result.protocols)
            + "."
        )
        add("")
    add("## Versions")
    add("")
    for k, v in result.versions.items():
        add(f"- {k}: {v}")
    ort_py = result.versions.get("onnxruntime (PyPI)", "")
    ort_srv = result.versions.get("server's ONNX Runtime", "")
    if ort_py and ort_srv and not ort_srv.startswith(ort_py):
        add(f"- note: the bare runs use onnxruntime {ort_py}, the server {ort_srv}")
    add("")
    add("## Cost of loading the suite")
    add("")
    m = result.metrics
    add("| measure | value |")
    add("|---|---|")
    if "load_all_s" in m:
        add(f"| time from start to live (`/v2/health/live`) | {m['live_s']:.1f} s |")
        add(f"| time from start to every model READY or UNAVAILABLE | {m['load_all_s']:.1f} s |")
    add(f"| models READY / UNAVAILABLE | {m.get('ready_models')} / {m.get('unavailable_models')} |")
    if m.get("rss_bytes"):
        add(f"| server resident memory after loading (VmRSS) | {_mib(m['rss_bytes'])} (peak VmHWM {_mib(m.get('hwm_bytes'))}) |")
        add(f"| server threads after loading (`Threads` in /proc/PID/status) | {m.get('threads')} |")
    if m.get("rss_after_requests_bytes"):
        add(f"| after all requests: VmRSS / threads | {_mib(m['rss_after_requests_bytes'])} / {m.get('threads_after_requests')} |")
    for p in result.protocols:
        if f"{p}_s" in m:
            add(f"| time to run every test over {PROTOCOL_TITLES[p]} | {m[p + '_s']:.1f} s |")
    if "bare_s" in m:
        add(f"| time to run every test bare (one thread, alongside the server's loading) | {m['bare_s']:.1f} s |")
    if "exit_code" in m:
        add(f"| server exit code after SIGTERM | {m['exit_code']} |")
    if m.get("restarts"):
        add(f"| server restarts after it died during a request | {m['restarts']} |")
    if m.get("server_args"):
        add("")
        add(f"Server command: `adlik_serving {m['server_args']}`; machine: {os.cpu_count()} cores.")
    add("")
    if result.cores_sweep:
        add(
            "The same repository loaded with `--cores=N` (the server sizes each model's ONNX Runtime "
            "intra-op pool from it; the default is the number of cores of the host), measured after every "
            "model settled:"
        )
        add("")
        add("| --cores | load all models | VmRSS | threads |")
        add("|---|---|---|---|")
        ready = m.get("ready_models") or 1
        for row in result.cores_sweep:
            add(
                f"| {row['cores']} | {row['load_all_s']:.1f} s | {_mib(row['rss_bytes'])} | {row['threads']} "
                f"({row['threads'] / ready:.1f} per READY model) |"
            )
        add("")
        add(
            "Threads grow as models x cores: each loaded model has one scheduler thread for its instance "
            "plus an ONNX Runtime intra-op pool of `--cores` - 1 threads of its own (the calling thread "
            "is the pool's first); no pool is shared between models."
        )
        add("")

    add("## Failures by category")
    add("")
    cats = set()
    for p in result.protocols:
        cats.update(c for c in result.category_counts(p) if c != PASS)
    ordered = [c for c in CATEGORY_ORDER if c in cats] + sorted(cats - set(CATEGORY_ORDER))
    add("| category | " + " | ".join(PROTOCOL_TITLES[p] for p in result.protocols) + " |")
    add("|---|" + "---|" * len(result.protocols))
    for c in ordered:
        add(f"| {c} | " + " | ".join(str(result.category_counts(p).get(c, 0)) for p in result.protocols) + " |")
    add("")
    add("Causes, over all protocols:")
    add("")
    add("| category | cause | tests |")
    add("|---|---|---|")
    causes = {}
    for p in result.protocols:
        for name, (c, d) in result.results[p].items():
            if c != PASS:
                more = f"{result.bare.get(name, {}).get('detail', '')} {result.states.get(name, {}).get('reason', '')}"
                causes.setdefault((c, cause_of(c, d, more)), set()).add(name)
    for (c, cause), tests in sorted(causes.items(), key=lambda kv: (ordered.index(kv[0][0]) if kv[0][0] in ordered else 99, kv[0][1])):
        add(f"| {_esc(c)} | {_esc(cause)} | {len(tests)}: {', '.join(sorted(tests))} |")
    add("")
    bare_counts = {}
    for b in result.bare.values():
        bare_counts[b["status"]] = bare_counts.get(b["status"], 0) + 1
    add("Bare ONNX Runtime on its own: " + ", ".join(f"{k} {v}" for k, v in sorted(bare_counts.items())) + ".")
    add("")

    if result.coverage:
        add("## What the passing tests exercise")
        add("")
        add("Number of tests that pass on every protocol and involve:")
        add("")
        add("| feature | tests |")
        add("|---|---|")
        for feature, count in result.coverage:
            add(f"| {feature} | {count} |")
        add("")

    add("## Model metadata against the ONNX signature")
    add("")
    add(
        "For every READY model, the model metadata (`GET /v2/models/<m>`, gRPC `ModelMetadata`) "
        "against the graph: input and output names in order, datatypes, and shapes (symbolic "
        "dimensions as -1, 0-d as `[]`)."
    )
    add("")
    for p in result.protocols:
        checked = len(result.metadata[p])
        bad = result.metadata_mismatches(p)
        add(f"- {PROTOCOL_TITLES[p]}: {checked - bad} of {checked} match")
    add("")
    rows = [(n, p, why) for p in result.protocols for n, why in sorted(result.metadata[p].items()) if why]
    if rows:
        add("| test | protocol | mismatch |")
        add("|---|---|---|")
        for n, p, why in rows:
            add(f"| {n} | {p} | {_esc(why)} |")
        add("")

    add("## Server bugs")
    add("")
    if not result.bugs:
        add("None: every test that bare ONNX Runtime passes also passes through the server.")
    else:
        for bug in result.bugs:
            add(f"### {bug['name']} ({PROTOCOL_TITLES[bug['protocol']]})")
            add("")
            add(f"- category: {bug['category']}")
            add(f"- finding: {_esc(bug['detail'])}")
            add(f"- graph inputs: {'; '.join(bug['signature']['inputs'])}")
            add(f"- graph outputs: {'; '.join(bug['signature']['outputs'])}")
            if "state" in bug:
                add(f"- repository index: {bug['state']['state']}: {_esc(bug['state']['reason'])}")
            add("- request and expected output:")
            add("")
            add("```")
            lines.extend(bug["request"])
            add("```")
            if "actual" in bug:
                add(f"- actual: {_esc(bug['actual'])}")
            if "http_json" in bug:
                add(f"- the same request as JSON (non-binary) over HTTP: {_esc(bug['http_json'])}")
            add(f"- bare ONNX Runtime: {result.bare.get(bug['name'], {}).get('status')}")
            add("")
    add("")

    add("## Every failure")
    add("")
    add("Where both protocols fail the same way the row says so once.")
    add("")
    add("| test | protocol | category | detail |")
    add("|---|---|---|---|")
    for name in result.names:
        per = {p: result.results[p].get(name) for p in result.protocols}
        failing = {p: v for p, v in per.items() if v and v[0] != PASS}
        if not failing:
            continue
        values = list(failing.values())
        if len(failing) == len(result.protocols) and all(v == values[0] for v in values):
            add(f"| {name} | all | {_esc(values[0][0])} | {_esc(values[0][1])} |")
        else:
            for p, (c, d) in failing.items():
                add(f"| {name} | {p} | {_esc(c)} | {_esc(d)} |")
    add("")
    add("## Bare ONNX Runtime failures")
    add("")
    add("| test | bare result | detail |")
    add("|---|---|---|")
    for name in result.names:
        b = result.bare.get(name)
        if b and b["status"] != "pass":
            add(f"| {name} | {b['status']} | {_esc(one_line(b['detail'], 300))} |")
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA, help="folder of node tests (default: %(default)s)")
    ap.add_argument("--filter", help="regular expression: only the tests whose name it finds")
    ap.add_argument("--repo", help="build the repository here (default: a temporary folder)")
    ap.add_argument("--build-only", action="store_true", help="build the repository (--repo) and stop")
    ap.add_argument("--server", help="adlik_serving binary (default: $ADLIK_SERVING or build/bin/adlik_serving)")
    ap.add_argument("--server-arg", action="append", default=[], help="extra server flag (repeatable)")
    ap.add_argument("--http-url", help="use this running server (host:port) instead of starting one")
    ap.add_argument("--grpc-url", help="its gRPC address (host:port)")
    ap.add_argument("--server-pid", type=int, help="its process id, for the memory and thread figures")
    ap.add_argument(
        "--protocols",
        default=",".join(PROTOCOLS),
        help="comma-separated: http (binary tensors), grpc, http_json (JSON tensor data); default: %(default)s",
    )
    ap.add_argument("--backend", choices=sorted(BACKENDS), default="onnxruntime",
                    help="the runtime that serves the models (default: %(default)s)")
    ap.add_argument("--report", help="Markdown report (default: docs/onnx-conformance.md, or "
                    "docs/onnx-conformance-<backend>.md for another backend; '' for none)")
    ap.add_argument("--json", help="also write the full results as JSON here")
    ap.add_argument("--load-timeout", type=float, default=900)
    ap.add_argument(
        "--cores-sweep",
        help="comma-separated --cores values: after the run, load the repository once with each and "
        "record load time, memory and threads (e.g. 1,2,4,16)",
    )
    args = ap.parse_args(argv)

    if args.build_only:
        if not args.repo:
            ap.error("--build-only needs --repo")
        names = discover(args.data, args.filter)
        build_repository(args.data, names, args.repo, args.backend)
        print(f"{len(names)} models in {args.repo}")
        return 0
    protocols = [p for p in args.protocols.split(",") if p]
    for p in protocols:
        if p not in ALL_PROTOCOLS:
            ap.error(f"unknown protocol {p}")
    if args.http_url and "grpc" in protocols and not args.grpc_url:
        ap.error("--http-url needs --grpc-url too (or --protocols http)")
    result = run_suite(
        data_dir=args.data,
        pattern=args.filter,
        repo_dir=args.repo,
        http_url=args.http_url,
        grpc_url=args.grpc_url,
        server_pid=args.server_pid,
        binary=args.server,
        protocols=protocols,
        server_args=args.server_arg,
        load_timeout=args.load_timeout,
        sweep_cores=[int(c) for c in args.cores_sweep.split(",")] if args.cores_sweep else (),
        backend=args.backend,
    )
    if args.report is None:
        args.report = BACKENDS[args.backend]["report"]
    if args.report:
        cmd = "python3 tests/conformance/onnx_node_suite.py" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
        write_report(result, args.report, cmd)
        print(f"report: {args.report}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result.to_json(), f, indent=1, default=str)
    for p in protocols:
        print(f"{p}: {result.passed(p)} of {len(result.names)} pass, {result.server_bug_count(p)} server bugs")
    return 1 if result.server_bug_count() else 0


if __name__ == "__main__":
    sys.exit(main())
