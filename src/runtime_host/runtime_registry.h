// Finds, loads and version-checks runtime plugins.
//
// A runtime named NAME is the shared library
// `RUNTIME_DIR/libadlik_runtime_NAME.so` exporting AdlikRuntimeAbiVersion and
// AdlikRuntimeCreate (adlik/runtime.h). It is loaded on first use and kept for
// the life of the registry. A plugin that is missing, fails to load, lacks the
// entry points or was built for another ABI version gives an error naming the
// file and the cause; the failure is remembered, so every model that asks for
// it gets the same reason.
//
// Thread-safety: Get may be called from any thread.
// Ownership: the registry owns the Runtimes; it must outlive every Model they
// made. Libraries are never unloaded (engines commonly keep global state that
// does not survive dlclose).
#ifndef ADLIK_RUNTIME_HOST_RUNTIME_REGISTRY_H_
#define ADLIK_RUNTIME_HOST_RUNTIME_REGISTRY_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "adlik/runtime.h"
#include "adlik/status.h"

namespace adlik {

class RuntimeRegistry {
 public:
  explicit RuntimeRegistry(std::string runtime_dir);
  ~RuntimeRegistry();
  RuntimeRegistry(const RuntimeRegistry&) = delete;
  RuntimeRegistry& operator=(const RuntimeRegistry&) = delete;

  // Returns the runtime `name`, loading its plugin on first use. The pointer
  // stays valid for the life of the registry.
  StatusOr<Runtime*> Get(const std::string& name);

  // The file a runtime is loaded from.
  std::string PluginPath(const std::string& name) const;

 private:
  struct Entry {
    Status error;
    std::unique_ptr<Runtime> runtime;
  };
  Entry Load(const std::string& name) const;

  const std::string runtime_dir_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace adlik

#endif  // ADLIK_RUNTIME_HOST_RUNTIME_REGISTRY_H_
