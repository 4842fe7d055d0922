// Decides what to do with one model's versions, from the repository's state
// of the model and what the manager serves; does nothing itself.
//
//   input   the model's snapshot (or why it could not be read), a config
//           given through the repository API, the versions the manager
//           knows (served or not, the fingerprint of the served copy's
//           files, that of the files a load last failed on), `force`
//   output  a model-level failure with its reason (and status), or the
//           versions the version_policy chooses; and one action per version:
//     load V     not served, or its files or config changed (beside the
//                served copy, which keeps serving until the new one is READY)
//     keep V     nothing to load (served and unchanged, or its files are
//                those a load already failed on and `force` is off); with a
//                reason, the new reason of a version that keeps serving
//     unload V   served, but no longer chosen, or the model cannot be served
//                any more (the reason says why)
//     forget V   known, not served, and its folder is gone
//
// A config that does not parse keeps every served version serving (keep,
// with the reason), and fails the model. Thread-safety: a pure function.
#ifndef ADLIK_LIFECYCLE_VERSION_PLANNER_H_
#define ADLIK_LIFECYCLE_VERSION_PLANNER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adlik/status.h"
#include "config/model_config.pb.h"
#include "repository/repository_source.h"

namespace adlik {

// What the manager knows of one version.
struct KnownVersion {
  bool serving = false;
  std::string fingerprint;         // of the served copy's files (serving)
  std::string failed_fingerprint;  // of the files a load last failed on
};

struct VersionAction {
  enum class Kind { kLoad, kKeep, kUnload, kForget };
  Kind kind = Kind::kKeep;
  int64_t version = 0;
  std::string fingerprint;  // kLoad: of the files (and config) to load
  std::string reason;       // kUnload: why; kKeep: a new reason, or ""
};

struct VersionPlan {
  // Ok, or the model-level failure, naming the model.
  Status status;
  // The failure's reason, as the index shows it; "" when the model plans.
  std::string model_failure;
  inference::ModelConfig config;       // what the loads use
  std::vector<int64_t> chosen;         // the versions the policy serves
  std::vector<VersionAction> actions;  // by kind (load, keep, unload, forget)
};

VersionPlan PlanVersions(
    const std::string& name,
    const StatusOr<repository::ModelSnapshot>& snapshot,
    const std::optional<inference::ModelConfig>& override_config,
    const std::map<int64_t, KnownVersion>& known, bool force);

}  // namespace adlik

#endif  // ADLIK_LIFECYCLE_VERSION_PLANNER_H_
