// Per model-version statistics as plain values: what the scheduler records
// and the server core hands to the front ends (KServe's statistics
// extension, Prometheus metrics).
//
// Thread-safety: plain values.
#ifndef ADLIK_BASE_STATISTICS_H_
#define ADLIK_BASE_STATISTICS_H_

#include <cstdint>
#include <map>

namespace adlik {

struct DurationStat {
  uint64_t count = 0;
  uint64_t ns = 0;
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
};

}  // namespace adlik

#endif  // ADLIK_BASE_STATISTICS_H_
