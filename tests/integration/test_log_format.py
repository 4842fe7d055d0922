"""--log_format=json: every line the server writes is one JSON object with the time, the
level, the source location and the message, plus model and version where the line is
about one; the default stays the human-readable text."""

import json
import os
import re
import shutil
import subprocess

import support

FIELDS = {"time", "level", "file", "line", "message"}
OPTIONAL = {"model", "version", "request_id"}


def json_lines(srv):
    lines = srv.log_text().splitlines()
    assert lines, "the server wrote nothing"
    records = []
    for n, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
        except ValueError as e:
            raise AssertionError(f"line {n} is not JSON ({e}): {line!r}") from None
        assert isinstance(record, dict), line
        assert FIELDS <= record.keys() <= FIELDS | OPTIONAL, line
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", record["time"]), line
        assert record["level"] in ("VERBOSE", "INFO", "WARNING", "ERROR", "FATAL"), line
        assert isinstance(record["line"], int) and record["line"] > 0, line
        assert "version" not in record or isinstance(record["version"], int), line
        records.append(record)
    return records


def test_json_log_has_one_object_a_line_with_model_fields(start_server, example_repo, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(example_repo, repo)
    support.add_broken_models(str(repo))
    srv = start_server(repo, "--log_format=json", "--verbose")
    support.check_simple(srv.http_url, "http_json", batch=2)
    support.check_simple(srv.grpc_url, "grpc", batch=1)
    assert srv.stop() == 0, srv.log_tail()
    records = json_lines(srv)

    ready = [r for r in records if r.get("model") == "simple" and r["message"] == "READY"]
    assert ready and ready[0]["version"] == 1 and ready[0]["level"] == "INFO", records
    assert ready[0]["file"] == "model_manager.cc", ready[0]
    broken = [r for r in records if r.get("model") == "broken_onnx" and r["level"] == "ERROR"]
    assert broken and "UNAVAILABLE" in broken[0]["message"], records
    # The text prefix is not repeated in the message.
    assert not any("model '" in r["message"] for r in records if "model" in r), records
    assert any(r["message"] == "stopped" for r in records), records


def test_text_log_is_the_default(start_server, example_repo):
    srv = start_server(example_repo)
    assert srv.stop() == 0
    text = srv.log_text()
    assert re.search(r"^I\d{4}-\d\d-\d\dT[\d:.]+Z model 'simple' version 1: READY$", text, re.M), text
    assert not text.lstrip().startswith("{"), text


def test_an_unknown_log_format_is_refused(example_repo):
    r = subprocess.run(
        [support.server_binary(), f"--model_base_path={example_repo}", "--log_format=yaml"],
        capture_output=True, text=True, timeout=30,
    )
    assert r.returncode == 1, r
    assert "--log_format: 'yaml' is not text or json" in r.stderr, r.stderr
