// The state of a model version as the server reports it (the repository
// index, logs, metrics): an enum, with the reason as a separate field.
// Produced by the lifecycle, handed out by the server core.
//
// Thread-safety: plain values.
#ifndef ADLIK_BASE_MODEL_STATE_H_
#define ADLIK_BASE_MODEL_STATE_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace adlik {

enum class ModelState { kUnknown, kLoading, kReady, kUnloading, kUnavailable };

// "UNKNOWN", "LOADING", "READY", "UNLOADING", "UNAVAILABLE" (KServe's names).
constexpr std::string_view ModelStateName(ModelState state) {
  switch (state) {
    case ModelState::kLoading:
      return "LOADING";
    case ModelState::kReady:
      return "READY";
    case ModelState::kUnloading:
      return "UNLOADING";
    case ModelState::kUnavailable:
      return "UNAVAILABLE";
    case ModelState::kUnknown:
      break;
  }
  return "UNKNOWN";
}

// One row of the repository index.
struct ModelIndexEntry {
  std::string name;
  std::string version;  // empty when the model has no version to load
  ModelState state = ModelState::kUnknown;
  std::string reason;  // why it is not READY; empty when it is
};

// One change of a model version's state, or of its reason (old_state ==
// new_state then), as the lifecycle publishes it (base/model_event_bus.h).
//   version 0          the model itself: new_state UNAVAILABLE with the
//                      reason of a model-level failure (no version folder,
//                      a config that does not parse, unreadable folder), or
//                      UNKNOWN with no reason once that failure is over
//   new_state UNKNOWN  the version (or model) is no longer listed: its
//                      folder is gone and nothing of it serves
struct ModelStateEvent {
  std::string name;
  int64_t version = 0;  // > 0; 0 for the model itself
  ModelState old_state = ModelState::kUnknown;
  ModelState new_state = ModelState::kUnknown;
  std::string reason;
  std::chrono::system_clock::time_point time;
};

// How the set of served models is decided: by polling the repository, or
// only by explicit load and unload requests.
enum class ControlMode { kPoll, kExplicit };

}  // namespace adlik

#endif  // ADLIK_BASE_MODEL_STATE_H_
