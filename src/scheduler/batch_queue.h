// The queue of one model version and the decision of what runs next. Pure
// logic over explicit times, so that every batching rule is tested
// deterministically; the Scheduler adds the threads and the locking.
//
// Rules (Triton's dynamic batcher semantics):
//   - Requests wait in one FIFO per priority level (1 is highest); requests
//     whose timeout passed with the DELAY action wait behind all of them.
//   - Without dynamic batching every request runs on its own, in that order.
//   - With it, a batch is formed from the first request (the head) and the
//     requests after it whose non-batch shapes match the head's, in order,
//     while the sum of their batch sizes fits max_batch_size. Then:
//       1. if a prefix of it sums to a preferred batch size, the largest such
//          prefix runs now;
//       2. else if it is full (max_batch_size), it runs now;
//       3. else if the head has waited max_queue_delay, it runs now;
//       4. else nothing runs until the head's delay ends or more requests
//          arrive.
//   - A request whose client went away (InferRequest::cancelled) is answered
//     CANCELLED and never runs; one past its timeout is answered
//     DEADLINE_EXCEEDED (REJECT) or moved behind the others (DELAY).
//   - A full queue refuses at once with UNAVAILABLE.
//
// Thread-safety: none; the owner locks.
#ifndef ADLIK_SCHEDULER_BATCH_QUEUE_H_
#define ADLIK_SCHEDULER_BATCH_QUEUE_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "base/infer_request.h"
#include "scheduler/batching_policy.h"

namespace adlik {

// A request waiting to run, with its completion.
struct Pending {
  std::unique_ptr<InferRequest> request;
  InferCallback done;
  // A decoupled model's request: where the runtime's own responses go once
  // it takes over the answering (`done` is then not called). Empty else.
  ResponseCallback respond;
  uint64_t arrival_ns = 0;
  uint64_t deadline_ns = 0;        // 0: none
  uint64_t sequence = 0;           // arrival order, for preserve_ordering
  uint32_t level = 0;              // index into the level queues
  std::vector<int64_t> shape_key;  // names and non-batch dims of the inputs
};

class BatchQueue {
 public:
  explicit BatchQueue(BatchingPolicy policy);

  // Queues `*pending` (taking it) or refuses it: UNAVAILABLE when its level
  // is full, INVALID_ARGUMENT for a priority outside the levels or a timeout
  // the policy does not allow. On refusal `*pending` is left as it was.
  Status Push(Pending* pending, uint64_t now_ns);

  struct Decision {
    std::vector<Pending> batch;  // run these together now (may be empty)
    // Answer these with the status, without running them.
    std::vector<std::pair<Pending, Status>> refused;
    // When `batch` is empty and requests wait: decide again at this time
    // (or when a request arrives). 0: nothing is waiting for time.
    uint64_t wake_at_ns = 0;
  };

  // Decides what runs at `now_ns`. With `flush` every delay counts as over
  // (used when stopping, so that queued requests still run).
  Decision Next(uint64_t now_ns, bool flush = false);

  // Answers for the requests whose timeout passed by `now_ns` (REJECT), and
  // moves the DELAY ones behind the others. Next() does this too; this lets
  // a timer do it while every instance is busy.
  std::vector<std::pair<Pending, Status>> Expire(uint64_t now_ns);
  // The earliest timeout of a queued request; UINT64_MAX when none.
  uint64_t earliest_deadline_ns() const { return earliest_deadline_ns_; }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  const QueuePolicy& PolicyOf(uint32_t level) const;
  void SweepTimeouts(uint64_t now_ns, Decision* d);
  // The queues in the order they are served: levels, then the delayed one.
  std::deque<Pending>& Queue(size_t i) {
    return i < levels_.size() ? levels_[i] : delayed_;
  }
  size_t QueueCount() const { return levels_.size() + 1; }

  const BatchingPolicy policy_;
  std::vector<std::deque<Pending>> levels_;
  std::deque<Pending> delayed_;
  size_t size_ = 0;
  uint64_t next_sequence_ = 0;
  uint64_t earliest_deadline_ns_ = UINT64_MAX;
};

}  // namespace adlik

#endif  // ADLIK_SCHEDULER_BATCH_QUEUE_H_
