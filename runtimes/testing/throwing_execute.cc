// A test plugin whose Instance::Execute throws
// (libadlik_runtime_testing_throwing_execute.so): FP32 "x" [-1, 4] -> "y",
// loads and makes instances, and every execution throws. The SDK must turn
// the exception into an error naming the call, so the server answers the
// batch's requests with it and goes on serving.
#include <fstream>
#include <stdexcept>

#include "adlik/runtime.h"

namespace {
using namespace adlik;

class ThrowingInstance : public Instance {
 public:
  Status Execute(Batch&) override {
    throw std::runtime_error("the engine threw");
  }
};

class OneModel : public Model {
 public:
  Signature signature() const override {
    return {{{"x", DataType::kFp32, {-1, 4}}},
            {{"y", DataType::kFp32, {-1, 4}}}};
  }
  StatusOr<std::unique_ptr<Instance>> CreateInstance(
      const InstanceSpec&) override {
    return std::unique_ptr<Instance>(new ThrowingInstance());
  }
};

class ThrowingRuntime : public Runtime {
 public:
  StatusOr<std::unique_ptr<Model>> LoadModel(const ModelSpec&) override {
    return std::unique_ptr<Model>(new OneModel());
  }
};
}  // namespace

ADLIK_DEFINE_RUNTIME(ThrowingRuntime, "testing_throwing_execute", "model.bin")
