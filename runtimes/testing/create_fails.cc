// A test plugin whose Runtime constructor throws
// (libadlik_runtime_testing_create_fails.so), as an engine whose
// initialisation fails might. The SDK turns the exception into an error from
// AdlikRuntimeInit naming the call; the server must report it for every model
// that asks for the runtime.
#include <stdexcept>

#include "adlik/runtime.h"

namespace {
class ThrowingRuntime : public adlik::Runtime {
 public:
  ThrowingRuntime() { throw std::runtime_error("no device"); }
  adlik::StatusOr<std::unique_ptr<adlik::Model>> LoadModel(
      const adlik::ModelSpec&) override {
    return adlik::Internal("unreachable");
  }
};
}  // namespace

ADLIK_DEFINE_RUNTIME(ThrowingRuntime, "testing_create_fails", "model.bin")
