#!/usr/bin/env bash
# Sets up, builds, and runs every test:
#   1. the C++ unit tests (ctest), with the LibTorch runtime built in;
#   2. the scheduler's unit tests under ThreadSanitizer, and the unit tests of
#      the server's own layers under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. the integration tests that start the real adlik_serving (pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
export ADLIK_WITH_LIBTORCH=1
scripts/setup.sh
scripts/build.sh -DADLIK_WITH_LIBTORCH=ON
ctest --test-dir build --output-on-failure -j"$(nproc)"

sanitized() {  # sanitized NAME TEST...
  local name=$1
  shift
  cmake -S . -B "build-$name" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DADLIK_SANITIZE="$name" >/dev/null
  ninja -C "build-$name" -j"$(nproc)" "$@"
  for t in "$@"; do
    echo "== $t under $name sanitizer"
    "build-$name/tests/$t" --gtest_brief=1
  done
}
sanitized thread batch_queue_test scheduler_test
sanitized address status_test model_config_test request_validator_test \
  classification_test kserve_json_test batch_queue_test scheduler_test model_manager_test \
  runtime_registry_test

python3 -m pytest tests -q
