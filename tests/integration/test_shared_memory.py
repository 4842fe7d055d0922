"""The system shared-memory extension through tritonclient (HTTP and gRPC): regions
registered, listed and unregistered; inputs read from and outputs written to the client's
region; the errors a client can make. The CUDA extension answers that this server has no
CUDA. Hostile cases (bounds, keys, unregister during use) are in
tests/security/test_shared_memory_hostile.py.
"""

import os

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
import tritonclient.utils.shared_memory as shm
from tritonclient.utils import InferenceServerException

import support

PROTOCOLS = ["http", "grpc"]
BYTES = 16 * 4  # one row of `simple`: 16 INT32


def client_for(protocol, server):
    if protocol == "http":
        return httpclient, httpclient.InferenceServerClient(server.http_url)
    return grpcclient, grpcclient.InferenceServerClient(server.grpc_url)


@pytest.fixture
def region(request):
    """A shared-memory object of the test's own, unlinked at the end."""
    handles = []

    def make(byte_size, name=None):
        key = f"/adlik_test_{os.getpid()}_{request.node.name[:40]}_{len(handles)}".replace("[", "_").replace("]", "")
        handle = shm.create_shared_memory_region(name or key.strip("/"), key, byte_size)
        handles.append(handle)
        return key, handle

    yield make
    for handle in handles:
        shm.destroy_shared_memory_region(handle)


@pytest.fixture(params=PROTOCOLS)
def client(request, server):
    module, c = client_for(request.param, server)
    yield module, c
    try:
        c.unregister_system_shared_memory()
    finally:
        c.close()


def simple_in_shm(module, c, region, batch=1, seed=3):
    """Registers an input region (INPUT0 then INPUT1) and an output region (OUTPUT0 then
    OUTPUT1) holding `batch` rows; returns the inputs, the outputs requested, the handles."""
    a, b = support.simple_inputs(batch, seed)
    size = BYTES * batch
    in_key, in_handle = region(2 * size)
    out_key, out_handle = region(2 * size)
    shm.set_shared_memory_region(in_handle, [a, b])
    c.register_system_shared_memory("in", in_key, 2 * size)
    c.register_system_shared_memory("out", out_key, 2 * size)
    inputs = [module.InferInput("INPUT0", [batch, 16], "INT32"), module.InferInput("INPUT1", [batch, 16], "INT32")]
    inputs[0].set_shared_memory("in", size)
    inputs[1].set_shared_memory("in", size, offset=size)
    outputs = [module.InferRequestedOutput("OUTPUT0"), module.InferRequestedOutput("OUTPUT1")]
    outputs[0].set_shared_memory("out", size)
    outputs[1].set_shared_memory("out", size, offset=size)
    return (a, b), inputs, outputs, out_handle


@pytest.mark.parametrize("batch", [1, 4])
def test_infer_with_inputs_and_outputs_in_shared_memory(client, region, batch):
    module, c = client
    (a, b), inputs, outputs, out_handle = simple_in_shm(module, c, region, batch)
    result = c.infer("simple", inputs, outputs=outputs)
    for name, offset in (("OUTPUT0", 0), ("OUTPUT1", BYTES * batch)):
        out = result.get_output(name)
        assert out is not None, name
        if module is httpclient:
            # As Triton: no data, no parameters (its C++ client reads parameters as
            # binary_data_size).
            assert set(out) == {"name", "datatype", "shape"}, out
            shape, datatype = out["shape"], out["datatype"]
        else:
            params = {k: v.string_param or v.uint64_param or v.int64_param for k, v in out.parameters.items()}
            shape, datatype = list(out.shape), out.datatype
            assert params["shared_memory_region"] == "out"
            assert params.get("shared_memory_offset", 0) == offset
            assert params["shared_memory_byte_size"] == BYTES * batch
        assert shape == [batch, 16] and datatype == "INT32"
    got0 = shm.get_contents_as_numpy(out_handle, np.int32, [batch, 16])
    got1 = shm.get_contents_as_numpy(out_handle, np.int32, [batch, 16], offset=BYTES * batch)
    np.testing.assert_array_equal(got0, a + b)
    np.testing.assert_array_equal(got1, a - b)


