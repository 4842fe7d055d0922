#!/usr/bin/env bash
# Configures and builds into build/ (binaries and runtime plugins in build/bin/).
#   BUILD_DIR   build folder (default build)
#   any extra arguments go to cmake's configure step, e.g. -DADLIK_SANITIZE=address
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-Release}" "$@" >/dev/null
ninja -C "$build" -j"$(nproc)"
