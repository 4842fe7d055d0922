#include "lifecycle/model_manager.h"

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <optional>

#include "base/logging.h"
#include "lifecycle/version_policy.h"
#include "repository/repository.h"

namespace adlik {
namespace {
const std::string kRemoved = "unloaded: removed from the repository";
const std::string kUnloaded = "unloaded through the repository API";
}  // namespace

ModelManager::ModelManager(ModelManagerOptions options)
    : options_(std::move(options)) {
  reaper_ = std::thread([this] { ReapLoop(); });
}

ModelManager::~ModelManager() {
  UnloadAll();
  {
    std::lock_guard<std::mutex> lock(reap_mu_);
    stop_reaper_ = true;
  }
  reap_cv_.notify_all();
  reaper_.join();
}

void ModelManager::SetState(const std::string& name, int64_t version,
                            ModelState state, std::string reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    VersionSlot& slot = models_[name].versions[version];
    slot.state = state;
    slot.reason = reason;
  }
  if (state == ModelState::kUnavailable && !reason.empty() &&
      !reason.starts_with("unloaded")) {
    LOG(ERROR).Model(name).Version(version) << "UNAVAILABLE: " << reason;
  } else {
    LOG(INFO).Model(name).Version(version)
        << ModelStateName(state) << (reason.empty() ? "" : " (" + reason + ")");
  }
}

void ModelManager::Retire(std::shared_ptr<ServedModel> model) {
  if (!model) return;
  {
    std::lock_guard<std::mutex> lock(reap_mu_);
    retired_.push_back(std::move(model));
  }
  reap_cv_.notify_all();
}

// Requests in flight hold references and drop them on the model's own
// instance threads, which the model's destructor joins: so the last
// reference is dropped here, once they have all let go.
void ModelManager::ReapLoop() {
  std::unique_lock<std::mutex> lock(reap_mu_);
  for (;;) {
    if (stop_reaper_ && retired_.empty()) return;
    std::vector<std::shared_ptr<ServedModel>> idle;
    for (auto it = retired_.begin(); it != retired_.end();) {
      if (it->use_count() == 1) {
        idle.push_back(std::move(*it));
        it = retired_.erase(it);
      } else {
        ++it;
      }
    }
    if (!idle.empty()) {
      destroying_ += idle.size();
      lock.unlock();
      for (auto& m : idle) {
        const std::string name = m->name();
        const int64_t v = m->version();
        m.reset();  // drains its queue, joins its threads, frees the engine
        LOG(INFO).Model(name).Version(v) << "unloaded";
      }
      malloc_trim(0);  // give the freed engine memory back to the system
      lock.lock();
      destroying_ -= idle.size();
      reap_cv_.notify_all();
      continue;
    }
    reap_cv_.wait_for(lock,
                      std::chrono::milliseconds(retired_.empty() ? 1000 : 2));
  }
}

size_t ModelManager::retiring() const {
  std::lock_guard<std::mutex> lock(reap_mu_);
  return retired_.size() + destroying_;
}

std::vector<int64_t> ModelManager::ReadyVersions(
    const std::string& name) const {
  std::vector<int64_t> versions;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = models_.find(name);
  if (it == models_.end()) return versions;
  for (const auto& [v, vs] : it->second.versions)
    if (vs.model) versions.push_back(v);
  return versions;
}