def test_mixed_input_in_shared_memory_and_output_on_the_wire(client, region):
    module, c = client
    a, b = support.simple_inputs(2, 7)
    key, handle = region(2 * BYTES)
    shm.set_shared_memory_region(handle, [a])
    c.register_system_shared_memory("in0", key, 2 * BYTES)
    inputs = [module.InferInput("INPUT0", [2, 16], "INT32"), module.InferInput("INPUT1", [2, 16], "INT32")]
    inputs[0].set_shared_memory("in0", 2 * BYTES)
    inputs[1].set_data_from_numpy(b)
    result = c.infer("simple", inputs, outputs=[module.InferRequestedOutput("OUTPUT1")])
    np.testing.assert_array_equal(result.as_numpy("OUTPUT1"), a - b)


def test_status_lists_registered_regions(client, region):
    module, c = client
    key0, _ = region(128)
    key1, _ = region(256)
    c.register_system_shared_memory("r0", key0, 64, offset=32)
    c.register_system_shared_memory("r1", key1, 256)
    status = c.get_system_shared_memory_status()
    if module is grpcclient:
        regions = {n: {"name": r.name, "key": r.key, "offset": r.offset, "byte_size": r.byte_size}
                   for n, r in status.regions.items()}
    else:
        regions = {r["name"]: r for r in status}
    assert regions == {
        "r0": {"name": "r0", "key": key0, "offset": 32, "byte_size": 64},
        "r1": {"name": "r1", "key": key1, "offset": 0, "byte_size": 256},
    }
    one = c.get_system_shared_memory_status("r1")
    assert (list(one.regions) if module is grpcclient else [r["name"] for r in one]) == ["r1"]

    c.unregister_system_shared_memory("r0")
    status = c.get_system_shared_memory_status()
    assert (list(status.regions) if module is grpcclient else [r["name"] for r in status]) == ["r1"]
    c.unregister_system_shared_memory()
    status = c.get_system_shared_memory_status()
    assert len(status.regions if module is grpcclient else status) == 0


def expect_error(call, *fragments):
    with pytest.raises(InferenceServerException) as e:
        call()
    for f in fragments:
        assert f in str(e.value), (f, str(e.value))
    return e.value


def test_registration_errors(client, region):
    module, c = client
    key, _ = region(64)
    c.register_system_shared_memory("dup", key, 64)
    expect_error(lambda: c.register_system_shared_memory("dup", key, 64), "'dup'", "already registered")
    expect_error(lambda: c.register_system_shared_memory("big", key, 65), "runs past the end", "64 bytes")
    expect_error(lambda: c.register_system_shared_memory("off", key, 8, offset=60), "runs past the end")
    expect_error(lambda: c.register_system_shared_memory("none", "/adlik_no_such_object", 8), "cannot open",
                 "adlik_no_such_object")
    expect_error(lambda: c.get_system_shared_memory_status("nope"), "'nope'", "not registered")
    expect_error(lambda: c.unregister_system_shared_memory("nope"), "'nope'", "not registered")


def test_inference_errors(client, region):
    module, c = client
    (a, b), inputs, outputs, _ = simple_in_shm(module, c, region)
    # Unknown region.
    bad = [module.InferInput("INPUT0", [1, 16], "INT32"), inputs[1]]
    bad[0].set_shared_memory("no_region", BYTES)
    expect_error(lambda: c.infer("simple", bad), "input 'INPUT0'", "'no_region'", "not registered")
    # Outside the region.
    bad[0].set_shared_memory("in", BYTES, offset=BYTES + 1)
    expect_error(lambda: c.infer("simple", bad), "input 'INPUT0'", "outside shared-memory region 'in'")
    # A byte size that does not match the tensor.
    bad[0].set_shared_memory("in", BYTES - 4)
    expect_error(lambda: c.infer("simple", bad), "INPUT0")
    # An output region too small for the output.
    small = [module.InferRequestedOutput("OUTPUT0")]
    small[0].set_shared_memory("out", BYTES - 4)
    expect_error(lambda: c.infer("simple", inputs, outputs=small), "output 'OUTPUT0'", "do not fit")
    # An output region that does not exist.
    small[0].set_shared_memory("gone", BYTES)
    expect_error(lambda: c.infer("simple", inputs, outputs=small), "output 'OUTPUT0'", "'gone'")
    # The server still serves.
    np.testing.assert_array_equal(c.infer("simple", inputs).as_numpy("OUTPUT0"), a + b)


