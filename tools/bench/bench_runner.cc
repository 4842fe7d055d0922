#include "bench_runner.h"

#include <atomic>
#include <barrier>
#include <chrono>
#include <mutex>
#include <thread>

namespace adlik::bench {
namespace {

using Clock = std::chrono::steady_clock;

// The share of `total` that worker `w` of `n` takes.
int Share(int total, int w, int n) {
  return total / n + (w < total % n ? 1 : 0);
}

}  // namespace

Status RunBenchmark(InferTarget& target, const std::vector<InputSet>& sets,
                    const RunOptions& options, size_t first_set,
                    RunSamples* samples) {
  if (sets.empty()) return InvalidArgument("no input sets");
  if (options.iterations < 1)
    return InvalidArgument("--iterations must be >= 1");
  if (options.warmup < 0) return InvalidArgument("--warmup must be >= 0");
  const int workers = std::max(1, options.concurrency);
  const size_t k = sets.size();

  std::vector<std::vector<double>> latencies(workers);
  std::atomic<bool> failed{false};
  std::mutex error_mu;
  Status error;
  auto fail = [&](const Status& s) {
    std::lock_guard<std::mutex> lock(error_mu);
    if (error.ok()) error = s.WithPrefix(target.name());
    failed = true;
  };
  Clock::time_point start;
  std::barrier warm(workers, [&]() noexcept { start = Clock::now(); });

  auto work = [&](int w) {
    size_t j = 0;
    auto next_set = [&]() -> const InputSet& {
      return sets[(first_set + static_cast<size_t>(w) +
                   j++ * static_cast<size_t>(workers)) %
                  k];
    };
    for (int i = 0, n = Share(options.warmup, w, workers); i < n && !failed;
         ++i) {
      const Status s = target.Infer(w, next_set(), nullptr);
      if (!s.ok()) fail(s);
    }
    warm.arrive_and_wait();
    const int n = Share(options.iterations, w, workers);
    latencies[w].reserve(static_cast<size_t>(n));
    for (int i = 0; i < n && !failed; ++i) {
      const InputSet& set = next_set();
      const auto t0 = Clock::now();
      const Status s = target.Infer(w, set, nullptr);
      const auto t1 = Clock::now();
      if (!s.ok()) {
        fail(s);
        break;
      }
      latencies[w].push_back(
          std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
  };
  std::vector<std::thread> threads;
  for (int w = 1; w < workers; ++w) threads.emplace_back(work, w);
  work(0);
  for (auto& t : threads) t.join();
  const auto end = Clock::now();
  if (failed) return error;

  for (auto& l : latencies) {
    samples->latencies_ms.insert(samples->latencies_ms.end(), l.begin(),
                                 l.end());
  }
  samples->wall_s += std::chrono::duration<double>(end - start).count();
  return Status::Ok();
}

}  // namespace adlik::bench
