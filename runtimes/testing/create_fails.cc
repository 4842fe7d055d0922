// A test plugin whose Runtime constructor throws
// (libadlik_runtime_testing_create_fails.so), as an engine whose
// initialisation fails might. ADLIK_DEFINE_RUNTIME catches the exception and
// AdlikRuntimeCreate returns null; the server must report that the plugin
// failed to initialize.
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

ADLIK_DEFINE_RUNTIME(ThrowingRuntime)
