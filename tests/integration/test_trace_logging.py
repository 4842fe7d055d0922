"""The trace and logging extensions: /v2[/models/{m}]/trace/setting and /v2/logging over
HTTP, TraceSetting and LogSettings over gRPC (tritonclient on both), their errors and
their admin token, --trace_config, Triton's trace file, and OpenTelemetry: spans for
inferences sent over OTLP/HTTP to a local receiver, with the request's timestamps."""

import http.server
import json
import os
import shutil
import socketserver
import threading
import time

import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

import support

ORDER = [
    "REQUEST_START",
    "QUEUE_START",
    "COMPUTE_START",
    "COMPUTE_INPUT_END",
    "COMPUTE_OUTPUT_START",
    "COMPUTE_END",
    "REQUEST_END",
]


def clients(srv):
    return httpclient.InferenceServerClient(srv.http_url), grpcclient.InferenceServerClient(srv.grpc_url)


def grpc_trace(client, model=None, settings=None):
    """The gRPC answer as HTTP's shape: trace_level a list, the others one string."""
    if settings is None:
        answer = client.get_trace_settings(model_name=model, as_json=True)
    else:
        answer = client.update_trace_settings(model_name=model, settings=settings, as_json=True)
    out = {}
    for name, value in answer["settings"].items():
        values = value.get("value", [])
        out[name] = values if name == "trace_level" else (values[0] if values else "")
    return out


@pytest.fixture
def traced_server(start_server, example_repo, tmp_path):
    trace_file = tmp_path / "trace.json"
    return start_server(example_repo, f"--trace_config=triton,file={trace_file}"), trace_file


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_trace_settings_round_trip_global_and_per_model(traced_server, protocol):
    srv, trace_file = traced_server
    http_client, grpc_client = clients(srv)

    def get(model=None):
        if protocol == "http":
            return http_client.get_trace_settings(model_name=model)
        return grpc_trace(grpc_client, model)

    def update(settings, model=None):
        if protocol == "http":
            return http_client.update_trace_settings(model_name=model, settings=settings)
        return grpc_trace(grpc_client, model, settings)

    assert get() == {
        "trace_level": ["OFF"],
        "trace_rate": "1000",
        "trace_count": "-1",
        "log_frequency": "0",
        "trace_file": str(trace_file),
        "trace_mode": "triton",
    }
    updated = update({"trace_level": ["TIMESTAMPS"], "trace_rate": "5", "trace_count": "7"})
    assert updated["trace_level"] == ["TIMESTAMPS"] and updated["trace_rate"] == "5", updated
    assert updated["trace_count"] == "7"
    # A model's own setting overrides the global one; the rest follows the global ones.
    own = update({"trace_level": ["OFF"], "trace_rate": "2"}, model="simple")
    assert own["trace_level"] == ["OFF"] and own["trace_rate"] == "2" and own["trace_count"] == "7", own
    assert get("simple") == own
    assert get()["trace_level"] == ["TIMESTAMPS"]
    # A model without its own settings shows the global ones.
    assert get("simple_string") == get()
    # Clearing a model's value reverts it to the global one.
    cleared = update({"trace_level": None}, model="simple")
    assert cleared["trace_level"] == ["TIMESTAMPS"] and cleared["trace_rate"] == "2", cleared
    # Clearing a global value reverts it to its value at start.
    assert update({"trace_rate": None, "trace_level": None})["trace_rate"] == "1000"
    assert get()["trace_level"] == ["OFF"]
    http_client.close()
    grpc_client.close()


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_trace_setting_errors_name_what_is_wrong(traced_server, protocol):
    srv, _ = traced_server
    http_client, grpc_client = clients(srv)
    cases = [
        ({"trace_level": ["TENSORS"]}, None, "TENSORS is not supported"),
        ({"trace_level": ["LOUD"]}, None, "'LOUD' is not OFF or TIMESTAMPS"),
        ({"trace_rate": "-1"}, None, "trace_rate: '-1' is not an integer >= 1"),
        ({"trace_count": "many"}, None, "trace_count: 'many'"),
        ({"trace_file": "/tmp/elsewhere.json"}, None, "may not choose a file the server writes"),
        ({"trace_mode": "opentelemetry"}, None, "trace_mode can't be updated"),
        ({"trace_colour": "red"}, None, "unknown trace setting 'trace_colour'"),
        ({"trace_rate": "1"}, "no_such_model", "unknown model 'no_such_model'"),
    ]
    for settings, model, error in cases:
        with pytest.raises(InferenceServerException) as e:
            if protocol == "http":
                http_client.update_trace_settings(model_name=model, settings=settings)
            else:
                grpc_client.update_trace_settings(model_name=model, settings=settings)
        assert error in e.value.message(), (settings, e.value.message())
    assert http_client.get_trace_settings()["trace_rate"] == "1000"
    http_client.close()
    grpc_client.close()


