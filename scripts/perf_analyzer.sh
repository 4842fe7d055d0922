#!/usr/bin/env bash
# Triton's perf_analyzer against adlik_serving: `simple` and `classifier` over gRPC
# and HTTP, then `simple` with its tensors in system shared memory (gRPC, HTTP) and
# over the gRPC stream. A benchmark, not a test: it prints perf_analyzer's own report.
#
#   scripts/perf_analyzer.sh              # starts build/bin/adlik_serving on the example models
#   GRPC_URL=h:p HTTP_URL=h:p scripts/perf_analyzer.sh   # a server that is already running
#
# perf_analyzer comes from PyPI's perf-analyzer, whose only Linux wheel is
# manylinux_2_38: its binary needs glibc >= 2.38 and libstdc++ from GCC 13. Where the
# system's are older (Debian bookworm: glibc 2.36, GCC 12), ADLIK_SETUP_BENCH=1
# scripts/setup.sh unpacks that wheel into ~/.cache/adlik/perf_analyzer and Debian
# trixie's libc6/libstdc++6/libgcc-s1 into ~/.cache/adlik/trixie-libs, and this script
# runs the binary through trixie's dynamic loader; nothing is installed system-wide.
#
#   BUILD_DIR      where adlik_serving is (default build)
#   PA_ARGS        extra perf_analyzer flags (default: 3 s windows, concurrency 1:2);
#                  --stability-percentage 50 is always added: on a shared 2-core machine
#                  perf_analyzer's default 10 % rarely settles
#   ADLIK_DEPS     the cache (default ~/.cache/adlik)
set -euo pipefail
cd "$(dirname "$0")/.."
deps="${ADLIK_DEPS:-$HOME/.cache/adlik}"
build="${BUILD_DIR:-build}"
pa_args=(${PA_ARGS:---measurement-interval 3000 --concurrency-range 1:2 --max-trials 5})

# The perf_analyzer command: on PATH if it runs, else the cached wheel's binary.
pa=()
if command -v perf_analyzer >/dev/null && perf_analyzer --version >/dev/null 2>&1; then
  pa=(perf_analyzer)
else
  bin="$deps/perf_analyzer/perf_analyzer/bin/perf_analyzer"
  libs="$deps/trixie-libs/usr/lib/x86_64-linux-gnu"
  cudart="$deps/perf_analyzer/cudart"  # loaded by --shared-memory
  if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
    pa=(env LD_LIBRARY_PATH="$cudart${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$bin")
  elif [ -x "$bin" ] && [ -x "$libs/ld-linux-x86-64.so.2" ]; then
    pa=("$libs/ld-linux-x86-64.so.2" --library-path "$libs:$cudart" "$bin")
  else
    echo "perf_analyzer: not runnable here (PyPI's wheel needs glibc >= 2.38);" \
      "run ADLIK_SETUP_BENCH=1 scripts/setup.sh first" >&2
    exit 1
  fi
fi
"${pa[@]}" --version

grpc_url="${GRPC_URL:-}"
http_url="${HTTP_URL:-}"
server_pid=""
work=$(mktemp -d)
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
if [ -z "$grpc_url" ] || [ -z "$http_url" ]; then
  python3 examples/make_example_models.py "$work/models" >/dev/null
  read -r grpc_port http_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
  "$build/bin/adlik_serving" --model_base_path="$work/models" --address=127.0.0.1 \
    --grpc_port="$grpc_port" --http_port="$http_port" >"$work/server.log" 2>&1 &
  server_pid=$!
  grpc_url="127.0.0.1:$grpc_port"
  http_url="127.0.0.1:$http_port"
  for _ in $(seq 100); do
    curl -sf "http://$http_url/v2/health/ready" >/dev/null && break
    sleep 0.1
  done
fi

status=0
run() {
  echo
  echo "== perf_analyzer $*"
  "${pa[@]}" "$@" --stability-percentage 50 "${pa_args[@]}" || status=1
}
run -m simple -i grpc -u "$grpc_url"
run -m simple -i http -u "$http_url"
run -m classifier -i grpc -u "$grpc_url" -b 8
run -m classifier -i http -u "$http_url" -b 8
run -m simple -i grpc -u "$grpc_url" --shared-memory=system
run -m simple -i http -u "$http_url" --shared-memory=system
run -m simple -i grpc -u "$grpc_url" --streaming
exit $status
