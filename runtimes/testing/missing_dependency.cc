// A test plugin that needs a symbol no library provides
// (libadlik_runtime_testing_missing_dep.so), as a plugin does when its vendor
// library is absent or too old. dlopen (RTLD_NOW) fails; the server must pass
// on the loader's reason, which names the missing symbol.
#include "adlik/runtime.h"

extern "C" int adlik_testing_symbol_no_library_defines();

namespace {
class NeedsVendorLibrary : public adlik::Runtime {
 public:
  adlik::StatusOr<std::unique_ptr<adlik::Model>> LoadModel(
      const adlik::ModelSpec&) override {
    return adlik::Internal(
        std::to_string(adlik_testing_symbol_no_library_defines()));
  }
};
}  // namespace

ADLIK_DEFINE_RUNTIME(NeedsVendorLibrary, "testing_missing_dep", "model.bin")
