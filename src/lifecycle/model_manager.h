// Which model versions are served, and in what state each is.
//
// States of a model version, and the legal transitions:
//
//   UNKNOWN --> LOADING --> READY --> UNLOADING --> (gone)
//                  |
//                  +------> UNAVAILABLE (with the reason it failed)
//
// One model's failure never holds back another's: models load in parallel
// (at most `load_threads` at once) and each failure is recorded with its
// reason, which requests for that model then receive. Every transition is
// logged in one line.
//
// Thread-safety: all methods may be called from any thread.
#ifndef ADLIK_LIFECYCLE_MODEL_MANAGER_H_
#define ADLIK_LIFECYCLE_MODEL_MANAGER_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lifecycle/served_model.h"

namespace adlik {

enum class ModelState { kUnknown, kLoading, kReady, kUnloading, kUnavailable };
std::string_view ModelStateName(ModelState state);  // "READY"

struct ModelIndexEntry {
  std::string name;
  std::string version;  // empty when the model has no version to load
  ModelState state = ModelState::kUnknown;
  std::string reason;
};

struct ModelManagerOptions {
  std::string model_base_path;
  LoadOptions load;
  int load_threads = 4;  // models loading at once
};

// Drops the last reference to `model` once no request holds it any more. The
// final release of a ServedModel must never happen on one of its own
// instance threads (its destructor joins them), so the manager, and only the
// manager, drops it, through this function.
void ReleaseWhenIdle(std::shared_ptr<ServedModel> model);

class ModelManager {
 public:
  explicit ModelManager(ModelManagerOptions options);
  ~ModelManager();

  // Scans the repository and loads the newest version of every model. Returns
  // when every model is READY or UNAVAILABLE. Fails only if the repository
  // itself cannot be read.
  Status LoadAll();

  // The served version `version` ("" for the newest) of `name`: NOT_FOUND
  // for an unknown model or version, UNAVAILABLE with the reason for one that
  // is not ready.
  StatusOr<std::shared_ptr<ServedModel>> Get(const std::string& name,
                                             const std::string& version) const;

  // Every READY version, by name then version.
  std::vector<std::shared_ptr<ServedModel>> ReadyModels() const;

  // Every known model version with its state, by name then version.
  std::vector<ModelIndexEntry> Index() const;

  // Stops serving everything: the requests already queued complete first.
  void UnloadAll();

 private:
  struct VersionSlot {
    ModelState state = ModelState::kUnknown;
    std::string reason;
    std::shared_ptr<ServedModel> model;
  };
  struct ModelSlot {
    std::map<int64_t, VersionSlot> versions;
    std::string reason;  // when the model has no version at all
  };
  void SetState(const std::string& name, int64_t version, ModelState state,
                std::string reason, std::shared_ptr<ServedModel> model);

  const ModelManagerOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, ModelSlot> models_;  // guarded by mu_
};

}  // namespace adlik

#endif  // ADLIK_LIFECYCLE_MODEL_MANAGER_H_