def test_trace_setting_http_body_errors(traced_server):
    srv, _ = traced_server
    r = support.http_request(srv.http_url, "POST", "/v2/trace/setting", body=b"[1]")
    assert r.status == 400 and "must be a JSON object" in r.error(), r
    r = support.http_request(srv.http_url, "POST", "/v2/trace/setting", body={"trace_rate": 1.5})
    assert r.status == 400 and "trace setting 'trace_rate'" in r.error(), r
    r = support.http_request(srv.http_url, "POST", "/v2/logging", body={"log_info": [True]})
    assert r.status == 400 and "log setting 'log_info'" in r.error(), r


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_log_settings_round_trip_and_errors(start_server, example_repo, protocol):
    srv = start_server(example_repo)
    http_client, grpc_client = clients(srv)

    def get():
        if protocol == "http":
            return http_client.get_log_settings()
        answer = grpc_client.get_log_settings(as_json=True)["settings"]
        return {k: next(iter(v.values())) if v else "" for k, v in answer.items()}

    def update(settings):
        if protocol == "http":
            return http_client.update_log_settings(settings)
        grpc_client.update_log_settings(settings)
        return get()

    start = get()
    assert start["log_info"] is True and start["log_warning"] is True and start["log_error"] is True, start
    assert start["log_format"] == "text" and start.get("log_file", "") == "", start
    assert int(start.get("log_verbose_level", 0)) == 0, start
    after = update({"log_verbose_level": 2, "log_warning": False})
    assert int(after["log_verbose_level"]) == 2 and after["log_warning"] is False, after
    assert update({"log_warning": True, "log_verbose_level": 0})["log_warning"] is True
    # Triton's format names are taken (both are the text format) and read back as set.
    assert update({"log_format": "ISO8601"})["log_format"] == "ISO8601"
    assert update({"log_format": "default"})["log_format"] == "default"
    assert update({"log_format": "text"})["log_format"] == "text"
    cases = [
        ({"log_file": "/tmp/server.log"}, "may not choose a file the server writes"),
        ({"log_format": "xml"}, 'log_format: expected "text", "json", or Triton\'s'),
        ({"log_colour": True}, "unknown log setting 'log_colour'"),
    ]
    if protocol == "http":  # tritonclient's gRPC client types each value by its name
        cases.append(({"log_info": "yes"}, "log_info: expected a boolean"))
    for settings, error in cases:
        with pytest.raises(InferenceServerException) as e:
            if protocol == "http":
                http_client.update_log_settings(settings)
            else:
                grpc_client.update_log_settings(settings)
        assert error in e.value.message(), (settings, e.value.message())
    assert get()["log_info"] is True
    http_client.close()
    grpc_client.close()


def test_log_settings_take_effect_at_once(start_server, example_repo):
    srv = start_server(example_repo)
    client = httpclient.InferenceServerClient(srv.http_url)
    client.update_log_settings({"log_format": "json"})
    client.close()
    assert srv.stop() == 0
    lines = srv.log_text().splitlines()
    # The last lines (draining, stopped) come after the update: one JSON object each.
    assert json.loads(lines[-1])["message"] == "stopped", lines[-3:]

    srv = start_server(example_repo)
    client = httpclient.InferenceServerClient(srv.http_url)
    client.update_log_settings({"log_info": False})
    client.close()
    assert srv.stop() == 0
    lines = srv.log_text().splitlines()
    assert any(line.endswith("Entering the event loop ...") for line in lines), lines
    assert not any(line.endswith(" stopped") for line in lines), lines[-3:]


