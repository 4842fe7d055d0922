// How a model's requests are queued and batched: the scheduler's reading of
// the config's max_batch_size and dynamic_batching, in plain values.
//
// Thread-safety: a value.
#ifndef ADLIK_SCHEDULER_BATCHING_POLICY_H_
#define ADLIK_SCHEDULER_BATCHING_POLICY_H_

#include <cstdint>
#include <map>
#include <vector>

namespace adlik {

// A queue holds at most this many requests when the config sets no
// max_queue_size, so that overload cannot grow memory without limit.
inline constexpr uint32_t kDefaultMaxQueueSize = 4096;

struct QueuePolicy {
  // What happens to a request still queued when its timeout passes: refused
  // with DEADLINE_EXCEEDED, or (delay) kept but moved behind every request
  // that has not timed out.
  bool reject_on_timeout = true;
  uint64_t default_timeout_us = 0;      // 0: no timeout
  bool allow_timeout_override = false;  // requests may set `timeout`
  uint32_t max_queue_size = 0;          // 0: kDefaultMaxQueueSize
};

struct BatchingPolicy {
  // false: every request runs on its own, in arrival order.
  bool dynamic_batching = false;
  int max_batch_size = 0;
  std::vector<int> preferred_batch_sizes;  // ascending
  uint64_t max_queue_delay_us = 0;
  // Answers leave in the order the requests arrived, even when instances
  // finish out of order.
  bool preserve_ordering = false;
  // 0: one level. Else levels 1 (highest) .. priority_levels.
  uint32_t priority_levels = 0;
  uint32_t default_priority_level = 0;
  QueuePolicy default_queue_policy;
  std::map<uint32_t, QueuePolicy> priority_queue_policy;  // by level
};

}  // namespace adlik

#endif  // ADLIK_SCHEDULER_BATCHING_POLICY_H_
