#include "lifecycle/load_executor.h"

#include <algorithm>
#include <condition_variable>
#include <optional>
#include <string>
#include <thread>

#include "base/mutex.h"

namespace adlik {

LoadExecutor::LoadExecutor(ModelLoader loader, int threads,
                           std::chrono::milliseconds timeout)
    : loader_(std::move(loader)),
      threads_(static_cast<size_t>(std::max(1, threads))),
      timeout_(timeout) {}

std::vector<StatusOr<std::shared_ptr<ServedModel>>> LoadExecutor::Run(
    const std::vector<LoadJob>& jobs) const {
  // The load threads share `shared` (never Run's stack, which a load given
  // up may outlive).
  struct Shared {
    Mutex mu;
    std::condition_variable cv;
    std::vector<std::optional<StatusOr<std::shared_ptr<ServedModel>>>> results
        ADLIK_GUARDED_BY(mu);
  };
  using Clock = std::chrono::steady_clock;
  const size_t n = jobs.size();
  auto shared = std::make_shared<Shared>();
  std::vector<std::optional<StatusOr<std::shared_ptr<ServedModel>>>> out(n);
  std::vector<Clock::time_point> deadline(n);
  size_t next = 0, running = 0, done = 0;
  MutexLock lock(&shared->mu);
  shared->results.resize(n);
  while (done < n) {
    for (; running < threads_ && next < n; ++next, ++running) {
      deadline[next] = Clock::now() + timeout_;
      std::thread([shared, i = next, loader = loader_, job = jobs[next]] {
        auto result = loader(job.snapshot, job.version, job.config, job.stats);
        MutexLock lock(&shared->mu);
        shared->results[i] = std::move(result);
        shared->cv.notify_all();
      }).detach();
    }
    Clock::time_point earliest = Clock::time_point::max();
    for (size_t i = 0; i < next; ++i) {
      if (out[i]) continue;
      if (shared->results[i]) {
        out[i] = std::move(*shared->results[i]);
        shared->results[i].reset();
      } else if (timeout_.count() > 0 && Clock::now() >= deadline[i]) {
        out[i] = Unavailable(
            "loading did not finish within " +
            std::to_string(timeout_.count() / 1000) +
            " s (--model_load_timeout_seconds); the load was abandoned");
      } else {
        if (timeout_.count() > 0) earliest = std::min(earliest, deadline[i]);
        continue;
      }
      ++done;
      --running;
    }
    if (done == n || (running < threads_ && next < n)) continue;
    if (earliest == Clock::time_point::max()) {
      lock.Wait(shared->cv);
    } else {
      lock.WaitUntil(shared->cv, earliest);
    }
  }
  std::vector<StatusOr<std::shared_ptr<ServedModel>>> results;
  results.reserve(n);
  for (auto& r : out) results.push_back(std::move(*r));
  return results;
}

}  // namespace adlik
