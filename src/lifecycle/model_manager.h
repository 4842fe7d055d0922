// Which model versions are served, in what state, and how they change.
//
// States of one model version, and the legal transitions (each one logged
// in one line):
//
//   UNKNOWN --> LOADING --> READY --> UNLOADING --> UNAVAILABLE ("unloaded")
//                  |          |
//                  |          +-- (reload: a new copy loads beside it;
//                  |               READY throughout, then swapped)
//                  +--------> UNAVAILABLE (with the reason the load failed)
//
// How a change is applied (Reconcile):
//   1. read the model's folder and config; choose the versions its
//      version_policy serves (latest N, all, specific);
//   2. load every chosen version that is not served yet, or whose files or
//      config changed, beside what is served (in parallel, bounded);
//   3. swap each new copy in once READY; only then
//   4. stop serving versions no longer chosen (and replaced copies): they
//      leave the index of servable versions at once, but requests already
//      holding them (queued or running) finish on them; each is destroyed
//      when its last request lets go, and its memory returned. When none of
//      the chosen versions could be loaded, the versions they were to replace
//      keep serving.
// A load that fails leaves the model's other versions, and every other model,
// as they were: a version that was serving keeps serving (its reason then
// says the reload failed); a new one is UNAVAILABLE with the reason.
//
// Modes: kPoll reconciles every model of the repository at start and on
// every Poll(); kExplicit serves only what Load() asked for (and
// `startup_models`), never reading the repository on its own.
//
// Thread-safety: all methods may be called from any thread. Reconciliations
// are serialized; Get() never waits for one.
#ifndef ADLIK_LIFECYCLE_MODEL_MANAGER_H_
#define ADLIK_LIFECYCLE_MODEL_MANAGER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/model_state.h"
#include "lifecycle/served_model.h"
#include "repository/repository_source.h"

namespace adlik {

// Loads one version: ServedModel::Load in the server, a fake in tests.
using ModelLoader = std::function<StatusOr<std::shared_ptr<ServedModel>>(
    const repository::ModelSnapshot& snapshot, int64_t version,
    inference::ModelConfig config, SharedStatistics stats)>;

struct ModelManagerOptions {
  const repository::RepositorySource* source = nullptr;  // not owned; required
  ModelLoader loader;                                    // required
  ControlMode mode = ControlMode::kPoll;
  std::vector<std::string> startup_models;  // kExplicit: loaded by Start()
  int load_threads = 4;                     // versions loading at once
  // A load still running after this long is abandoned and its version is
  // UNAVAILABLE with the reason; 0: no limit.
  std::chrono::milliseconds load_timeout{0};
};

class ModelManager {
 public:
  explicit ModelManager(ModelManagerOptions options);
  // Unloads everything (see UnloadAll).
  ~ModelManager();
  ModelManager(const ModelManager&) = delete;
  ModelManager& operator=(const ModelManager&) = delete;

  // Initial load: every model (kPoll) or the startup models (kExplicit).
  // Returns when each is READY or UNAVAILABLE. Fails only if the repository
  // itself cannot be read.
  Status Start();

  // kPoll: re-reads the repository and applies what changed (added, removed
  // or edited models and versions).
  Status Poll();

  // Loads or reloads `name` (explicit control; the repository API). With
  // `config`, it replaces the model's config.pbtxt for this load. NOT_FOUND
  // for a model not in the repository, INVALID_ARGUMENT for a name that
  // escapes it; else the load's own error, naming what is wrong.
  Status Load(const std::string& name,
              std::optional<inference::ModelConfig> config);

  // Stops serving every version of `name`; requests already accepted finish.
  Status Unload(const std::string& name);

  // The served version `version` ("" for the newest ready) of `name`:
  // NOT_FOUND for an unknown model or version, UNAVAILABLE with the reason
  // for one that is not ready.
  StatusOr<std::shared_ptr<ServedModel>> Get(const std::string& name,
                                             const std::string& version) const;

  // The READY versions of `name`, ascending.
  std::vector<int64_t> ReadyVersions(const std::string& name) const;

  // Every READY version, by name then version.
  std::vector<std::shared_ptr<ServedModel>> ReadyModels() const;

  // Every known model version with its state, by name then version.
  std::vector<ModelIndexEntry> Index() const;

  // Whether every model that should be served has a READY version (the rule
  // of --strict_readiness).
  bool AllReady() const;

  // Stops serving everything and waits until every request accepted has
  // finished and every model is destroyed.
  void UnloadAll();

  // Models waiting for their last request before being destroyed.
  size_t retiring() const;

 private:
  struct VersionSlot {
    ModelState state = ModelState::kUnknown;
    std::string reason;
    std::shared_ptr<ServedModel> model;
    std::string fingerprint;  // of the files the served copy was loaded from
    std::string failed_fingerprint;  // of the files a load last failed on
  };
  struct ModelSlot {
    std::map<int64_t, VersionSlot> versions;
    std::string reason;  // a model-level failure (no version, bad config)
    std::optional<inference::ModelConfig> override_config;  // from Load()
  };
  struct LoadTask {
    repository::ModelSnapshot snapshot;
    int64_t version;
    inference::ModelConfig config;
    std::string fingerprint;
    SharedStatistics stats;
    StatusOr<std::shared_ptr<ServedModel>> result = Unavailable("not loaded");
  };

  // Applies the repository's state of `names` (and unloads those of
  // `removed`). Called with reconcile_mu_ held. Returns the first error of a
  // model in `report`, for Load().
  // `why` is the reason recorded for the versions of `removed`. Files a load
  // already failed on are not tried again unless `force`.
  Status Reconcile(const std::vector<std::string>& names,
                   const std::vector<std::string>& removed,
                   const std::string& why, const std::string& report,
                   bool force = false);
  // Plans the loads of one model; records model-level failures.
  // `chosen` receives the versions the policy serves.
  Status Plan(const std::string& name, bool force, std::vector<LoadTask>* tasks,
              std::vector<std::pair<int64_t, std::string>>* to_unload,
              std::vector<int64_t>* chosen);
  void RunLoads(std::vector<LoadTask>* tasks);
  void SetState(const std::string& name, int64_t version, ModelState state,
                std::string reason);
  // Takes `model` out of service; it is destroyed once no request holds it.
  void Retire(std::shared_ptr<ServedModel> model);
  void ReapLoop();

  const ModelManagerOptions options_;

  std::mutex reconcile_mu_;  // one reconciliation at a time

  mutable std::mutex mu_;
  std::map<std::string, ModelSlot> models_;  // guarded by mu_
  std::set<std::string> explicit_models_;    // guarded by mu_ (kExplicit)

  mutable std::mutex reap_mu_;
  std::condition_variable reap_cv_;
  std::vector<std::shared_ptr<ServedModel>> retired_;  // guarded by reap_mu_
  size_t destroying_ = 0;                              // guarded by reap_mu_
  bool stop_reaper_ = false;                           // guarded by reap_mu_
  std::thread reaper_;
};

}  // namespace adlik

#endif  // ADLIK_LIFECYCLE_MODEL_MANAGER_H_
