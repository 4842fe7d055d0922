#include "lifecycle/version_planner.h"

#include <algorithm>

#include "lifecycle/version_policy.h"

namespace adlik {
namespace {

bool Contains(const std::vector<int64_t>& list, int64_t v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// Fails the model: every served version is unloaded with `why`.
VersionPlan Fail(const std::map<int64_t, KnownVersion>& known, Status status,
                 const std::string& why) {
  VersionPlan plan;
  plan.status = std::move(status);
  plan.model_failure = why;
  for (const auto& [v, k] : known) {
    if (k.serving)
      plan.actions.push_back({VersionAction::Kind::kUnload, v, "", why});
  }
  return plan;
}

}  // namespace

VersionPlan PlanVersions(
    const std::string& name,
    const StatusOr<repository::ModelSnapshot>& snapshot,
    const std::optional<inference::ModelConfig>& override_config,
    const std::map<int64_t, KnownVersion>& known, bool force) {
  using Kind = VersionAction::Kind;
  if (!snapshot.ok()) {
    return Fail(known, snapshot.status(), snapshot.status().message());
  }
  if (!override_config && !snapshot->config_status.ok()) {
    const Status& s = snapshot->config_status;
    VersionPlan plan;
    plan.status = s;
    plan.model_failure = s.message();
    for (const auto& [v, k] : known) {
      if (k.serving) {
        plan.actions.push_back(
            {Kind::kKeep, v, "",
             "serving the previous config; the new one failed: " +
                 s.message()});
      }
    }
    return plan;
  }
  const inference::ModelConfig& config =
      override_config ? *override_config : snapshot->config;
  if (snapshot->versions.empty()) {
    const std::string why =
        "no version folder (a positive integer) under " + snapshot->path;
    return Fail(known, Unavailable("model '" + name + "': " + why), why);
  }
  std::vector<int64_t> chosen =
      SelectVersions(config.version_policy(), snapshot->versions);
  if (chosen.empty()) {
    const std::string why =
        "the version_policy selects none of the versions present";
    return Fail(known, InvalidArgument("model '" + name + "': " + why), why);
  }

  VersionPlan plan;
  plan.config = config;
  const std::string config_fp =
      override_config ? "override:" + override_config->SerializeAsString() : "";
  std::vector<VersionAction> loads, keeps, unloads, forgets;
  for (int64_t v : chosen) {
    auto vfp = snapshot->version_fingerprints.find(v);
    const std::string fp =
        snapshot->model_fingerprint + "|" +
        (vfp == snapshot->version_fingerprints.end() ? "" : vfp->second) + "|" +
        config_fp;
    auto k = known.find(v);
    const bool unchanged =
        k != known.end() &&
        ((k->second.serving && k->second.fingerprint == fp) ||
         (!force && k->second.failed_fingerprint == fp));
    if (unchanged) {
      keeps.push_back({Kind::kKeep, v, "", ""});
    } else {
      loads.push_back({Kind::kLoad, v, fp, ""});
    }
  }
  for (const auto& [v, k] : known) {
    if (Contains(chosen, v)) continue;
    if (k.serving) {
      unloads.push_back({Kind::kUnload, v, "",
                         "unloaded (not chosen by the version policy, or "
                         "removed from the repository)"});
    } else if (!Contains(snapshot->versions, v)) {
      forgets.push_back({Kind::kForget, v, "", ""});
    }  // else: stays listed while its folder exists
  }
  for (auto* list : {&loads, &keeps, &unloads, &forgets}) {
    plan.actions.insert(plan.actions.end(), list->begin(), list->end());
  }
  plan.chosen = std::move(chosen);
  return plan;
}

}  // namespace adlik
