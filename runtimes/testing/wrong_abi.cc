// A test plugin built for another runtime ABI
// (libadlik_runtime_testing_wrong_abi.so): it reports kRuntimeAbiVersion + 1,
// as a plugin compiled against a newer SDK would. The server must refuse it
// without calling AdlikRuntimeCreate, since the Runtime class it would return
// has another layout.
#include <cstdlib>

#include "adlik/runtime.h"

extern "C" __attribute__((visibility("default"))) int AdlikRuntimeAbiVersion() {
  return adlik::kRuntimeAbiVersion + 1;
}

extern "C" __attribute__((visibility("default"))) adlik::Runtime*
AdlikRuntimeCreate() {
  std::abort();  // never called: the ABI check comes first
}
