"""Hostile use of the system shared-memory extension: keys that try to leave /dev/shm,
offsets and sizes past a region or overflowing 64 bits, an object the client shrinks after
registering it, a region unregistered while a request that uses it waits in the queue, and
registration under token authentication. The server must refuse each with a clear error
and keep serving."""

import os
import sys
import threading

import grpc
import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
import tritonclient.utils.shared_memory as shm
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

import auth_support
from auth_support import bearer, grpc_metadata, support

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scheduler"))
import sched_support  # noqa: E402

BYTES = 16 * 4
ONE_INSTANCE = "instance_group [ { count: 1 kind: KIND_CPU } ]\n"
U64_MAX = 2**64 - 1


@pytest.fixture
def objects(request):
    handles = []

    def make(byte_size):
        key = f"/adlik_hostile_{os.getpid()}_{len(handles)}"
        handles.append(shm.create_shared_memory_region(key.strip("/"), key, byte_size))
        return key, handles[-1]

    yield make
    for handle in handles:
        shm.destroy_shared_memory_region(handle)


def http_register(url, name, body, headers=None):
    return support.http_request(url, "POST", f"/v2/systemsharedmemory/region/{name}/register", body, headers=headers)


def test_keys_that_leave_dev_shm_are_refused(start_server, repo, objects):
    srv = start_server(repo)
    link = f"/dev/shm/adlik_hostile_link_{os.getpid()}"
    os.symlink("/etc/passwd", link)
    try:
        for key in ("../../etc/passwd", "/../etc/passwd", "/a/b", "..", "/..", ".", "/", "", "x/", "/x\u0000y",
                    "/" + "k" * 300, os.path.basename(link)):
            r = http_register(srv.http_url, "r", {"key": key, "byte_size": 8})
            assert r.status in (400, 404), (key, r)
            assert "shared-memory region 'r'" in r.error(), (key, r.error())
        # A link in /dev/shm is not followed.
        r = http_register(srv.http_url, "r", {"key": os.path.basename(link), "byte_size": 8})
        assert "cannot open" in r.error(), r.error()
        channel = grpc.insecure_channel(srv.grpc_url)
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        with pytest.raises(grpc.RpcError) as e:
            stub.SystemSharedMemoryRegister(service_pb2.SystemSharedMemoryRegisterRequest(
                name="r", key="../../etc/passwd", byte_size=8))
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "not the name" in e.value.details()
        channel.close()
        r = support.http_request(srv.http_url, "GET", "/v2/systemsharedmemory/status")
        assert r.status == 200 and r.json() == [], r
    finally:
        os.unlink(link)


def test_offsets_and_sizes_out_of_bounds(start_server, repo, objects):
    srv = start_server(repo)
    key, handle = objects(2 * BYTES)
    for body in ({"key": key, "offset": U64_MAX, "byte_size": 2},
                 {"key": key, "offset": 2, "byte_size": U64_MAX},
                 {"key": key, "offset": 2 * BYTES, "byte_size": 1},
                 {"key": key, "byte_size": 2 * BYTES + 1},
                 {"key": key, "byte_size": 0}):
        r = http_register(srv.http_url, "r", body)
        assert r.status == 400, (body, r)
    r = http_register(srv.http_url, "r", {"key": key, "byte_size": 2 * BYTES})
    assert r.status == 200, r
    a, b = support.simple_inputs(1)
    shm.set_shared_memory_region(handle, [a, b])
    for protocol, module in (("http", httpclient), ("grpc", grpcclient)):
        # tritonclient's gRPC sends these as int64.
        big = U64_MAX if protocol == "http" else 2**63 - 1
        for offset, size in ((big, 2), (2, big), (BYTES + 1, BYTES), (2 * BYTES, 0), (big, big)):
            c = module.InferenceServerClient(srv.http_url if protocol == "http" else srv.grpc_url)
            inputs = [module.InferInput("INPUT0", [1, 16], "INT32"), module.InferInput("INPUT1", [1, 16], "INT32")]
            inputs[0].set_shared_memory("r", size, offset=offset)
            inputs[1].set_data_from_numpy(b)
            with pytest.raises(InferenceServerException) as e:
                c.infer("simple", inputs)
            assert "INPUT0" in str(e.value), (offset, size, str(e.value))
            outputs = [module.InferRequestedOutput("OUTPUT0")]
            outputs[0].set_shared_memory("r", size, offset=offset)
            inputs[0].set_data_from_numpy(a)
            with pytest.raises(InferenceServerException) as e:
                c.infer("simple", inputs, outputs=outputs)
            assert "OUTPUT0" in str(e.value), (offset, size, str(e.value))
            c.close()
    support.check_simple(srv.http_url)


def test_an_object_shrunk_after_registration_is_refused(start_server, repo, objects):
    srv = start_server(repo)
    key, handle = objects(8192)
    r = http_register(srv.http_url, "r", {"key": key, "byte_size": 8192})
    assert r.status == 200, r
    fd = os.open("/dev/shm" + key, os.O_RDWR)
    os.ftruncate(fd, 16)
    os.close(fd)
    a, b = support.simple_inputs(1)
    c = httpclient.InferenceServerClient(srv.http_url)
    inputs = [httpclient.InferInput("INPUT0", [1, 16], "INT32"), httpclient.InferInput("INPUT1", [1, 16], "INT32")]
    inputs[0].set_shared_memory("r", BYTES, offset=4096)
    inputs[1].set_data_from_numpy(b)
    with pytest.raises(InferenceServerException) as e:
        c.infer("simple", inputs)
    assert "shrunk" in str(e.value), str(e.value)
    c.close()
    support.check_simple(srv.http_url)


