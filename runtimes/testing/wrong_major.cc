// A test plugin built for another major of the runtime API
// (libadlik_runtime_testing_wrong_major.so): it reports major + 1, as a plugin
// compiled against an incompatible SDK would. The server must refuse it,
// naming both versions, without calling anything else of it: every other
// entry point aborts.
#include <cstdlib>

#include "adlik/runtime_api.h"

extern "C" {
ADLIK_EXPORT void AdlikRuntimeApiVersion(uint32_t* major, uint32_t* minor) {
  *major = ADLIK_RUNTIME_API_VERSION_MAJOR + 1;
  *minor = 0;
}
ADLIK_EXPORT void AdlikRuntimeDescribe(AdlikRuntimeInfo*) { std::abort(); }
ADLIK_EXPORT AdlikError* AdlikRuntimeInit(const AdlikServerApi*, AdlikRuntime*,
                                          void**) {
  std::abort();
}
}
