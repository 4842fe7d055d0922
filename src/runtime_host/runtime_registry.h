// Finds runtime plugins in --runtime_dir and loads each once.
//
// A runtime named NAME is `RUNTIME_DIR/libadlik_runtime_NAME.so` (see
// adlik/runtime_api.h). A model's config finds its runtime by `backend`
// (the name), by `platform` (one the plugin declares), or, with neither, by
// the model file in its version folder (the plugin's default model file).
// Nothing about particular runtimes is known here: plugins describe
// themselves. Looking for a platform or a model file, the registry has each
// plugin not loaded yet described by `adlik_runtime_describe` (next to the
// running binary) in a process of its own, and loads only the one it
// chooses, so that finding the runtime of an ONNX model does not load
// LibTorch; without that helper (tests) it loads the plugins to ask them. A
// plugin that is missing, fails to load or is refused gives an error naming the
// file and the cause; the failure is remembered, so every model that asks for
// it gets the same reason.
//
// Thread-safety: all methods may be called from any thread.
// Ownership: the registry owns the plugins; it must outlive every Model they
// made. Libraries are never unloaded (engines commonly keep global state that
// does not survive dlclose).
#ifndef ADLIK_RUNTIME_HOST_RUNTIME_REGISTRY_H_
#define ADLIK_RUNTIME_HOST_RUNTIME_REGISTRY_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adlik/status.h"
#include "base/mutex.h"
#include "runtime_host/runtime_plugin.h"

namespace adlik {

class RuntimeRegistry {
 public:
  // `thread_budget`: the threads all runtimes' compute should share (the
  // server's --cores).
  explicit RuntimeRegistry(std::string runtime_dir, int thread_budget = 1);
  ~RuntimeRegistry();
  RuntimeRegistry(const RuntimeRegistry&) = delete;
  RuntimeRegistry& operator=(const RuntimeRegistry&) = delete;

  // The runtime `name`, loaded on first use. The pointer stays valid for the
  // life of the registry.
  StatusOr<RuntimePlugin*> Get(const std::string& name);

  // The runtime that serves config `platform`.
  StatusOr<RuntimePlugin*> ForPlatform(const std::string& platform);

  // The runtime whose default model file (or folder) is among `version_files`
  // (the names of the version folder's files and folders), or, when
  // `named_file` (the config's default_model_filename) is set, whose default
  // file has the same extension as it and that file is present.
  StatusOr<RuntimePlugin*> ForModelFile(
      const std::vector<std::string>& version_files,
      const std::string& named_file);

  // The runtime a model config asks for, chosen as the server chooses it:
  // `backend` by name, else the one that serves `platform`, else
  // ForModelFile(version_files, named_file).
  StatusOr<RuntimePlugin*> ForConfig(
      const std::string& backend, const std::string& platform,
      const std::vector<std::string>& version_files,
      const std::string& named_file);

  // The file a runtime is loaded from.
  std::string PluginPath(const std::string& name) const;

 private:
  struct Entry {
    Status error;
    std::unique_ptr<RuntimePlugin> plugin;
  };
  Entry Load(const std::string& name) const;
  // What `name` says of itself, through the helper process; an error saying
  // why when it cannot be loaded or is one Get would refuse.
  StatusOr<RuntimeInfo> Describe(const std::string& name);
  // Loads every plugin of the folder not loaded yet; returns what
  // `matches` accepts first (plugins in name order), or a list of what
  // there is.
  template <typename Pred>
  StatusOr<RuntimePlugin*> FindLoaded(const Pred& matches,
                                      const std::string& wanted);

  const std::string runtime_dir_;
  const int thread_budget_;
  std::string describer_;  // the helper's path, or empty
  Mutex mu_;
  std::map<std::string, Entry> entries_ ADLIK_GUARDED_BY(mu_);
  Mutex describe_mu_;
  std::map<std::string, StatusOr<RuntimeInfo>> described_
      ADLIK_GUARDED_BY(describe_mu_);
};

}  // namespace adlik

#endif  // ADLIK_RUNTIME_HOST_RUNTIME_REGISTRY_H_
