#include "lifecycle/model_manager.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <thread>

#include "base/logging.h"

namespace adlik {

std::string_view ModelStateName(ModelState state) {
  switch (state) {
    case ModelState::kUnknown: return "UNKNOWN";
    case ModelState::kLoading: return "LOADING";
    case ModelState::kReady: return "READY";
    case ModelState::kUnloading: return "UNLOADING";
    case ModelState::kUnavailable: return "UNAVAILABLE";
  }
  return "UNKNOWN";
}

void ReleaseWhenIdle(std::shared_ptr<ServedModel> model) {
  // Requests in flight hold references and drop them on the model's own
  // instance threads, which the model's destructor joins: so the last
  // reference must be dropped here, once they have all let go.
  while (model.use_count() > 1) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  model.reset();
}

ModelManager::ModelManager(ModelManagerOptions options)
    : options_(std::move(options)) {}

ModelManager::~ModelManager() { UnloadAll(); }

void ModelManager::SetState(const std::string& name, int64_t version,
                            ModelState state, std::string reason,
                            std::shared_ptr<ServedModel> model) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    VersionSlot& slot = models_[name].versions[version];
    slot.state = state;
    slot.reason = reason;
    slot.model = std::move(model);
  }
  if (state == ModelState::kUnavailable) {
    LOG(ERROR) << "model '" << name << "' version " << version << ": "
               << ModelStateName(state) << ": " << reason;
  } else {
    LOG(INFO) << "model '" << name << "' version " << version << ": "
              << ModelStateName(state);
  }
}

Status ModelManager::LoadAll() {
  ASSIGN_OR_RETURN(std::vector<repository::ModelDir> dirs,
                   repository::Scan(options_.model_base_path));
  std::vector<std::pair<repository::ModelDir, int64_t>> work;
  for (auto& dir : dirs) {
    if (dir.versions.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      models_[dir.name].reason =
          "no version folder (a positive integer) under " + dir.path;
      LOG(ERROR) << "model '" << dir.name << "': UNAVAILABLE: "
                 << models_[dir.name].reason;
      continue;
    }
    const int64_t v = dir.versions.back();
    SetState(dir.name, v, ModelState::kLoading, "", nullptr);
    work.emplace_back(std::move(dir), v);
  }
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < work.size();) {
      const auto& [dir, v] = work[i];
      auto loaded = ServedModel::Load(dir, v, options_.load);
      if (loaded.ok()) {
        SetState(dir.name, v, ModelState::kReady, "", std::move(loaded).value());
      } else {
        SetState(dir.name, v, ModelState::kUnavailable, loaded.status().message(),
                 nullptr);
      }
    }
  };
  std::vector<std::thread> threads;
  const size_t n = std::min<size_t>(std::max(1, options_.load_threads), work.size());
  for (size_t i = 0; i < n; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
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
  if (slot.versions.empty()) {
    return Unavailable("model '" + name + "' is not available: " + slot.reason);
  }
  if (version.empty()) {
    // The newest READY version; else the newest version's reason.
    for (auto v = slot.versions.rbegin(); v != slot.versions.rend(); ++v) {
      if (v->second.state == ModelState::kReady) return v->second.model;
    }
    const VersionSlot& newest = slot.versions.rbegin()->second;
    return Unavailable("model '" + name + "' is not ready (" +
                       std::string(ModelStateName(newest.state)) + ")" +
                       (newest.reason.empty() ? "" : ": " + newest.reason));
  }
  int64_t v = 0;
  auto [p, ec] = std::from_chars(version.data(), version.data() + version.size(), v);
  auto vit = (ec == std::errc() && p == version.data() + version.size())
                 ? slot.versions.find(v)
                 : slot.versions.end();
  if (vit == slot.versions.end()) {
    return NotFound("Request for unknown model: '" + name + "' version " +
                    version + " is not found");
  }
  if (vit->second.state != ModelState::kReady) {
    return Unavailable("model '" + name + "' version " + version +
                       " is not ready (" +
                       std::string(ModelStateName(vit->second.state)) + ")" +
                       (vit->second.reason.empty() ? "" : ": " + vit->second.reason));
  }
  return vit->second.model;
}

std::vector<std::shared_ptr<ServedModel>> ModelManager::ReadyModels() const {
  std::vector<std::shared_ptr<ServedModel>> ready;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, slot] : models_) {
    for (const auto& [v, vs] : slot.versions)
      if (vs.state == ModelState::kReady) ready.push_back(vs.model);
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
    for (const auto& [v, vs] : slot.versions)
      index.push_back({name, std::to_string(v), vs.state, vs.reason});
  }
  return index;
}

void ModelManager::UnloadAll() {
  std::vector<std::pair<std::string, std::shared_ptr<ServedModel>>> doomed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, slot] : models_) {
      for (auto& [v, vs] : slot.versions) {
        if (vs.model) doomed.emplace_back(name, std::move(vs.model));
        vs.state = ModelState::kUnloading;
      }
    }
  }
  for (auto& [name, model] : doomed) {
    const int64_t v = model->version();
    ReleaseWhenIdle(std::move(model));
    LOG(INFO) << "model '" << name << "' version " << v << ": unloaded";
  }
}

}  // namespace adlik
