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
// `startup_models`), never loading from the repository on its own (Index()
// lists the repository's other models as not loaded).
//
// The parts: the VersionPlanner decides, per model, what to load, keep,
// unload or forget (a pure function); the LoadExecutor runs the loads; this
// class swaps what loaded in and retires what it replaces; the
// ModelDestroyer destroys a retired version on its own thread as soon as its
// last handle is released.
//
// Every change of a version's state or reason, and every model-level
// failure, is published as a ModelStateEvent (base/model_event_bus.h): the
// index (Index(), the reasons Get() gives) and the one-line log of each
// change are subscribers, and so is whoever calls Subscribe (the metrics).
// Events are published on the thread that reconciles (Start's, Poll's,
// Load's, Unload's or UnloadAll's caller), with the model table unlocked.
//
// Thread-safety: all methods may be called from any thread, except from an
// event listener (see base/model_event_bus.h for what a listener may call).
// Reconciliations are serialized; Get() never waits for one.
#ifndef ADLIK_LIFECYCLE_MODEL_MANAGER_H_
#define ADLIK_LIFECYCLE_MODEL_MANAGER_H_

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/model_event_bus.h"
#include "base/model_state.h"
#include "base/mutex.h"
#include "lifecycle/load_executor.h"
#include "lifecycle/model_destroyer.h"
#include "lifecycle/model_index.h"
#include "lifecycle/served_model.h"
#include "lifecycle/version_planner.h"
#include "repository/repository_source.h"

namespace adlik {

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
  Status Start() ADLIK_EXCLUDES(reconcile_mu_, mu_);

  // kPoll: re-reads the repository and applies what changed (added, removed
  // or edited models and versions).
  Status Poll() ADLIK_EXCLUDES(reconcile_mu_, mu_);

  // Loads or reloads `name` (explicit control; the repository API). With
  // `config`, it replaces the model's config.pbtxt for this load. NOT_FOUND
  // for a model not in the repository, INVALID_ARGUMENT for a name that
  // escapes it; else the load's own error, naming what is wrong.
  Status Load(const std::string& name,
              std::optional<inference::ModelConfig> config)
      ADLIK_EXCLUDES(reconcile_mu_, mu_);

  // Stops serving every version of `name`; requests already accepted finish.
  Status Unload(const std::string& name) ADLIK_EXCLUDES(reconcile_mu_, mu_);

  // The served version `version` ("" for the newest ready) of `name`:
  // NOT_FOUND for an unknown model or version, UNAVAILABLE with the reason
  // for one that is not ready.
  // The handle pins the version: it is destroyed only once every handle to
  // it has been released.
  StatusOr<std::shared_ptr<ServedModel>> Get(const std::string& name,
                                             const std::string& version) const
      ADLIK_EXCLUDES(mu_);

  // The READY versions of `name`, ascending.
  std::vector<int64_t> ReadyVersions(const std::string& name) const
      ADLIK_EXCLUDES(mu_);

  // Every READY version, by name then version.
  std::vector<std::shared_ptr<ServedModel>> ReadyModels() const
      ADLIK_EXCLUDES(mu_);

  // Every known model version with its state, by name then version. In
  // kExplicit mode also every other model of the repository, not loaded:
  // UNAVAILABLE, reason "unloaded", no version.
  std::vector<ModelIndexEntry> Index() const ADLIK_EXCLUDES(mu_);

  // Whether every model that should be served has a READY version (the rule
  // of --strict_readiness).
  bool AllReady() const ADLIK_EXCLUDES(mu_);

  // Stops serving everything and waits until every request accepted has
  // finished and every model is destroyed.
  void UnloadAll() ADLIK_EXCLUDES(reconcile_mu_, mu_);

  // Models out of service and not destroyed yet (waiting for their last
  // request, or being destroyed).
  size_t retiring() const;

  // Calls `listener` with the present state of every listed version (from
  // UNKNOWN), then with every change. The manager must outlive the
  // subscription.
  [[nodiscard]] ModelEventBus::Subscription Subscribe(
      ModelStateListener listener);

 private:
  struct VersionSlot {
    std::shared_ptr<ServedModel> model;  // the served handle, or null
    std::string fingerprint;  // of the files the served copy was loaded from
    std::string failed_fingerprint;  // of the files a load last failed on
  };
  struct ModelSlot {
    std::map<int64_t, VersionSlot> versions;
    std::string failure;     // the model-level failure; "" when none
    bool withdrawn = false;  // removed, or unloaded through the API
    std::optional<inference::ModelConfig> override_config;  // from Load()
  };
  struct PlannedUnload {
    std::string name;
    int64_t version;
    std::string why;
  };

  // Applies the repository's state of `names` and unloads `removed` (with
  // `why` as the reason). Returns the first error of the model `report`,
  // for Load(). Files a load already failed on are not tried again unless
  // `force`.
  Status Reconcile(const std::vector<std::string>& names,
                   const std::vector<std::string>& removed,
                   const std::string& why, const std::string& report,
                   bool force = false) ADLIK_REQUIRES(reconcile_mu_)
      ADLIK_EXCLUDES(mu_);
  // Publishes a change of `name` version `version` (0: the model itself).
  void Publish(const std::string& name, int64_t version, ModelState state,
               const std::string& reason) ADLIK_EXCLUDES(mu_);
  // Records and publishes a change of the model-level failure.
  void SetFailure(const std::string& name, const std::string& failure)
      ADLIK_REQUIRES(reconcile_mu_) ADLIK_EXCLUDES(mu_);
  // Drops a model that is gone and serves nothing from the table and index.
  void Forget(const std::string& name) ADLIK_REQUIRES(reconcile_mu_)
      ADLIK_EXCLUDES(mu_);

  const ModelManagerOptions options_;
  const LoadExecutor executor_;

  // Declared before what it must outlive: the handles in models_.
  ModelDestroyer destroyer_;

  ModelEventBus bus_;
  ModelIndex index_;
  ModelEventBus::Subscription index_subscription_, log_subscription_;

  Mutex reconcile_mu_
      ADLIK_ACQUIRED_BEFORE(mu_);  // one reconciliation at a time

  mutable Mutex mu_;
  std::map<std::string, ModelSlot> models_ ADLIK_GUARDED_BY(mu_);
  std::set<std::string> explicit_models_ ADLIK_GUARDED_BY(mu_);  // kExplicit
};

}  // namespace adlik

#endif  // ADLIK_LIFECYCLE_MODEL_MANAGER_H_
