#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan, coverage) into build-fuzz/
# and runs each for SECONDS (default 20; scripts/test.sh uses the default, a
# longer hunt is e.g. `scripts/fuzz.sh 3600`). Seeds come from
# fuzz/corpus/<target>/; what a run finds new goes to build-fuzz/corpus/, and
# a crashing input to build-fuzz/crash-* (the run then fails).
#   FUZZ_TARGETS  which targets (default all)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
targets=${FUZZ_TARGETS:-fuzz_http_request fuzz_grpc_request fuzz_model_config fuzz_bytes_tensor fuzz_v1_request}
build=build-fuzz
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DADLIK_FUZZ=ON -DADLIK_SANITIZE=address >/dev/null
# shellcheck disable=SC2086
ninja -C "$build" -j"$(nproc)" $targets
for t in $targets; do
  mkdir -p "$build/corpus/$t"
  echo "== $t for ${seconds} s"
  if ! "$build/bin/$t" "$build/corpus/$t" "fuzz/corpus/$t" -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=4096 -artifact_prefix="$build/$t-" -print_final_stats=1 \
    >"$build/$t.log" 2>&1; then
    tail -n 60 "$build/$t.log"
    echo "$t failed: the input is in $build/$t-* (full log: $build/$t.log)"
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$build/$t.log" || true
done