def test_settings_need_the_admin_token(start_server, example_repo, tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text("admintoken admin\ninfertoken infer,metadata\n")
    srv = start_server(example_repo, f"--auth_token_file={tokens}")
    for path in ["/v2/trace/setting", "/v2/models/simple/trace/setting", "/v2/logging"]:
        for method, body in [("GET", None), ("POST", {})]:
            assert support.http_request(srv.http_url, method, path, body=body).status == 401, path
            bad = {"Authorization": "Bearer infertoken"}
            assert support.http_request(srv.http_url, method, path, body=body, headers=bad).status == 403, path
            good = {"Authorization": "Bearer admintoken"}
            assert support.http_request(srv.http_url, method, path, body=body, headers=good).status == 200, path
    client = grpcclient.InferenceServerClient(srv.grpc_url)
    for call in [lambda h: client.update_trace_settings(settings={"trace_rate": "3"}, headers=h),
                 lambda h: client.update_log_settings({"log_info": True}, headers=h)]:
        with pytest.raises(InferenceServerException) as e:
            call({"authorization": "Bearer infertoken"})
        assert "PERMISSION_DENIED" in str(e.value.status()), e.value
        call({"authorization": "Bearer admintoken"})
    client.close()


def test_bad_trace_config_flags_exit_with_the_reason(example_repo):
    import subprocess

    for flag, error in [
        ("--trace_config=rate=0", "'rate=0': '0' is not an integer >= 1"),
        ("--trace_config=level=TENSORS", "TENSORS is not supported"),
        ("--trace_config=level=TIMESTAMPS", "triton,file=PATH"),
        ("--trace_config=zipkin,url=x", "unknown mode 'zipkin'"),
    ]:
        out = subprocess.run(
            [support.server_binary(), f"--model_base_path={example_repo}", flag],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 2, (flag, out.returncode, out.stderr)
        assert error in out.stderr, (flag, out.stderr)


def test_triton_trace_file_has_the_timestamps_in_order(start_server, example_repo, tmp_path):
    trace_file = tmp_path / "trace.json"
    srv = start_server(
        example_repo,
        "--trace_config=level=TIMESTAMPS",
        "--trace_config=rate=1",
        "--trace_config=count=2",
        f"--trace_config=triton,file={trace_file}",
    )
    for _ in range(3):
        support.check_simple(srv.http_url, "http_json")
    assert srv.stop() == 0
    traces = json.loads(trace_file.read_text())
    assert len(traces) == 2, traces  # count=2
    for trace in traces:
        assert trace["model_name"] == "simple" and trace["model_version"] == "1", trace
        names = [t["name"] for t in trace["timestamps"]]
        assert names == ORDER, names
        ns = [t["ns"] for t in trace["timestamps"]]
        assert ns == sorted(ns), ns


class OtlpReceiver:
    """A local OTLP/HTTP receiver: keeps each ExportTraceServiceRequest's spans."""

    def __init__(self):
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

        self.spans = []
        self.resources = []
        self.cv = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = trace_service_pb2.ExportTraceServiceRequest()
                request.ParseFromString(body)
                with receiver.cv:
                    for rs in request.resource_spans:
                        receiver.resources.append(rs.resource)
                        for ss in rs.scope_spans:
                            receiver.spans.extend(ss.spans)
                    receiver.cv.notify_all()
                reply = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_spans(self, n, timeout=30):
        with self.cv:
            self.cv.wait_for(lambda: len(self.spans) >= n, timeout)
            return list(self.spans)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_opentelemetry_spans_carry_the_timestamps(start_server, example_repo, log_dir):
    pytest.importorskip("opentelemetry.proto.collector.trace.v1.trace_service_pb2")
    receiver = OtlpReceiver()
    args = [
        "--trace_config=mode=opentelemetry",
        "--trace_config=level=TIMESTAMPS",
        "--trace_config=rate=1",
        f"--trace_config=opentelemetry,url=127.0.0.1:{receiver.port}/v1/traces",
        "--trace_config=opentelemetry,resource=deployment.environment=test",
        "--trace_config=opentelemetry,bsp_schedule_delay=100",
    ]
    probe = support.Server(example_repo, log_dir, name="otel_probe", extra_args=args)
    import subprocess

    out = subprocess.run(probe.command() + ["--model_base_path=/nonexistent"], capture_output=True, text=True, timeout=60)
    if "built without OpenTelemetry" in out.stderr:
        receiver.close()
        pytest.skip("adlik_serving built without -DADLIK_WITH_OPENTELEMETRY=ON")
    try:
        srv = start_server(example_repo, *args)
        support.check_simple(srv.http_url, "http_json")
        support.check_simple(srv.grpc_url, "grpc")
        parent_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
        parent_span = "00f067aa0ba902b7"
        a, b = support.simple_inputs(1)
        client = httpclient.InferenceServerClient(srv.http_url)
        inputs = [httpclient.InferInput("INPUT0", a.shape, "INT32"), httpclient.InferInput("INPUT1", b.shape, "INT32")]
        inputs[0].set_data_from_numpy(a)
        inputs[1].set_data_from_numpy(b)
        client.infer("simple", inputs, request_id="traced-1", headers={"traceparent": f"00-{parent_trace}-{parent_span}-01"})
        client.close()
        spans = receiver.wait_spans(3)
        assert len(spans) >= 3, spans
        for span in spans:
            assert span.name == "InferRequest"
            attrs = {a.key: a.value for a in span.attributes}
            assert attrs["triton.model_name"].string_value == "simple", attrs
            assert attrs["triton.model_version"].string_value == "1", attrs
            names = [e.name for e in span.events]
            assert names == ORDER, names
            times = [e.time_unix_nano for e in span.events]
            assert times == sorted(times), times
            assert span.start_time_unix_nano == times[0] and span.end_time_unix_nano == times[-1], span
            # Wall-clock times of now, not of the monotonic clock.
            assert abs(times[0] / 1e9 - time.time()) < 600, times[0]
        child = [s for s in spans if s.trace_id.hex() == parent_trace]
        assert len(child) == 1, [s.trace_id.hex() for s in spans]
        assert child[0].parent_span_id.hex() == parent_span
        attrs = {a.key: a.value for a in child[0].attributes}
        assert attrs["triton.request_id"].string_value == "traced-1", attrs
        resource = {a.key: a.value.string_value for a in receiver.resources[0].attributes}
        assert resource["service.name"] == "adlik_serving" and resource["deployment.environment"] == "test", resource
    finally:
        receiver.close()
