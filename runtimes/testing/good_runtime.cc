// A well-formed test plugin (libadlik_runtime_testing_good.so): one model
// whatever the file, FP32 "x" [-1, 4] -> "y" = 2 * x, CPU instances only.
// Used by src/runtime_host/runtime_registry_test.cc to check that a plugin is
// found, loaded, version-checked and usable across the plugin boundary, and by
// tests/runtimes/ as a runtime that loads.
//
// Thread-safety: as the SDK requires; nothing here is mutable after loading.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "adlik/runtime.h"

namespace adlik::testing {
namespace {

class DoubleInstance : public Instance {
 public:
  Status Execute(std::span<const TensorView> inputs,
                 std::span<const std::string> output_names,
                 std::vector<Tensor>* outputs) override {
    if (inputs.size() != 1 || inputs[0].name != "x" ||
        inputs[0].type != DataType::kFp32) {
      return InvalidArgument("testing_good: expected one FP32 input 'x'");
    }
    const TensorView& x = inputs[0];
    const size_t n = x.byte_size / sizeof(float);
    std::vector<float> in(n);
    std::memcpy(in.data(), x.data, n * sizeof(float));
    std::string bytes(n * sizeof(float), '\0');
    for (size_t i = 0; i < n; ++i) {
      const float y = 2 * in[i];
      std::memcpy(bytes.data() + i * sizeof(float), &y, sizeof(float));
    }
    outputs->push_back(Tensor::FromBytes(
        "y", DataType::kFp32, {x.shape.begin(), x.shape.end()}, bytes));
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
    for (const auto& [key, value] : spec.parameters) {
      if (key == "load_seconds")
        std::this_thread::sleep_for(
            std::chrono::seconds(std::atoi(value.c_str())));
    }
    return std::unique_ptr<Model>(new DoubleModel());
  }
};

}  // namespace
}  // namespace adlik::testing

ADLIK_DEFINE_RUNTIME(adlik::testing::GoodRuntime)
