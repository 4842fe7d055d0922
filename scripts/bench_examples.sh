#!/usr/bin/env bash
# Served/bare latency ratios for the example models `simple` and `classifier`
# (batch 1), through adlik_bench: the bare runtime in-process, then the model
# served by an adlik_serving that adlik_bench starts, over gRPC and HTTP.
# A benchmark, not a test: it prints figures and asserts nothing about them.
#
#   scripts/bench_examples.sh                 # 1000 iterations after 10 warm-up
#   ITERATIONS=200 scripts/bench_examples.sh
#
#   BUILD_DIR    where adlik_bench is (default build; it is in BUILD_DIR/bin)
#   ITERATIONS   timed requests per protocol (default 1000)
#   WARMUP       warm-up requests per protocol (default 10)
#   OUT_DIR      where the JSON and CSV go (default: a temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build}"
bench="$build/bin/adlik_bench"
iterations="${ITERATIONS:-1000}"
warmup="${WARMUP:-10}"
if [ ! -x "$bench" ]; then
  echo "bench_examples: $bench not found; build first (scripts/build.sh)" >&2
  exit 1
fi
out="${OUT_DIR:-$(mktemp -d)}"
mkdir -p "$out"
repo="$out/models"
python3 examples/make_example_models.py "$repo" >/dev/null

for model in simple classifier; do
  echo "== $model"
  "$bench" --model_base_path="$repo" --model="$model" --batch_size=1 \
    --iterations="$iterations" --warmup="$warmup" --rounds=4 \
    --json="$out/$model.json" --csv="$out/$model.csv" --server_log="$out/$model.server.log"
done

python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
print("\nserved/bare at batch 1 (mean latency ratio; throughput ratio)")
for model in ("simple", "classifier"):
    doc = json.load(open(f"{out}/{model}.json"))
    cells = [
        f"{r['protocol']} {r['latency_ratio']:.2f}x latency, {r['throughput_ratio']:.3f} throughput"
        for r in doc["results"] if r["protocol"] != "bare"
    ]
    bare = doc["results"][0]
    print(f"  {model:<11} bare {bare['mean_ms']:.3f} ms | " + " | ".join(cells))
print(f"\nJSON and CSV in {out}")
PY
