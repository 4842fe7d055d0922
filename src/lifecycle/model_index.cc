#include "lifecycle/model_index.h"

#include <chrono>

namespace adlik {

void ModelIndex::Apply(const ModelStateEvent& event) {
  MutexLock lock(&mu_);
  if (event.new_state != ModelState::kUnknown) {
    models_[event.name][event.version] = {event.new_state, event.reason};
    return;
  }
  auto it = models_.find(event.name);
  if (it == models_.end()) return;
  it->second.erase(event.version);
  if (it->second.empty()) models_.erase(it);
}

std::vector<ModelIndexEntry> ModelIndex::Entries() const {
  std::vector<ModelIndexEntry> entries;
  MutexLock lock(&mu_);
  for (const auto& [name, versions] : models_) {
    const bool only_model_level =
        versions.size() == 1 && versions.begin()->first == 0;
    for (const auto& [v, s] : versions) {
      if (v == 0 && !only_model_level) continue;
      entries.push_back(
          {name, v == 0 ? "" : std::to_string(v), s.state, s.reason});
    }
  }
  return entries;
}

std::optional<ModelIndex::Row> ModelIndex::Find(const std::string& name,
                                                int64_t version) const {
  MutexLock lock(&mu_);
  auto it = models_.find(name);
  if (it == models_.end()) return std::nullopt;
  auto v = it->second.find(version);
  if (v == it->second.end()) return std::nullopt;
  return v->second;
}

std::vector<ModelStateEvent> ModelIndex::Replay() const {
  std::vector<ModelStateEvent> events;
  const auto now = std::chrono::system_clock::now();
  MutexLock lock(&mu_);
  for (const auto& [name, versions] : models_) {
    for (const auto& [v, s] : versions) {
      events.push_back({name, v, ModelState::kUnknown, s.state, s.reason, now});
    }
  }
  return events;
}

}  // namespace adlik
