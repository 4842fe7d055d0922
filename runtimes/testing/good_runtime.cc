// A well-formed test plugin (libadlik_runtime_testing_good.so): one model
// whatever the file, FP32 "x" [-1, 4] -> "y" = 2 * x, CPU instances only. A
// request of a batch whose rows hold a NaN fails alone (the others answer).
// Used by src/runtime_host/runtime_registry_test.cc to check that a plugin is
// found, loaded, version-checked and usable across the plugin boundary, and by
// tests/runtimes/ as a runtime that loads.
//
// Built twice: as itself, and with ADLIK_TESTING_OLDER_MINOR as
// libadlik_runtime_testing_older_minor.so, a plugin that reports API minor 0
// (as one built against the 2.0 header does), which a server of a newer minor
// must accept.
//
// Thread-safety: as the SDK requires; nothing here is mutable after loading.
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "adlik/runtime.h"

#ifdef ADLIK_TESTING_OLDER_MINOR
#undef ADLIK_RUNTIME_API_VERSION_MINOR
#define ADLIK_RUNTIME_API_VERSION_MINOR 0
#endif

namespace adlik::testing {
namespace {

class DoubleInstance : public Instance {
 public:
  Status Execute(Batch& batch) override {
    auto inputs = batch.inputs();
    if (inputs.size() != 1 || inputs[0].name != "x" ||
        inputs[0].type != DataType::kFp32) {
      return InvalidArgument("testing_good: expected one FP32 input 'x'");
    }
    const TensorView& x = inputs[0];
    const size_t n = x.byte_size / sizeof(float);
    ADLIK_ASSIGN_OR_RETURN(char* out,
                           batch.AllocateOutput("y", DataType::kFp32, x.shape));
    for (size_t i = 0; i < n; ++i) {
      float v;
      std::memcpy(&v, x.data + i * sizeof(float), sizeof(float));
      const float y = 2 * v;
      std::memcpy(out + i * sizeof(float), &y, sizeof(float));
    }
    // Each request's rows: one holding a NaN fails that request alone.
    const size_t row_floats = x.shape.size() > 1 ? x.shape[1] : 1;
    size_t row = 0;
    for (size_t r = 0; r < batch.request_count(); ++r) {
      const size_t rows = static_cast<size_t>(batch.request_rows(r));
      for (size_t i = row * row_floats; i < (row + rows) * row_floats; ++i) {
        float v;
        std::memcpy(&v, x.data + i * sizeof(float), sizeof(float));
        if (std::isnan(v)) {
          batch.FailRequest(
              r, InvalidArgument("testing_good: request " + std::to_string(r) +
                                 ": x holds NaN"));
          break;
        }
      }
      row += rows;
    }
    return Status::Ok();
  }
};

class DoubleModel : public Model {
 public:
  Signature signature() const override {
    return {{{"x", DataType::kFp32, {-1, 4}}},
            {{"y", DataType::kFp32, {-1, 4}}}};
  }
  StatusOr<std::unique_ptr<Instance>> CreateInstance(
      const InstanceSpec& spec) override {
    if (spec.kind != DeviceKind::kCpu) {
      return Unimplemented("testing_good: CPU only");
    }
    return std::unique_ptr<Instance>(new DoubleInstance());
  }
};

class GoodRuntime : public Runtime {
 public:
  StatusOr<std::unique_ptr<Model>> LoadModel(const ModelSpec& spec) override {
    if (!std::ifstream(spec.model_path)) {
      return NotFound("testing_good: cannot open " + spec.model_path);
    }
    // parameters { key: "load_seconds" ... }: a load that takes that long
    // (tests of load timeouts and of serving while a load runs).
    const std::string seconds = spec.Parameter("load_seconds");
    if (!seconds.empty()) {
      std::this_thread::sleep_for(
          std::chrono::seconds(std::atoi(seconds.c_str())));
    }
    return std::unique_ptr<Model>(new DoubleModel());
  }
};

}  // namespace
}  // namespace adlik::testing

#ifdef ADLIK_TESTING_OLDER_MINOR
ADLIK_DEFINE_RUNTIME(adlik::testing::GoodRuntime, "testing_older_minor",
                     "model.bin")
#else
ADLIK_DEFINE_RUNTIME(adlik::testing::GoodRuntime, "testing_good", "model.bin",
                     "testing_good_platform")
#endif
