// The TensorFlow runtime: libadlik_runtime_tensorflow.so, the plugin the
// server loads. It links nothing of TensorFlow. AdlikRuntimeInit (when the
// first TensorFlow model loads) opens the engine, libadlik_tensorflow_engine.so
// from the same folder (tensorflow_runtime.cc), and every later entry point
// forwards to the engine's.
//
// Why a second library: TensorFlow's libraries export their own copies of
// protobuf and absl (about 10.8k unversioned symbols). Under the plain
// RTLD_LOCAL with which the server opens plugins, TensorFlow's calls into
// them bind to the copies the server loaded first (Debian's libprotobuf) and
// crash. The engine is opened with RTLD_DEEPBIND, so that it and the
// TensorFlow libraries it loads resolve their symbols among themselves
// first. Doing that here keeps the server's plugin loading one rule for every
// runtime. AddressSanitizer refuses RTLD_DEEPBIND: in a server built with it
// the runtime is UNAVAILABLE with that reason (no TensorFlow model can load,
// every other one does).
//
// The engine stays loaded until the process exits: TensorFlow registers
// process-wide state that does not survive being unloaded.
//
// Thread-safety: the server calls AdlikRuntimeInit once, before any other
// forwarded entry point; the rest are the engine's (see runtime_api.h).
#include <dlfcn.h>

#include <filesystem>
#include <string>
#include <type_traits>

#include "adlik/runtime_api.h"

namespace {

constexpr char kEngine[] = "libadlik_tensorflow_engine.so";

struct Engine {
  decltype(&AdlikRuntimeInit) runtime_init = nullptr;
  decltype(&AdlikRuntimeFini) runtime_fini = nullptr;
  decltype(&AdlikModelInit) model_init = nullptr;
  decltype(&AdlikModelFini) model_fini = nullptr;
  decltype(&AdlikInstanceInit) instance_init = nullptr;
  decltype(&AdlikInstanceFini) instance_fini = nullptr;
  decltype(&AdlikInstanceExecute) execute = nullptr;
};
Engine engine;

// The engine beside this plugin: in the folder of the path the plugin was
// opened by (a link to it included), else in the folder of the file itself.
std::string EnginePath() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&AdlikRuntimeDescribe), &info) == 0 ||
      info.dli_fname == nullptr)
    return kEngine;
  std::filesystem::path self(info.dli_fname);
  std::error_code ec;
  std::filesystem::path beside = self.parent_path() / kEngine;
  if (std::filesystem::exists(beside, ec)) return beside.string();
  std::filesystem::path real = std::filesystem::canonical(self, ec);
  return ec ? beside.string() : (real.parent_path() / kEngine).string();
}

// Opens the engine and fills `engine`; an error message, or "".
std::string Open(const std::string& path) {
  if (dlsym(RTLD_DEFAULT, "__asan_init") != nullptr) {
    return "the TensorFlow runtime opens " + path +
           " with RTLD_DEEPBIND (TensorFlow carries its own protobuf), which "
           "AddressSanitizer does not support: use a server built without "
           "it";
  }
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  if (lib == nullptr) {
    const char* e = dlerror();
    return "cannot load " + path + ": " + (e != nullptr ? e : "?");
  }
  decltype(&AdlikRuntimeApiVersion) version =
      reinterpret_cast<decltype(version)>(dlsym(lib, "AdlikRuntimeApiVersion"));
  uint32_t major = 0, minor = 0;
  if (version != nullptr) version(&major, &minor);
  if (major != ADLIK_RUNTIME_API_VERSION_MAJOR ||
      minor != ADLIK_RUNTIME_API_VERSION_MINOR)
    return path + " was not built with this plugin (runtime API " +
           std::to_string(major) + "." + std::to_string(minor) + ")";
  std::string missing;
  auto find = [&](const char* name, auto* fn) {
    *fn = reinterpret_cast<std::remove_reference_t<decltype(*fn)>>(
        dlsym(lib, name));
    if (*fn == nullptr) missing += std::string(" ") + name;
  };
  find("AdlikRuntimeInit", &engine.runtime_init);
  find("AdlikRuntimeFini", &engine.runtime_fini);
  find("AdlikModelInit", &engine.model_init);
  find("AdlikModelFini", &engine.model_fini);
  find("AdlikInstanceInit", &engine.instance_init);
  find("AdlikInstanceFini", &engine.instance_fini);
  find("AdlikInstanceExecute", &engine.execute);
  if (!missing.empty()) return path + " does not export" + missing;
  return "";
}

}  // namespace

extern "C" {

ADLIK_EXPORT void AdlikRuntimeApiVersion(uint32_t* major, uint32_t* minor) {
  *major = ADLIK_RUNTIME_API_VERSION_MAJOR;
  *minor = ADLIK_RUNTIME_API_VERSION_MINOR;
}

ADLIK_EXPORT void AdlikRuntimeDescribe(AdlikRuntimeInfo* info) {
  static const char* const platforms[] = {"tensorflow_savedmodel", nullptr};
  info->name = "tensorflow";
  info->platforms = platforms;
  info->default_model_filename = "model.savedmodel";
}

ADLIK_EXPORT AdlikError* AdlikRuntimeInit(const AdlikServerApi* api,
                                          AdlikRuntime* runtime, void** state) {
  const std::string error = Open(EnginePath());
  if (!error.empty())
    return api->error_new(ADLIK_ERROR_UNAVAILABLE, error.c_str());
  return engine.runtime_init(api, runtime, state);
}

ADLIK_EXPORT void AdlikRuntimeFini(void* state) { engine.runtime_fini(state); }

ADLIK_EXPORT AdlikError* AdlikModelInit(void* runtime_state, AdlikModel* model,
                                        void** state) {
  return engine.model_init(runtime_state, model, state);
}

ADLIK_EXPORT void AdlikModelFini(void* state) { engine.model_fini(state); }

ADLIK_EXPORT AdlikError* AdlikInstanceInit(void* model_state,
                                           AdlikInstance* instance,
                                           void** state) {
  return engine.instance_init(model_state, instance, state);
}

ADLIK_EXPORT void AdlikInstanceFini(void* state) {
  engine.instance_fini(state);
}

ADLIK_EXPORT AdlikError* AdlikInstanceExecute(void* state, AdlikBatch* batch) {
  return engine.execute(state, batch);
}

}  // extern "C"