Status ModelManager::Plan(
    const std::string& name, bool force, std::vector<LoadTask>* tasks,
    std::vector<std::pair<int64_t, std::string>>* to_unload,
    std::vector<int64_t>* chosen_out) {
  auto snapshot = options_.source->Read(name);
  std::optional<inference::ModelConfig> override_config;
  std::vector<int64_t> loaded;  // versions with a served copy
  {
    std::lock_guard<std::mutex> lock(mu_);
    ModelSlot& slot = models_[name];
    override_config = slot.override_config;
    for (const auto& [v, vs] : slot.versions)
      if (vs.model) loaded.push_back(v);
  }
  auto unload_all = [&](const std::string& why) {
    for (int64_t v : loaded) to_unload->emplace_back(v, why);
  };
  if (!snapshot.ok()) {
    unload_all(snapshot.status().message());
    std::lock_guard<std::mutex> lock(mu_);
    models_[name].reason = snapshot.status().message();
    return snapshot.status();
  }
  if (!override_config && !snapshot->config_status.ok()) {
    // A config that does not parse: keep what serves, report the reason.
    const Status& s = snapshot->config_status;
    std::lock_guard<std::mutex> lock(mu_);
    ModelSlot& slot = models_[name];
    slot.reason = s.message();
    for (auto& [v, vs] : slot.versions) {
      if (vs.model)
        vs.reason =
            "serving the previous config; the new one failed: " + s.message();
    }
    if (loaded.empty()) {
      LOG(ERROR).Model(name) << "UNAVAILABLE: " << s.message();
    }
    return s;
  }
  const inference::ModelConfig config =
      override_config ? *override_config : snapshot->config;
  if (snapshot->versions.empty()) {
    const std::string why =
        "no version folder (a positive integer) under " + snapshot->path;
    unload_all(why);
    std::lock_guard<std::mutex> lock(mu_);
    models_[name].reason = why;
    LOG(ERROR).Model(name) << "UNAVAILABLE: " << why;
    return Unavailable("model '" + name + "': " + why);
  }
  const std::vector<int64_t> chosen =
      SelectVersions(config.version_policy(), snapshot->versions);
  *chosen_out = chosen;
  if (chosen.empty()) {
    const std::string why =
        "the version_policy selects none of the versions present";
    unload_all(why);
    std::lock_guard<std::mutex> lock(mu_);
    models_[name].reason = why;
    return InvalidArgument("model '" + name + "': " + why);
  }
  const std::string config_fp =
      override_config ? "override:" + override_config->SerializeAsString() : "";
  std::vector<int64_t> starting;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ModelSlot& slot = models_[name];
    slot.reason.clear();
    for (int64_t v : chosen) {
      const std::string fp = snapshot->model_fingerprint + "|" +
                             snapshot->version_fingerprints[v] + "|" +
                             config_fp;
      VersionSlot& vs = slot.versions[v];
      if (vs.model && vs.fingerprint == fp) continue;
      if (!force && vs.failed_fingerprint == fp)
        continue;  // failed on these very files
      tasks->push_back({*snapshot, v, config, fp,
                        vs.model ? vs.model->shared_stats() : nullptr});
      if (!vs.model) starting.push_back(v);
    }
    // Versions no longer chosen: served ones are unloaded; the others stay
    // listed while their folder exists.
    const auto& present = snapshot->versions;
    for (auto it = slot.versions.begin(); it != slot.versions.end();) {
      const bool wanted =
          std::find(chosen.begin(), chosen.end(), it->first) != chosen.end();
      const bool on_disk =
          std::find(present.begin(), present.end(), it->first) != present.end();
      if (wanted || (!it->second.model && on_disk)) {
        ++it;
      } else if (it->second.model) {
        to_unload->emplace_back(
            it->first,
            "unloaded (not chosen by the version policy, or "
            "removed from the repository)");
        ++it;
      } else {
        it = slot.versions.erase(it);
      }
    }
  }
  for (int64_t v : starting) SetState(name, v, ModelState::kLoading, "");
  return Status::Ok();
}

void ModelManager::RunLoads(std::vector<LoadTask>* tasks) {
  // Each load runs on a thread of its own, at most load_threads at once. A
  // load still running at its deadline is given up: its version becomes
  // UNAVAILABLE with the reason, the reconciliation goes on, and whatever
  // the load returns later is dropped on its own thread. The threads share
  // `state`, never the caller's stack.
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::optional<StatusOr<std::shared_ptr<ServedModel>>>> results;
  };
  auto state = std::make_shared<Shared>();
  state->results.resize(tasks->size());
  using Clock = std::chrono::steady_clock;
  const auto timeout = options_.load_timeout;
  const size_t limit = std::max(1, options_.load_threads);
  std::vector<std::optional<Clock::time_point>> deadline(tasks->size());
  std::vector<bool> finished(tasks->size(), false);
  size_t next = 0, running = 0, done = 0;
  std::unique_lock<std::mutex> lock(state->mu);
  while (done < tasks->size()) {
    for (; running < limit && next < tasks->size(); ++next, ++running) {
      const LoadTask& t = (*tasks)[next];
      deadline[next] = Clock::now() + timeout;
      std::thread([state, i = next, loader = options_.loader,
                   snapshot = t.snapshot, version = t.version,
                   config = t.config, stats = t.stats]() mutable {
        auto result = loader(snapshot, version, std::move(config), stats);
        std::lock_guard<std::mutex> lock(state->mu);
        state->results[i] = std::move(result);
        state->cv.notify_all();
      }).detach();
    }
    Clock::time_point earliest = Clock::time_point::max();
    for (size_t i = 0; i < next; ++i) {
      if (finished[i]) continue;
      if (state->results[i]) {
        (*tasks)[i].result = std::move(*state->results[i]);
        state->results[i].reset();
      } else if (timeout.count() > 0 && Clock::now() >= *deadline[i]) {
        (*tasks)[i].result = Unavailable(
            "loading did not finish within " +
            std::to_string(timeout.count() / 1000) +
            " s (--model_load_timeout_seconds); the load was abandoned");
        LOG(ERROR).Model((*tasks)[i].snapshot.name).Version((*tasks)[i].version)
            << (*tasks)[i].result.status().message();
      } else {
        if (timeout.count() > 0) earliest = std::min(earliest, *deadline[i]);
        continue;
      }
      finished[i] = true;
      ++done;
      --running;
    }
    if (done == tasks->size() || (running < limit && next < tasks->size()))
      continue;
    if (earliest == Clock::time_point::max()) {
      state->cv.wait(lock);
    } else {
      state->cv.wait_until(lock, earliest);
    }
  }
}