def test_unregister_while_a_request_uses_the_region(start_server, tmp_path, example_repo, objects):
    """The request keeps the region mapped until it ends: unregistering it frees the name at
    once, and the request still reads its input from, and writes its output to, the region."""
    repo = tmp_path / "slow_repo"
    sched_support.build_repository(repo, {"slow": ("slow", sched_support.slow_config("slow", extra=ONE_INSTANCE))}, example_repo)
    srv = start_server(repo, "--cores=1")
    trips = max(1, int(sched_support.trips_per_second()))  # a blocker runs about 1 s
    key, handle = objects(2 * 4 * 4)
    x = sched_support.slow_inputs(1, 5)
    shm.set_shared_memory_region(handle, [x])
    r = http_register(srv.http_url, "r", {"key": key, "byte_size": 32})
    assert r.status == 200, r

    # Two blockers on the one instance: one runs, the other waits; the request in shared
    # memory then surely waits behind them.
    blockers = [threading.Thread(target=sched_support.http_slow, args=(srv.http_url, "slow", x, trips))
                for _ in range(2)]
    for b in blockers:
        b.start()
    sched_support.wait_pending(srv.http_url, "slow", 1)
    results = {}

    def in_shm():
        c = grpcclient.InferenceServerClient(srv.grpc_url)
        ix = grpcclient.InferInput("x", [1, 4], "FP32")
        ix.set_shared_memory("r", 16)
        n = grpcclient.InferInput("n", [1, 1], "INT64")
        n.set_data_from_numpy(np.array([[1]], dtype=np.int64))
        out = grpcclient.InferRequestedOutput("y")
        out.set_shared_memory("r", 16, offset=16)
        try:
            results["result"] = c.infer("slow", [ix, n], outputs=[out], client_timeout=120)
        except InferenceServerException as e:
            results["error"] = e
        c.close()

    user = threading.Thread(target=in_shm)
    user.start()
    sched_support.wait_pending(srv.http_url, "slow", 2)  # queued behind a blocker
    r = support.http_request(srv.http_url, "POST", "/v2/systemsharedmemory/region/r/unregister", {})
    assert r.status == 200, r
    assert support.http_request(srv.http_url, "GET", "/v2/systemsharedmemory/status").json() == []
    user.join(120)
    for b in blockers:
        b.join(120)
    assert "error" not in results, results
    np.testing.assert_array_equal(shm.get_contents_as_numpy(handle, np.float32, [1, 4], offset=16), 2 * x)


def test_registration_obeys_token_auth(start_server, repo, tmp_path, objects):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text(auth_support.token_file_text())
    srv = start_server(repo, f"--auth_token_file={tokens}")
    key, _ = objects(64)
    body = {"key": key, "byte_size": 64}
    assert http_register(srv.http_url, "r", body).status == 401
    for group in ("infer", "metadata", "metrics"):
        r = http_register(srv.http_url, "r", body, headers=bearer(group))
        assert r.status == 403 and "admin" in r.error(), (group, r)
    for path in ("/v2/systemsharedmemory/status", "/v2/cudasharedmemory/status"):
        assert support.http_request(srv.http_url, "GET", path).status == 401
        assert support.http_request(srv.http_url, "GET", path, headers=bearer("infer")).status == 403
    assert support.http_request(srv.http_url, "POST", "/v2/systemsharedmemory/unregister", {}).status == 401
    assert http_register(srv.http_url, "r", body, headers=bearer("admin")).status == 200

    channel = grpc.insecure_channel(srv.grpc_url)
    stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
    request = service_pb2.SystemSharedMemoryRegisterRequest(name="g", key=key, byte_size=64)
    for metadata, code in (((), grpc.StatusCode.UNAUTHENTICATED),
                           (tuple(grpc_metadata("infer").items()), grpc.StatusCode.PERMISSION_DENIED)):
        with pytest.raises(grpc.RpcError) as e:
            stub.SystemSharedMemoryRegister(request, metadata=metadata)
        assert e.value.code() == code
    for rpc, message in (("SystemSharedMemoryStatus", service_pb2.SystemSharedMemoryStatusRequest()),
                         ("SystemSharedMemoryUnregister", service_pb2.SystemSharedMemoryUnregisterRequest()),
                         ("CudaSharedMemoryStatus", service_pb2.CudaSharedMemoryStatusRequest()),
                         ("CudaSharedMemoryRegister", service_pb2.CudaSharedMemoryRegisterRequest()),
                         ("CudaSharedMemoryUnregister", service_pb2.CudaSharedMemoryUnregisterRequest())):
        with pytest.raises(grpc.RpcError) as e:
            getattr(stub, rpc)(message, metadata=tuple(grpc_metadata("metadata").items()))
        assert e.value.code() == grpc.StatusCode.PERMISSION_DENIED, rpc
    stub.SystemSharedMemoryRegister(request, metadata=tuple(grpc_metadata("admin").items()))
    status = stub.SystemSharedMemoryStatus(service_pb2.SystemSharedMemoryStatusRequest(),
                                           metadata=tuple(grpc_metadata("admin").items()))
    assert sorted(status.regions) == ["g", "r"]
    channel.close()
