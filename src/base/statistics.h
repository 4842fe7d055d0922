// Per model-version statistics as plain values: what the scheduler records
// and the server core hands to the front ends (KServe's statistics
// extension, Prometheus metrics).
//
// Thread-safety: plain values.
#ifndef ADLIK_BASE_STATISTICS_H_
#define ADLIK_BASE_STATISTICS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>

namespace adlik {

struct DurationStat {
  uint64_t count = 0;
  uint64_t ns = 0;
};

// A histogram of durations over fixed bounds (microseconds, upper bounds
// inclusive, as Prometheus' "le"): counts[i] is the number of durations in
// (kLatencyBoundsUs[i-1], kLatencyBoundsUs[i]]; the last count is those above
// every bound. Counts are per bucket, not cumulative.
inline constexpr std::array<uint64_t, 18> kLatencyBoundsUs = {
    25,    50,    100,    250,    500,    1000,    2500,    5000,    10000,
    25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

struct LatencyHistogram {
  std::array<uint64_t, kLatencyBoundsUs.size() + 1> counts = {};

  // The bucket of a duration.
  static size_t Bucket(uint64_t ns) {
    size_t i = 0;
    while (i < kLatencyBoundsUs.size() && ns > kLatencyBoundsUs[i] * 1000) ++i;
    return i;
  }
};

struct BatchStat {
  uint64_t batch_size = 0;
  DurationStat compute_input, compute_infer, compute_output;
};

struct StatisticsSnapshot {
  DurationStat success, fail, queue, compute_input, compute_infer,
      compute_output;
  uint64_t inference_count = 0;
  uint64_t execution_count = 0;
  uint64_t last_inference_ms = 0;
  std::map<uint64_t, BatchStat> batch_stats;  // by batch size
  // The distributions of `success` and `queue` durations.
  LatencyHistogram success_latency, queue_latency;
};

}  // namespace adlik

#endif  // ADLIK_BASE_STATISTICS_H_
