// One runtime plugin, `libadlik_runtime_<name>.so`, spoken to through its C
// API (adlik/runtime_api.h) and adapted to host::Runtime.
//
// Open() loads the library, checks its API version (another major, or a
// newer minor than the server's, is refused naming both versions) and reads
// its description; AdlikRuntimeInit runs when the first model loads. Every
// fault of a plugin (a missing entry point, a bad description, an error from
// any call) becomes a Status naming the plugin file and the call.
//
// Thread-safety: LoadModel may be called from any thread.
// Ownership: models and instances made here call the plugin's Fini functions
// when destroyed; the RuntimePlugin must outlive them. The library is never
// unloaded.
//
// Device memory (API 2.2): a plugin that exports AdlikRuntimeMemory* may ask
// for its inputs in its own memory (api->instance_set_input_memory) and for
// output buffers there (output_allocate). Each instance then keeps one buffer
// per input and output in that memory, grown when a batch needs more and
// freed with the instance; inputs are copied in once before Execute, outputs
// copied out once after it, into host buffers that become the response.
#ifndef ADLIK_RUNTIME_HOST_RUNTIME_PLUGIN_H_
#define ADLIK_RUNTIME_HOST_RUNTIME_PLUGIN_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "adlik/runtime_api.h"
#include "adlik/status.h"
#include "runtime_host/engine.h"

namespace adlik {

// What a plugin says of itself (AdlikRuntimeDescribe).
struct RuntimeInfo {
  std::string name;
  std::vector<std::string> platforms;  // the first is the reported one
  std::string default_model_filename;
  uint32_t api_major = 0, api_minor = 0;  // the plugin's API version
};

class RuntimePlugin : public host::Runtime {
 public:
  // The plugin functions, looked up by name.
  struct Functions {
    decltype(&AdlikRuntimeInit) runtime_init = nullptr;
    decltype(&AdlikRuntimeFini) runtime_fini = nullptr;
    decltype(&AdlikModelInit) model_init = nullptr;
    decltype(&AdlikModelFini) model_fini = nullptr;
    decltype(&AdlikInstanceInit) instance_init = nullptr;
    decltype(&AdlikInstanceFini) instance_fini = nullptr;
    decltype(&AdlikInstanceExecute) execute = nullptr;
    // Optional (2.2): memory the runtime manages. All three or none.
    decltype(&AdlikRuntimeMemoryAllocate) memory_allocate = nullptr;
    decltype(&AdlikRuntimeMemoryFree) memory_free = nullptr;
    decltype(&AdlikRuntimeMemoryCopy) memory_copy = nullptr;
  };

  // Loads `path` (which should be RUNTIME_DIR/libadlik_runtime_<name>.so).
  // `thread_budget` is what api->runtime_thread_budget reports.
  static StatusOr<std::unique_ptr<RuntimePlugin>> Open(const std::string& path,
                                                       uint32_t thread_budget);
  ~RuntimePlugin() override;

  const RuntimeInfo& info() const { return info_; }
  const std::string& path() const { return path_; }

  StatusOr<std::unique_ptr<host::Model>> LoadModel(
      const host::ModelSpec& spec) override;

  // The server's side of the API, as handed to plugins.
  static const AdlikServerApi& ServerApi();

 private:
  RuntimePlugin() = default;
  Status Init();  // AdlikRuntimeInit, once

  std::string path_;
  RuntimeInfo info_;
  Functions fns_;
  std::unique_ptr<AdlikRuntime> handle_;
  std::once_flag init_once_;
  Status init_status_;
  bool init_done_ = false;
  void* state_ = nullptr;  // the plugin's runtime state
};

}  // namespace adlik

#endif  // ADLIK_RUNTIME_HOST_RUNTIME_PLUGIN_H_
