// Delivers the lifecycle's ModelStateEvents to whoever subscribed: the
// repository index, the one-line log of each change, the metrics.
//
// Rules:
//   - Publish calls every listener, in the order they subscribed, on the
//     publishing thread, before it returns; one event at a time (events of
//     all publishers are delivered in one order, and a listener is never
//     called twice at once).
//   - Listeners run under the bus's own lock only. The lifecycle publishes
//     without holding the lock of its model table, so a listener may read
//     the manager (Get, Index, ...) but must not change it (Load, Unload,
//     Poll: a reconciliation is in progress on the publishing thread and
//     they would wait for it forever), must not Subscribe or cancel a
//     subscription, and should be quick: the reconciliation waits for it.
//   - Subscribe may first replay the current state (`current`, read under
//     the bus's lock, so that no event is missed nor seen twice between the
//     replay and the first live event).
//   - Once a Subscription is cancelled or destroyed its listener is not
//     called again, and no call of it is in progress.
//
// Thread-safety: all methods may be called from any thread (not from a
// listener, see above). Ownership: the bus must outlive its Subscriptions.
#ifndef ADLIK_BASE_MODEL_EVENT_BUS_H_
#define ADLIK_BASE_MODEL_EVENT_BUS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "base/model_state.h"
#include "base/mutex.h"

namespace adlik {

using ModelStateListener = std::function<void(const ModelStateEvent&)>;

class ModelEventBus {
 public:
  // Keeps a listener subscribed while it lives. Move-only.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&& other) noexcept
        : bus_(std::exchange(other.bus_, nullptr)), id_(other.id_) {}
    Subscription& operator=(Subscription&& other) noexcept {
      if (this != &other) {
        Cancel();
        bus_ = std::exchange(other.bus_, nullptr);
        id_ = other.id_;
      }
      return *this;
    }
    ~Subscription() { Cancel(); }

    void Cancel() {
      if (bus_ != nullptr) std::exchange(bus_, nullptr)->Remove(id_);
    }

   private:
    friend class ModelEventBus;
    Subscription(ModelEventBus* bus, uint64_t id) : bus_(bus), id_(id) {}
    ModelEventBus* bus_ = nullptr;
    uint64_t id_ = 0;
  };

  ModelEventBus() = default;
  ModelEventBus(const ModelEventBus&) = delete;
  ModelEventBus& operator=(const ModelEventBus&) = delete;

  // `current`, when given, returns the events that bring a new listener up
  // to date (each version's present state, from UNKNOWN); they are passed
  // to `listener` alone before it is added.
  [[nodiscard]] Subscription Subscribe(
      ModelStateListener listener,
      const std::function<std::vector<ModelStateEvent>()>& current = nullptr)
      ADLIK_EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    if (current) {
      for (const ModelStateEvent& e : current()) listener(e);
    }
    listeners_.emplace(++last_id_, std::move(listener));
    return Subscription(this, last_id_);
  }

  void Publish(const ModelStateEvent& event) ADLIK_EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    for (auto& [id, listener] : listeners_) listener(event);
  }

 private:
  void Remove(uint64_t id) ADLIK_EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    listeners_.erase(id);
  }

  Mutex mu_;
  uint64_t last_id_ ADLIK_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, ModelStateListener> listeners_ ADLIK_GUARDED_BY(mu_);
};

}  // namespace adlik

#endif  // ADLIK_BASE_MODEL_EVENT_BUS_H_