def test_parameter_errors_over_http(http_url, region):
    key, handle = region(2 * BYTES)
    c = httpclient.InferenceServerClient(http_url)
    try:
        c.register_system_shared_memory("p", key, 2 * BYTES)
        base = {"name": "INPUT0", "datatype": "INT32", "shape": [1, 16]}
        other = {"name": "INPUT1", "datatype": "INT32", "shape": [1, 16], "data": list(range(16))}
        cases = [
            ({"shared_memory_region": "p"}, "needs shared_memory_byte_size"),
            ({"shared_memory_byte_size": BYTES}, "without shared_memory_region"),
            ({"shared_memory_region": 3, "shared_memory_byte_size": BYTES}, "non-empty string"),
            ({"shared_memory_region": "p", "shared_memory_byte_size": -1}, "integer >= 0"),
            ({"shared_memory_region": "p", "shared_memory_byte_size": BYTES, "shared_memory_offset": "x"},
             "integer >= 0"),
        ]
        for params, message in cases:
            body = {"inputs": [dict(base, parameters=params), other]}
            r = support.http_request(http_url, "POST", "/v2/models/simple/infer", body)
            assert r.status == 400 and message in r.error() and "INPUT0" in r.error(), (params, r)
        both = {"inputs": [dict(base, data=list(range(16)),
                                parameters={"shared_memory_region": "p", "shared_memory_byte_size": BYTES}), other]}
        r = support.http_request(http_url, "POST", "/v2/models/simple/infer", both)
        assert r.status == 400 and "both shared_memory_region and data" in r.error(), r
        for body in (b"not json", {"offset": 0, "byte_size": 8}, {"key": key}, {"key": key, "byte_size": -1}):
            r = support.http_request(http_url, "POST", "/v2/systemsharedmemory/region/q/register", body)
            assert r.status == 400 and "shared-memory region 'q'" in r.error(), (body, r)
    finally:
        c.unregister_system_shared_memory()
        c.close()


def test_cuda_shared_memory_is_not_supported(client):
    module, c = client
    status = c.get_cuda_shared_memory_status()
    assert len(status.regions if module is grpcclient else status) == 0
    e = expect_error(lambda: c.register_cuda_shared_memory("gpu", b"\0" * 64, 0, 64), "built without CUDA")
    if module is grpcclient:
        assert e.status() == "StatusCode.UNAVAILABLE"
    else:
        assert e.status() == "503"
    c.unregister_cuda_shared_memory()


def test_server_metadata_lists_the_extension(http_client):
    assert "system_shared_memory" in http_client.get_server_metadata()["extensions"]


def test_streaming_with_shared_memory(grpc_url, region):
    c = grpcclient.InferenceServerClient(grpc_url)
    try:
        (a, b), inputs, outputs, out_handle = simple_in_shm(grpcclient, c, region, batch=2, seed=11)
        import queue

        answers = queue.Queue()
        c.start_stream(callback=lambda result, error: answers.put((result, error)))
        c.async_stream_infer("simple", inputs, outputs=outputs, request_id="s1")
        result, error = answers.get(timeout=30)
        c.stop_stream()
        assert error is None, error
        assert result.get_response().id == "s1"
        np.testing.assert_array_equal(shm.get_contents_as_numpy(out_handle, np.int32, [2, 16]), a + b)
        np.testing.assert_array_equal(
            shm.get_contents_as_numpy(out_handle, np.int32, [2, 16], offset=2 * BYTES), a - b)
    finally:
        c.unregister_system_shared_memory()
        c.close()
