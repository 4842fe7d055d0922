#!/usr/bin/env bash
# Sets up, builds, and runs every test: the C++ unit tests (ctest), the same
# unit tests under ThreadSanitizer for the scheduler, and the integration
# tests that start the real adlik_serving (pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
python3 -m pytest tests -q
