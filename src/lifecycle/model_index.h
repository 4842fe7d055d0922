// The repository index: every model version the lifecycle knows, with its
// state and reason, kept up to date from the lifecycle's events (a
// subscriber of the ModelEventBus). A model with no version listed shows its
// model-level failure instead.
//
// Thread-safety: all methods may be called from any thread.
#ifndef ADLIK_LIFECYCLE_MODEL_INDEX_H_
#define ADLIK_LIFECYCLE_MODEL_INDEX_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/model_state.h"
#include "base/mutex.h"

namespace adlik {

class ModelIndex {
 public:
  struct Row {
    ModelState state = ModelState::kUnknown;
    std::string reason;
  };

  void Apply(const ModelStateEvent& event) ADLIK_EXCLUDES(mu_);

  // By name, then version.
  std::vector<ModelIndexEntry> Entries() const ADLIK_EXCLUDES(mu_);

  // One version's state (version 0: the model-level failure); nullopt when
  // it is not listed.
  std::optional<Row> Find(const std::string& name, int64_t version) const
      ADLIK_EXCLUDES(mu_);

  // Events that rebuild the index from nothing (for a new subscriber).
  std::vector<ModelStateEvent> Replay() const ADLIK_EXCLUDES(mu_);

 private:
  mutable Mutex mu_;
  // By model, then version (0: the model-level failure).
  std::map<std::string, std::map<int64_t, Row>> models_ ADLIK_GUARDED_BY(mu_);
};

}  // namespace adlik

#endif  // ADLIK_LIFECYCLE_MODEL_INDEX_H_
