#include "lifecycle/model_manager.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "base/logging.h"
#include "repository/repository.h"

namespace adlik {
namespace {

const std::string kRemoved = "unloaded: removed from the repository";
const std::string kUnloaded = "unloaded through the repository API";
const std::string kShutdown = "unloaded: the server is shutting down";
const std::string kReloaded = "reloaded";

// The one log line of a change.
void LogEvent(const ModelStateEvent& e) {
  if (e.version == 0) {
    if (e.new_state == ModelState::kUnavailable) {
      LOG(ERROR).Model(e.name) << "UNAVAILABLE: " << e.reason;
    } else if (e.old_state == ModelState::kUnavailable) {
      LOG(INFO).Model(e.name) << "no longer failing";
    }
    return;
  }
  if (e.new_state == ModelState::kUnknown) {
    LOG(INFO).Model(e.name).Version(e.version) << "no longer listed";
  } else if (e.new_state == ModelState::kUnavailable &&
             e.old_state != ModelState::kUnloading) {
    LOG(ERROR).Model(e.name).Version(e.version) << "UNAVAILABLE: " << e.reason;
  } else if (e.new_state == e.old_state && e.reason != kReloaded) {
    LOG(WARNING).Model(e.name).Version(e.version)
        << ModelStateName(e.new_state) << ": " << e.reason;
  } else {
    LOG(INFO).Model(e.name).Version(e.version)
        << ModelStateName(e.new_state)
        << (e.reason.empty() ? "" : " (" + e.reason + ")");
  }
}

}  // namespace

ModelManager::ModelManager(ModelManagerOptions options)
    : options_(std::move(options)),
      executor_(options_.loader, options_.load_threads, options_.load_timeout) {
  index_subscription_ =
      bus_.Subscribe([this](const ModelStateEvent& e) { index_.Apply(e); });
  log_subscription_ = bus_.Subscribe(LogEvent);
}

ModelManager::~ModelManager() { UnloadAll(); }

ModelEventBus::Subscription ModelManager::Subscribe(
    ModelStateListener listener) {
  return bus_.Subscribe(std::move(listener),
                        [this] { return index_.Replay(); });
}

void ModelManager::Publish(const std::string& name, int64_t version,
                           ModelState state, const std::string& reason) {
  auto old = index_.Find(name, version);
  bus_.Publish({name, version, old ? old->state : ModelState::kUnknown, state,
                reason, std::chrono::system_clock::now()});
}

void ModelManager::SetFailure(const std::string& name,
                              const std::string& failure) {
  {
    MutexLock lock(&mu_);
    std::string& current = models_[name].failure;
    if (current == failure) return;
    current = failure;
  }
  Publish(name, 0,
          failure.empty() ? ModelState::kUnknown : ModelState::kUnavailable,
          failure);
}

void ModelManager::Forget(const std::string& name) {
  std::vector<int64_t> listed;
  {
    MutexLock lock(&mu_);
    auto it = models_.find(name);
    if (it == models_.end()) return;
    for (const auto& [v, vs] : it->second.versions) listed.push_back(v);
    if (!it->second.failure.empty()) listed.push_back(0);
    models_.erase(it);
  }
  for (int64_t v : listed) Publish(name, v, ModelState::kUnknown, "");
}

size_t ModelManager::retiring() const { return destroyer_.retiring(); }

std::vector<int64_t> ModelManager::ReadyVersions(
    const std::string& name) const {
  std::vector<int64_t> versions;
  MutexLock lock(&mu_);
  auto it = models_.find(name);
  if (it == models_.end()) return versions;
  for (const auto& [v, vs] : it->second.versions)
    if (vs.model) versions.push_back(v);
  return versions;
}

Status ModelManager::Reconcile(const std::vector<std::string>& names,
                               const std::vector<std::string>& removed,
                               const std::string& why,
                               const std::string& report, bool force) {
  using Kind = VersionAction::Kind;
  std::vector<LoadJob> jobs;
  std::vector<std::string> job_fingerprints;
  std::vector<PlannedUnload> unloads;
  std::map<std::string, std::vector<int64_t>> chosen;  // of the planned models
  Status reported;
  // 1. Plan.
  for (const std::string& name : names) {
    auto snapshot = options_.source->Read(name);
    std::optional<inference::ModelConfig> override_config;
    std::map<int64_t, KnownVersion> known;
    std::map<int64_t, SharedStatistics> stats;
    {
      MutexLock lock(&mu_);
      ModelSlot& slot = models_[name];
      slot.withdrawn = false;
      override_config = slot.override_config;
      for (const auto& [v, vs] : slot.versions) {
        known[v] = {vs.model != nullptr, vs.fingerprint, vs.failed_fingerprint};
        if (vs.model) stats[v] = vs.model->shared_stats();
      }
    }
    VersionPlan plan =
        PlanVersions(name, snapshot, override_config, known, force);
    if (name == report) reported = plan.status;
    SetFailure(name, plan.model_failure);
    chosen[name] = plan.chosen;
    for (const VersionAction& a : plan.actions) {
      switch (a.kind) {
        case Kind::kLoad:
          jobs.push_back({*snapshot, a.version, plan.config, stats[a.version]});
          job_fingerprints.push_back(a.fingerprint);
          if (!known[a.version].serving) {
            {
              MutexLock lock(&mu_);
              models_[name].versions[a.version];  // listed from now on
            }
            Publish(name, a.version, ModelState::kLoading, "");
          }
          break;
        case Kind::kKeep:
          if (!a.reason.empty()) {
            auto row = index_.Find(name, a.version);
            if (!row || row->reason != a.reason)
              Publish(name, a.version, ModelState::kReady, a.reason);
          }
          break;
        case Kind::kUnload:
          unloads.push_back({name, a.version, a.reason});
          break;
        case Kind::kForget: {
          {
            MutexLock lock(&mu_);
            models_[name].versions.erase(a.version);
          }
          Publish(name, a.version, ModelState::kUnknown, "");
          break;
        }
      }
    }
  }
  for (const std::string& name : removed) {
    MutexLock lock(&mu_);
    ModelSlot& slot = models_[name];
    slot.withdrawn = true;
    for (const auto& [v, vs] : slot.versions) {
      if (vs.model) unloads.push_back({name, v, why});
    }
  }

  // 2. Load beside what serves. 3. Swap in.
  auto results = executor_.Run(jobs);
  for (size_t i = 0; i < jobs.size(); ++i) {
    const std::string& name = jobs[i].snapshot.name;
    const int64_t v = jobs[i].version;
    if (results[i].ok()) {
      std::shared_ptr<ServedModel> old;
      {
        MutexLock lock(&mu_);
        VersionSlot& vs = models_[name].versions[v];
        old = std::exchange(vs.model,
                            destroyer_.Adopt(std::move(results[i]).value()));
        vs.fingerprint = job_fingerprints[i];
        vs.failed_fingerprint.clear();
      }
      Publish(name, v, ModelState::kReady, old ? kReloaded : "");
      destroyer_.Retire(std::move(old));
      continue;
    }
    const std::string failure = results[i].status().message();
    if (name == report && reported.ok()) reported = results[i].status();
    bool serving = false;
    {
      MutexLock lock(&mu_);
      VersionSlot& vs = models_[name].versions[v];
      serving = vs.model != nullptr;
      vs.failed_fingerprint = job_fingerprints[i];
    }
    if (serving) {
      Publish(name, v, ModelState::kReady,
              "serving the previous copy; reloading failed: " + failure);
    } else {
      Publish(name, v, ModelState::kUnavailable, failure);
    }
  }

  // 4. Only now stop serving what is no longer wanted, unless nothing chosen
  // could replace it.
  for (const PlannedUnload& u : unloads) {
    std::shared_ptr<ServedModel> model;
    bool keep = false;
    {
      MutexLock lock(&mu_);
      ModelSlot& slot = models_[u.name];
      auto c = chosen.find(u.name);
      if (c != chosen.end() && !c->second.empty()) {
        keep = std::none_of(c->second.begin(), c->second.end(),
                            [&](int64_t v) ADLIK_REQUIRES(mu_) {
                              return slot.versions[v].model != nullptr;
                            });
      }
      if (!keep) {
        VersionSlot& vs = slot.versions[u.version];
        model = std::move(vs.model);
        vs.fingerprint.clear();
      }
    }
    if (keep) {
      Publish(u.name, u.version, ModelState::kReady,
              "kept serving: the version(s) chosen to replace it failed to "
              "load");
      continue;
    }
    Publish(u.name, u.version, ModelState::kUnloading, "");
    destroyer_.Retire(std::move(model));
    Publish(u.name, u.version, ModelState::kUnavailable, u.why);
  }
  return reported;
}

Status ModelManager::Start() {
  MutexLock reconcile(&reconcile_mu_);
  if (options_.mode == ControlMode::kExplicit) {
    for (const auto& name : options_.startup_models) {
      if (!repository::IsValidModelName(name)) {
        return InvalidArgument("--load_model: '" + name +
                               "' is not a model name");
      }
    }
    {
      MutexLock lock(&mu_);
      explicit_models_.insert(options_.startup_models.begin(),
                              options_.startup_models.end());
    }
    // Each model's failure is recorded in its own state.
    Reconcile(options_.startup_models, {}, "", "").IgnoreError();
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(std::vector<std::string> names,
                   options_.source->ListModels());
  Reconcile(names, {}, "", "").IgnoreError();
  return Status::Ok();
}

Status ModelManager::Poll() {
  if (options_.mode != ControlMode::kPoll) return Status::Ok();
  MutexLock reconcile(&reconcile_mu_);
  ASSIGN_OR_RETURN(std::vector<std::string> names,
                   options_.source->ListModels());
  std::vector<std::string> removed, gone;
  {
    MutexLock lock(&mu_);
    for (const auto& [name, slot] : models_) {
      if (std::binary_search(names.begin(), names.end(), name)) continue;
      const bool serving =
          std::any_of(slot.versions.begin(), slot.versions.end(),
                      [](const auto& v) { return v.second.model != nullptr; });
      (serving ? removed : gone).push_back(name);
    }
  }
  for (const std::string& name : gone) Forget(name);
  return Reconcile(names, removed, kRemoved, "");
}

Status ModelManager::Load(const std::string& name,
                          std::optional<inference::ModelConfig> config) {
  if (options_.mode != ControlMode::kExplicit) {
    return Unavailable(
        "loading models through the API needs --model_control_mode=explicit "
        "(the repository is polled instead)");
  }
  if (!repository::IsValidModelName(name)) {
    return InvalidArgument(
        "'" + name +
        "' is not a model name: it must name a folder directly "
        "inside the repository");
  }
  MutexLock reconcile(&reconcile_mu_);
  ASSIGN_OR_RETURN(std::vector<std::string> names,
                   options_.source->ListModels());
  if (!std::binary_search(names.begin(), names.end(), name)) {
    return NotFound("no model folder '" + name + "' in the repository");
  }
  {
    MutexLock lock(&mu_);
    explicit_models_.insert(name);
    models_[name].override_config = std::move(config);
  }
  return Reconcile({name}, {}, "", name, /*force=*/true);
}

Status ModelManager::Unload(const std::string& name) {
  if (options_.mode != ControlMode::kExplicit) {
    return Unavailable(
        "unloading models through the API needs --model_control_mode=explicit "
        "(the repository is polled instead)");
  }
  if (!repository::IsValidModelName(name)) {
    return InvalidArgument("'" + name + "' is not a model name");
  }
  MutexLock reconcile(&reconcile_mu_);
  {
    MutexLock lock(&mu_);
    explicit_models_.erase(name);
    auto it = models_.find(name);
    if (it == models_.end()) {
      return NotFound("model '" + name + "' is not loaded");
    }
    it->second.override_config.reset();
  }
  Reconcile({}, {name}, kUnloaded, "").IgnoreError();
  return Status::Ok();
}

StatusOr<std::shared_ptr<ServedModel>> ModelManager::Get(
    const std::string& name, const std::string& version) const {
  int64_t listed = 0;  // the version whose state says why none is served
  {
    MutexLock lock(&mu_);
    auto it = models_.find(name);
    if (it == models_.end()) {
      return NotFound("Request for unknown model: '" + name + "' is not found");
    }
    const ModelSlot& slot = it->second;
    if (version.empty()) {
      for (auto v = slot.versions.rbegin(); v != slot.versions.rend(); ++v) {
        if (v->second.model) return v->second.model;
      }
      if (slot.versions.empty()) {
        return Unavailable("model '" + name + "' is not ready (" +
                           slot.failure + ")");
      }
      listed = slot.versions.rbegin()->first;
    } else {
      int64_t v = 0;
      auto [p, ec] =
          std::from_chars(version.data(), version.data() + version.size(), v);
      auto vit = (ec == std::errc() && p == version.data() + version.size())
                     ? slot.versions.find(v)
                     : slot.versions.end();
      if (vit == slot.versions.end()) {
        return NotFound("Request for unknown model: '" + name + "' version " +
                        version + " is not found");
      }
      if (vit->second.model) return vit->second.model;
      listed = v;
    }
  }
  const auto row = index_.Find(name, listed);
  const ModelState state = row ? row->state : ModelState::kUnknown;
  const std::string reason = row ? row->reason : "";
  return Unavailable("model '" + name + "'" +
                     (version.empty() ? "" : " version " + version) +
                     " is not ready (" + std::string(ModelStateName(state)) +
                     (reason.empty() ? "" : ": " + reason) + ")");
}

std::vector<std::shared_ptr<ServedModel>> ModelManager::ReadyModels() const {
  std::vector<std::shared_ptr<ServedModel>> ready;
  MutexLock lock(&mu_);
  for (const auto& [name, slot] : models_) {
    for (const auto& [v, vs] : slot.versions)
      if (vs.model) ready.push_back(vs.model);
  }
  return ready;
}

std::vector<ModelIndexEntry> ModelManager::Index() const {
  std::vector<ModelIndexEntry> index = index_.Entries();
  if (options_.mode != ControlMode::kExplicit) return index;
  // The models of the repository that were never loaded (or were forgotten)
  // are listed too, as the model-repository extension asks.
  auto names = options_.source->ListModels();
  if (!names.ok()) return index;
  for (const std::string& name : *names) {
    const bool listed =
        std::any_of(index.begin(), index.end(),
                    [&](const ModelIndexEntry& e) { return e.name == name; });
    if (!listed)
      index.push_back({name, "", ModelState::kUnavailable, "unloaded"});
  }
  std::stable_sort(index.begin(), index.end(),
                   [](const ModelIndexEntry& a, const ModelIndexEntry& b) {
                     return a.name < b.name;
                   });
  return index;
}

bool ModelManager::AllReady() const {
  MutexLock lock(&mu_);
  for (const auto& [name, slot] : models_) {
    if (options_.mode == ControlMode::kExplicit &&
        !explicit_models_.count(name))
      continue;
    if (slot.withdrawn) continue;
    const bool ready =
        std::any_of(slot.versions.begin(), slot.versions.end(),
                    [](const auto& v) { return v.second.model != nullptr; });
    if (!ready) return false;
  }
  return true;
}

void ModelManager::UnloadAll() {
  MutexLock reconcile(&reconcile_mu_);
  struct Doomed {
    std::string name;
    int64_t version;
    std::shared_ptr<ServedModel> model;
  };
  std::vector<Doomed> doomed;
  {
    MutexLock lock(&mu_);
    for (auto& [name, slot] : models_) {
      for (auto& [v, vs] : slot.versions) {
        if (vs.model) doomed.push_back({name, v, std::move(vs.model)});
      }
    }
  }
  for (Doomed& d : doomed) {
    Publish(d.name, d.version, ModelState::kUnloading, "");
    destroyer_.Retire(std::move(d.model));
  }
  destroyer_.WaitUntilNoneRetiring();
  for (const Doomed& d : doomed) {
    Publish(d.name, d.version, ModelState::kUnavailable, kShutdown);
  }
}

}  // namespace adlik
