// A test plugin of the right API version that lacks entry points
// (libadlik_runtime_testing_missing_entry.so): it exports the version and
// description functions and nothing else, as a plugin whose author forgot
// ADLIK_EXPORT on the others would. The server must refuse it naming each
// missing function.
#include "adlik/runtime_api.h"

extern "C" {
ADLIK_EXPORT void AdlikRuntimeApiVersion(uint32_t* major, uint32_t* minor) {
  *major = ADLIK_RUNTIME_API_VERSION_MAJOR;
  *minor = ADLIK_RUNTIME_API_VERSION_MINOR;
}
ADLIK_EXPORT void AdlikRuntimeDescribe(AdlikRuntimeInfo* info) {
  info->name = "testing_missing_entry";
  info->default_model_filename = "model.bin";
}
}