Status ModelManager::Reconcile(const std::vector<std::string>& names,
                               const std::vector<std::string>& removed,
                               const std::string& why,
                               const std::string& report, bool force) {
  std::vector<LoadTask> tasks;
  std::vector<std::pair<std::string, std::pair<int64_t, std::string>>> unloads;
  std::map<std::string, std::vector<int64_t>> chosen;  // of the planned models
  Status reported;
  for (const std::string& name : names) {
    std::vector<std::pair<int64_t, std::string>> to_unload;
    Status s = Plan(name, force, &tasks, &to_unload, &chosen[name]);
    if (name == report) reported = s;
    for (auto& u : to_unload) unloads.emplace_back(name, std::move(u));
  }
  for (const std::string& name : removed) {
    std::lock_guard<std::mutex> lock(mu_);
    ModelSlot& slot = models_[name];
    slot.reason = why;
    for (const auto& [v, vs] : slot.versions) {
      if (vs.model) unloads.push_back({name, {v, why}});
    }
  }

  // 2. Load beside what serves. 3. Swap in.
  RunLoads(&tasks);
  for (LoadTask& t : tasks) {
    const std::string& name = t.snapshot.name;
    std::shared_ptr<ServedModel> old;
    if (t.result.ok()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        VersionSlot& vs = models_[name].versions[t.version];
        old = std::move(vs.model);
        vs.model = std::move(t.result).value();
        vs.fingerprint = t.fingerprint;
        vs.failed_fingerprint.clear();
      }
      SetState(name, t.version, ModelState::kReady, old ? "reloaded" : "");
      Retire(std::move(old));
      continue;
    }
    const std::string why = t.result.status().message();
    if (name == report && reported.ok()) reported = t.result.status();
    bool serving = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      VersionSlot& vs = models_[name].versions[t.version];
      serving = vs.model != nullptr;
      vs.failed_fingerprint = t.fingerprint;
      if (serving)
        vs.reason = "serving the previous copy; reloading failed: " + why;
    }
    if (serving) {
      LOG(ERROR).Model(name).Version(t.version)
          << "reload failed, the previous copy keeps serving: " << why;
    } else {
      SetState(name, t.version, ModelState::kUnavailable, why);
    }
  }

  // 4. Only now stop serving what is no longer wanted, unless nothing chosen
  // could replace it.
  for (auto& [name, u] : unloads) {
    const auto& [v, why] = u;
    std::shared_ptr<ServedModel> model;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto c = chosen.find(name);
      if (c != chosen.end() && !c->second.empty()) {
        bool replaced = false;
        for (int64_t cv : c->second)
          replaced |= models_[name].versions[cv].model != nullptr;
        if (!replaced) {
          VersionSlot& keep = models_[name].versions[v];
          keep.reason =
              "kept serving: the version(s) chosen to replace it failed to "
              "load";
          LOG(WARNING).Model(name).Version(v) << keep.reason;
          continue;
        }
      }
      VersionSlot& vs = models_[name].versions[v];
      model = std::move(vs.model);
      vs.fingerprint.clear();
    }
    SetState(name, v, ModelState::kUnloading, "");
    Retire(std::move(model));
    SetState(name, v, ModelState::kUnavailable, why);
  }
  return reported;
}

