#!/usr/bin/env bash
# Sets up, builds, and runs every test:
#   1. the C++ unit tests (ctest), with the LibTorch, OpenVINO, treelite, TFLite,
#      TensorFlow and TVM runtimes and the OpenTelemetry trace exporter built in;
#   2. the scheduler's unit tests under ThreadSanitizer, and the unit tests of
#      the server's own layers under AddressSanitizer + UndefinedBehaviorSanitizer;
#      the server's libraries and their unit tests built by clang with its
#      thread-safety analysis of the lock annotations (a violation fails);
#   3. each libFuzzer target for a bounded time (scripts/fuzz.sh);
#   4. the hostile-input integration tests against adlik_serving built with
#      AddressSanitizer + UndefinedBehaviorSanitizer;
#   5. every integration test against the release build (pytest), with the deployment
#      manifests' checks (tests/deploy: helm, kubeconform, the kserve SDK).
set -euo pipefail
cd "$(dirname "$0")/.."
export ADLIK_WITH_LIBTORCH=1 ADLIK_WITH_OPENVINO=1 ADLIK_WITH_TREELITE=1 ADLIK_WITH_TENSORFLOW=1 \
  ADLIK_WITH_TFLITE=1 ADLIK_WITH_QUANTIZATION=1 ADLIK_WITH_TVM=1 ADLIK_WITH_OPENTELEMETRY=1 \
  ADLIK_WITH_CONVERTERS=1 ADLIK_SETUP_DEPLOY=1
scripts/setup.sh
scripts/build.sh -DADLIK_WITH_LIBTORCH=ON -DADLIK_WITH_OPENVINO=ON -DADLIK_WITH_TREELITE=ON \
  -DADLIK_WITH_TFLITE=ON -DADLIK_WITH_TENSORFLOW=ON -DADLIK_WITH_TVM=ON -DADLIK_WITH_OPENTELEMETRY=ON
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
sanitized thread batch_queue_test scheduler_test rate_limiter_test
sanitized address status_test model_config_test tensor_reshape_test \
  runtime_parameters_test served_model_test request_validator_test \
  classification_test kserve_json_test batch_queue_test scheduler_test model_manager_test \
  runtime_registry_test

echo "== clang's thread-safety analysis of the server's libraries"
CC=clang CXX=clang++ cmake -S . -B build-tsa -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DADLIK_THREAD_SAFETY_ANALYSIS=ON >/dev/null
ninja -C build-tsa -j"$(nproc)" adlik_server adlik_metrics model_manager_test \
  version_planner_test model_event_bus_test scheduler_test batch_queue_test \
  rate_limiter_test served_model_test runtime_registry_test

scripts/fuzz.sh 20

# The server built with ASan + UBSan, driven by the tests that send hostile
# input. A sanitizer report aborts the server, which the tests see.
ninja -C build-address -j"$(nproc)" adlik_serving adlik_runtime_onnxruntime \
  adlik_runtime_testing_good
echo "== hostile-input integration tests against the ASan/UBSan server"
ADLIK_SERVING=build-address/bin/adlik_serving \
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  python3 -m pytest tests/security tests/integration/test_errors.py -q

python3 -m pytest tests -q
