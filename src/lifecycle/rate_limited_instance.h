// An Instance that executes only while it holds the resources of its
// instance group's `rate_limiter` (scheduler/rate_limiter.h): each Execute
// waits for them, on the instance's thread, and gives them back when the
// runtime returns.
//
// Thread-safety: as host::Instance (Execute never concurrent on one).
// Ownership: owns the wrapped instance and its registration; shares the
// limiter, which outlives it.
#ifndef ADLIK_LIFECYCLE_RATE_LIMITED_INSTANCE_H_
#define ADLIK_LIFECYCLE_RATE_LIMITED_INSTANCE_H_

#include <memory>

#include "runtime_host/engine.h"
#include "scheduler/rate_limiter.h"

namespace adlik {

class RateLimitedInstance : public host::Instance {
 public:
  RateLimitedInstance(std::unique_ptr<host::Instance> inner,
                      std::shared_ptr<RateLimiter> limiter,
                      std::unique_ptr<RateLimiter::Client> client)
      : inner_(std::move(inner)),
        limiter_(std::move(limiter)),
        client_(std::move(client)) {}

  Status Execute(const host::Batch& batch, host::BatchResult* result) override {
    limiter_->Acquire(client_.get());
    Status s = inner_->Execute(batch, result);
    limiter_->Release(client_.get());
    return s;
  }

 private:
  std::unique_ptr<host::Instance> inner_;
  std::shared_ptr<RateLimiter> limiter_;  // before client_: outlives it
  std::unique_ptr<RateLimiter::Client> client_;
};

}  // namespace adlik

#endif  // ADLIK_LIFECYCLE_RATE_LIMITED_INSTANCE_H_
