// Per model-version inference statistics, as the KServe/Triton statistics
// extension defines them:
//   success / fail   requests, with their total time from the moment the
//                    front end parsed their bytes to the moment the answer
//                    was handed to the transport
//   queue            time requests waited before execution
//   compute_input / compute_infer / compute_output
//                    per request: the time of the execution it was part of
//                    (merging inputs, running the engine, splitting outputs)
//   inference_count  batch elements inferred (a request of batch 4 counts 4)
//   execution_count  engine executions (one per batch formed)
//   batch_stats      per formed batch size: executions and compute times
//   success_latency, queue_latency
//                    histograms of the success and queue durations
//                    (base/statistics.h's LatencyHistogram)
//   last_inference   wall-clock milliseconds since the epoch of the last answer
//
// Thread-safety: all methods are safe from any thread; counters (histogram
// buckets included) are atomics and the per-batch-size map has its own lock.
// A snapshot taken while requests complete may see a request in one counter
// and not yet in another.
#ifndef ADLIK_SCHEDULER_MODEL_STATISTICS_H_
#define ADLIK_SCHEDULER_MODEL_STATISTICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>

#include "base/mutex.h"
#include "base/statistics.h"

namespace adlik {

class ModelStatistics {
 public:
  // One request executed: the time it queued, and that of the execution it
  // was part of (recorded by the scheduler).
  void RecordCompute(uint64_t queue_ns, uint64_t input_ns, uint64_t infer_ns,
                     uint64_t output_ns);
  // One request answered successfully, `total_ns` from the moment its bytes
  // were parsed to the moment its response was handed to the transport
  // (recorded by the server core, when the front end says so).
  void RecordSuccess(uint64_t total_ns);
  // One request that failed (validation, queue full, engine error, ...).
  void RecordFailure(uint64_t total_ns);
  // One engine execution of `batch_size` elements.
  void RecordExecution(uint64_t batch_size, uint64_t input_ns,
                       uint64_t infer_ns, uint64_t output_ns);

  StatisticsSnapshot Snapshot() const;

 private:
  struct AtomicDuration {
    std::atomic<uint64_t> count{0}, ns{0};
    void Add(uint64_t d) {
      count.fetch_add(1, std::memory_order_relaxed);
      ns.fetch_add(d, std::memory_order_relaxed);
    }
    DurationStat Load() const {
      return {count.load(std::memory_order_relaxed),
              ns.load(std::memory_order_relaxed)};
    }
  };
  struct AtomicHistogram {
    std::array<std::atomic<uint64_t>, kLatencyBoundsUs.size() + 1> counts{};
    void Add(uint64_t ns) {
      counts[LatencyHistogram::Bucket(ns)].fetch_add(1,
                                                     std::memory_order_relaxed);
    }
    LatencyHistogram Load() const {
      LatencyHistogram h;
      for (size_t i = 0; i < counts.size(); ++i)
        h.counts[i] = counts[i].load(std::memory_order_relaxed);
      return h;
    }
  };
  AtomicDuration success_, fail_, queue_, input_, infer_, output_;
  AtomicHistogram success_latency_, queue_latency_;
  std::atomic<uint64_t> inference_count_{0}, execution_count_{0},
      last_inference_ms_{0};
  mutable Mutex mu_;
  std::map<uint64_t, BatchStat> batch_stats_ ADLIK_GUARDED_BY(mu_);
};

}  // namespace adlik

#endif  // ADLIK_SCHEDULER_MODEL_STATISTICS_H_
