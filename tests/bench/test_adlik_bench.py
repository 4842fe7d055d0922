"""adlik_bench on the small example models: it runs every protocol, writes JSON and CSV
with positive figures and served/bare ratios, checks served outputs against the bare
runtime, and refuses what it cannot measure with a clear message."""

import csv
import json
import subprocess

import support

PROTOCOLS = ["bare", "grpc", "http"]
TIMEOUT_S = 240


def run_bench(bench_binary, *args):
    cmd = [bench_binary, f"--server={support.server_binary()}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)


def check_result(result, protocol, with_ratio):
    assert result["protocol"] == protocol
    for key in ("mean_ms", "p50_ms", "p90_ms", "p99_ms", "min_ms", "max_ms", "throughput", "wall_s"):
        assert result[key] > 0, (key, result)
    assert result["min_ms"] <= result["p50_ms"] <= result["p90_ms"] <= result["p99_ms"] <= result["max_ms"]
    if with_ratio:
        assert result["latency_ratio"] > 0 and result["throughput_ratio"] > 0, result
    else:
        assert result["latency_ratio"] is None and result["throughput_ratio"] is None


def test_simple_every_protocol(bench_binary, example_repo, tmp_path):
    out_json, out_csv = tmp_path / "simple.json", tmp_path / "simple.csv"
    r = run_bench(
        bench_binary,
        f"--model_base_path={example_repo}",
        "--model=simple",
        "--iterations=30",
        "--warmup=3",
        f"--json={out_json}",
        f"--csv={out_csv}",
        f"--server_log={tmp_path / 'server.log'}",
    )
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(out_json.read_text())
    assert doc["model"] == "simple" and doc["version"] == "1"
    assert doc["batch_size"] == 1 and doc["iterations"] == 30 and doc["warmup"] == 3
    assert doc["server"]["started"] is True
    assert [x["protocol"] for x in doc["results"]] == PROTOCOLS
    for x in doc["results"]:
        check_result(x, x["protocol"], with_ratio=True)
        assert x["requests"] == 30
    bare = doc["results"][0]
    assert bare["latency_ratio"] == 1.0 and bare["throughput_ratio"] == 1.0
    assert bare["outputs_match"] is None
    # simple is exact integer arithmetic: served outputs must equal the runtime's.
    assert all(x["outputs_match"] is True and x["max_abs_diff"] == 0 for x in doc["results"][1:])

    rows = list(csv.DictReader(out_csv.open()))
    assert [row["protocol"] for row in rows] == PROTOCOLS
    assert all(float(row["throughput"]) > 0 and float(row["latency_ratio"]) > 0 for row in rows)

    # The table: a header with the ratio columns and one line per protocol.
    assert "latency/bare" in r.stdout and "thruput/bare" in r.stdout
    for p in PROTOCOLS:
        assert any(line.split()[:1] == [p] for line in r.stdout.splitlines()), r.stdout


def test_classifier_batched_concurrent(bench_binary, example_repo, tmp_path):
    out_json = tmp_path / "classifier.json"
    r = run_bench(
        bench_binary,
        f"--model_base_path={example_repo}",
        "--model=classifier",
        "--batch_size=4",
        "--concurrency=2",
        "--iterations=8",
        "--warmup=2",
        "--input_sets=3",
        f"--json={out_json}",
    )
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(out_json.read_text())
    assert doc["batch_size"] == 4 and doc["concurrency"] == 2 and doc["input_sets"] == 3
    assert [x["protocol"] for x in doc["results"]] == PROTOCOLS
    for x in doc["results"]:
        check_result(x, x["protocol"], with_ratio=True)
        assert x["requests"] == 8
    # Float outputs of the same engine on the same inputs: equal within tolerance.
    assert all(x["outputs_match"] is True for x in doc["results"][1:])


def test_running_server_by_url_without_bare(bench_binary, bench_server, tmp_path):
    out_json = tmp_path / "by_url.json"
    r = run_bench(
        bench_binary,
        "--model=simple",
        "--protocol=http,grpc",
        f"--grpc_url={bench_server.grpc_url}",
        f"--http_url={bench_server.http_url}",
        "--iterations=10",
        "--warmup=1",
        f"--json={out_json}",
    )
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(out_json.read_text())
    assert doc["server"]["started"] is False
    assert doc["server"]["grpc_url"] == bench_server.grpc_url
    assert [x["protocol"] for x in doc["results"]] == ["http", "grpc"]
    for x in doc["results"]:
        check_result(x, x["protocol"], with_ratio=False)
        assert x["outputs_match"] is None


def test_bytes_model_with_ranges(bench_binary, example_repo, tmp_path):
    """simple_string: numeric strings drawn from --range; served equals bare exactly."""
    out_json = tmp_path / "string.json"
    r = run_bench(
        bench_binary,
        f"--model_base_path={example_repo}",
        "--model=simple_string",
        "--range=INPUT0:-50:50,INPUT1:0:9",
        "--iterations=5",
        "--warmup=1",
        f"--json={out_json}",
    )
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(out_json.read_text())
    assert all(x["outputs_match"] is True for x in doc["results"][1:])


def test_refusals(bench_binary, example_repo):
    r = run_bench(bench_binary, f"--model_base_path={example_repo}", "--model=simple", "--batch_size=9")
    assert r.returncode == 2
    assert "max_batch_size 8" in r.stderr

    r = run_bench(bench_binary, f"--model_base_path={example_repo}", "--model=no_such_model", "--protocol=bare")
    assert r.returncode == 1
    assert "no model folder 'no_such_model'" in r.stderr

    r = run_bench(bench_binary, f"--model_base_path={example_repo}", "--model=simple", "--protocol=bare,ftp")
    assert r.returncode == 2
    assert "'ftp'" in r.stderr

    r = run_bench(bench_binary, f"--model_base_path={example_repo}", "--model=simple_identity", "--protocol=bare")
    assert r.returncode == 2
    assert "--shape=INPUT0:" in r.stderr


def test_help_lists_the_flags_and_exits_zero(bench_binary):
    """--help lists adlik_bench's own flags with their defaults (absl lists only a file
    named after the program unless told which file holds them)."""
    result = subprocess.run([bench_binary, "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result
    assert "No flags matched" not in result.stdout, result.stdout
    for flag in ("--model_base_path", "--model", "--batch_size", "--iterations", "--protocol"):
        assert flag in result.stdout, (flag, result.stdout)
    assert "default:" in result.stdout