Status ModelManager::Start() {
  std::lock_guard<std::mutex> reconcile(reconcile_mu_);
  if (options_.mode == ControlMode::kExplicit) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      explicit_models_.insert(options_.startup_models.begin(),
                              options_.startup_models.end());
    }
    for (const auto& name : options_.startup_models) {
      if (!repository::IsValidModelName(name)) {
        return InvalidArgument("--load_model: '" + name +
                               "' is not a model name");
      }
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
  std::lock_guard<std::mutex> reconcile(reconcile_mu_);
  ASSIGN_OR_RETURN(std::vector<std::string> names,
                   options_.source->ListModels());
  std::vector<std::string> removed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = models_.begin(); it != models_.end();) {
      if (std::binary_search(names.begin(), names.end(), it->first)) {
        ++it;
        continue;
      }
      bool serving = false;
      for (const auto& [v, vs] : it->second.versions)
        serving |= vs.model != nullptr;
      if (serving) {
        removed.push_back(it->first);
        ++it;
      } else {
        it = models_.erase(it);  // gone, and nothing of it serves
      }
    }
  }
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
  std::lock_guard<std::mutex> reconcile(reconcile_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    explicit_models_.insert(name);
    models_[name].override_config = std::move(config);
  }
  Status s = Reconcile({name}, {}, "", name, /*force=*/true);
  if (s.code() == StatusCode::kNotFound) {
    std::lock_guard<std::mutex> lock(mu_);
    explicit_models_.erase(name);
    auto it = models_.find(name);
    if (it != models_.end() && it->second.versions.empty()) models_.erase(it);
  }
  return s;
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
  std::lock_guard<std::mutex> reconcile(reconcile_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    explicit_models_.erase(name);
    if (models_.find(name) == models_.end()) {
      return NotFound("model '" + name + "' is not loaded");
    }
    models_[name].override_config.reset();
  }
  Reconcile({}, {name}, kUnloaded, "").IgnoreError();
  return Status::Ok();
}

StatusOr<std::shared_ptr<ServedModel>> ModelManager::Get(
    const std::string& name, const std::string& version) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = models_.find(name);
  if (it == models_.end()) {
    return NotFound("Request for unknown model: '" + name + "' is not found");
  }
  const ModelSlot& slot = it->second;
  if (version.empty()) {
    for (auto v = slot.versions.rbegin(); v != slot.versions.rend(); ++v) {
      if (v->second.model) return v->second.model;
    }
    std::string why = slot.reason;
    if (!slot.versions.empty()) {
      const VersionSlot& newest = slot.versions.rbegin()->second;
      why = std::string(ModelStateName(newest.state)) +
            (newest.reason.empty() ? "" : ": " + newest.reason);
    }
    return Unavailable("model '" + name + "' is not ready (" + why + ")");
  }
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
  if (!vit->second.model) {
    return Unavailable(
        "model '" + name + "' version " + version + " is not ready (" +
        std::string(ModelStateName(vit->second.state)) +
        (vit->second.reason.empty() ? "" : ": " + vit->second.reason) + ")");
  }
  return vit->second.model;
}

std::vector<std::shared_ptr<ServedModel>> ModelManager::ReadyModels() const {
  std::vector<std::shared_ptr<ServedModel>> ready;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, slot] : models_) {
    for (const auto& [v, vs] : slot.versions)
      if (vs.model) ready.push_back(vs.model);
  }
  return ready;
}

std::vector<ModelIndexEntry> ModelManager::Index() const {
  std::vector<ModelIndexEntry> index;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, slot] : models_) {
    if (slot.versions.empty()) {
      index.push_back({name, "", ModelState::kUnavailable, slot.reason});
    }
    for (const auto& [v, vs] : slot.versions) {
      index.push_back({name, std::to_string(v), vs.state, vs.reason});
    }
  }
  return index;
}

bool ModelManager::AllReady() const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, slot] : models_) {
    if (options_.mode == ControlMode::kExplicit &&
        !explicit_models_.count(name))
      continue;
    if (slot.reason == kRemoved || slot.reason == kUnloaded) continue;
    bool ready = false;
    for (const auto& [v, vs] : slot.versions) ready |= vs.model != nullptr;
    if (!ready) return false;
  }
  return true;
}

void ModelManager::UnloadAll() {
  std::lock_guard<std::mutex> reconcile(reconcile_mu_);
  std::vector<std::shared_ptr<ServedModel>> doomed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, slot] : models_) {
      for (auto& [v, vs] : slot.versions) {
        if (vs.model) doomed.push_back(std::move(vs.model));
        vs.state = ModelState::kUnloading;
      }
    }
  }
  for (auto& m : doomed) Retire(std::move(m));
  std::unique_lock<std::mutex> lock(reap_mu_);
  reap_cv_.wait(lock, [this] { return retired_.empty() && destroying_ == 0; });
}

}  // namespace adlik
