"""gRPC requests that used to get UNIMPLEMENTED with no message: bytes that are not a
protobuf message of the method's request type (now INVALID_ARGUMENT naming the method),
and a request whose handling throws (now an error with a message; the call is finished
and the server goes on serving and stops cleanly)."""

import grpc
import pytest
from tritonclient.grpc import service_pb2, service_pb2_grpc

import auth_support
from auth_support import support

SERVICE = "/inference.GRPCInferenceService/"

# Not protobuf: a truncated varint, a length past the end, an invalid wire type.
GARBAGE = [b"\xff\xff\xff\xff\xff", b"\x0a\xff\x01abc", b"\x0f\x00"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    repo = tmp_path_factory.mktemp("grpc_error_models")
    support.make_example_repository(repo)
    log_dir = tmp_path_factory.mktemp("grpc_error_logs")
    srv = auth_support.start_server(repo, log_dir, "grpc_errors")
    yield srv
    code = srv.stop()
    assert code == 0, f"exit code {code} after SIGTERM (None: did not exit):\n{srv.log_tail()}"


@pytest.mark.parametrize(
    "method", ["ModelInfer", "ServerMetadata", "ModelMetadata", "ModelConfig", "RepositoryModelLoad", "ServerLive"]
)
def test_unparseable_request_is_invalid_argument(server, method):
    for payload in GARBAGE:
        code, details, _ = auth_support.raw_unary(server.grpc_url, SERVICE + method, payload)
        assert code == grpc.StatusCode.INVALID_ARGUMENT, (payload, code, details)
        assert method in details and "protobuf" in details, details
    support.check_simple(server.grpc_url, "grpc")


def test_valid_raw_bytes_still_work(server):
    payload = service_pb2.ModelMetadataRequest(name="simple").SerializeToString()
    code, details, response = auth_support.raw_unary(server.grpc_url, SERVICE + "ModelMetadata", payload)
    assert code == grpc.StatusCode.OK, details
    assert service_pb2.ModelMetadataResponse.FromString(response).name == "simple"


def test_unknown_method_stays_unimplemented(server):
    code, _, _ = auth_support.raw_unary(server.grpc_url, SERVICE + "NoSuchMethod", b"")
    assert code == grpc.StatusCode.UNIMPLEMENTED


def test_handler_exception_finishes_the_call_with_a_message(server):
    # A BYTES input whose shape claims 2**40 elements: checking it runs out of memory
    # (or, once the check sizes by the data, is refused); either way the call gets an
    # answer with a message, never UNIMPLEMENTED with none.
    channel = grpc.insecure_channel(server.grpc_url)
    try:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        for _ in range(3):
            request = service_pb2.ModelInferRequest(model_name="simple_identity")
            request.inputs.add(name="INPUT0", datatype="BYTES", shape=[1, 2**40])
            request.raw_input_contents.append((3).to_bytes(4, "little") + b"abc")
            with pytest.raises(grpc.RpcError) as e:
                stub.ModelInfer(request, timeout=60)
            assert e.value.code() in (
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                grpc.StatusCode.INTERNAL,
                grpc.StatusCode.INVALID_ARGUMENT,
            ), e.value
            assert e.value.details(), e.value
    finally:
        channel.close()
    support.check_simple(server.grpc_url, "grpc")
    assert server.proc.poll() is None
