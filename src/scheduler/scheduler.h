// The per model-version scheduler: one BatchQueue, N instances, each
// instance on its own thread taking what the queue decides runs next.
//
//   Enqueue --> BatchQueue --> instance thread k: merge inputs (one copy into
//               contiguous batch buffers; none for a batch of one)
//                          --> Instance::Execute
//                          --> split outputs (views into the batch output,
//                              no copy) --> each request's done()
//
// A decoupled model's runtime may instead take over the answering of a
// request (host::Batch::responders): its responses then go, from any thread,
// to the request's `respond`, and `done` is never called.
//
// Without dynamic batching, a request that finds an instance idle and
// nothing queued runs at once on the thread that enqueued it (the front
// end's), saving the hand-over to an instance thread; the instance's own
// thread stands aside meanwhile. Only while the model's executions are
// measured short (a moving average within `inline_max_ns`): a request to a
// model not yet measured, or a slow one, never holds the caller's (an I/O)
// thread. The instance threads start when the first request has to wait in
// the queue, so a model that is never queued on (most of a large
// repository) costs no thread.
//
// The batching rules are BatchQueue's. Requests are validated by the server
// core before they are enqueued; the scheduler relies on their shapes and
// sizes being consistent with the model.
//
// Thread-safety: Enqueue and Wake may be called from any thread.
// Lifetime: the destructor lets every queued request run (delays are cut
// short), then joins the instance threads; the Instances are destroyed after
// that. `stats` and `clock` must outlive the scheduler. The destructor must
// not run on one of the scheduler's own threads.
#ifndef ADLIK_SCHEDULER_SCHEDULER_H_
#define ADLIK_SCHEDULER_SCHEDULER_H_

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/infer_request.h"
#include "base/mutex.h"
#include "runtime_host/engine.h"
#include "scheduler/batch_queue.h"
#include "scheduler/batching_policy.h"
#include "scheduler/model_statistics.h"

namespace adlik {

struct SchedulerOptions {
  std::string model_name;  // for log lines
  BatchingPolicy policy;
  ModelStatistics* stats = nullptr;    // not owned; required
  const Clock* clock = Clock::Real();  // not owned
  // Without dynamic batching, run a request on the caller's thread when an
  // instance is idle, nothing is queued and the recent executions took at
  // most `inline_max_ns` on average (see above).
  bool run_inline = true;
  uint64_t inline_max_ns = 1'000'000;
};

class Scheduler {
 public:
  Scheduler(SchedulerOptions options,
            std::vector<std::unique_ptr<host::Instance>> instances);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a validated request; `request->outputs` names every output to
  // return and `request->batch_size` is set. `done` is called exactly once:
  // at once when the queue refuses the request (full: UNAVAILABLE; bad
  // priority or timeout: INVALID_ARGUMENT), else from an instance thread.
  // With `respond` (a decoupled model's request) the runtime may take over
  // the answering: then `respond` gets its responses, each holding the
  // requested outputs in order, and `done` is not called. Statistics count
  // the request once either way.
  void Enqueue(std::unique_ptr<InferRequest> request, InferCallback done,
               ResponseCallback respond = nullptr);

  // Makes waiting instance threads decide again (after a FakeClock moved, or
  // a request was cancelled).
  void Wake();

  int instance_count() const { return static_cast<int>(instances_.size()); }
  // Requests waiting in the queue (not yet running).
  size_t pending() const;
  // Whether no instance is executing or claimed by a caller.
  bool idle() const;

 private:
  void Run(size_t index);
  // Wakes instance threads for queued work (all of them when some instance is
  // claimed by a caller, since a claimed one cannot take it).
  void NotifyWorkers() ADLIK_REQUIRES(mu_);
  // Starts the instance threads unless they run already.
  void StartThreads() ADLIK_REQUIRES(mu_);
  // Answers requests whose timeout passes while every instance is busy.
  void WatchDeadlines();
  void Execute(host::Instance* instance, std::vector<Pending> batch);
  // Answers one request, in arrival order when the policy asks for it.
  void Complete(Pending& p, StatusOr<InferResponse> result);
  // Lets the answers after a request the runtime answers itself leave.
  void Skip(Pending& p);

  const SchedulerOptions options_;
  std::vector<std::unique_ptr<host::Instance>> instances_;

  mutable Mutex mu_;
  std::condition_variable cv_;
  BatchQueue queue_ ADLIK_GUARDED_BY(mu_);
  bool stopping_ ADLIK_GUARDED_BY(mu_) = false;
  // Per instance: executing on its own thread, or claimed by a caller that
  // runs a request inline.
  std::vector<char> busy_ ADLIK_GUARDED_BY(mu_), claimed_ ADLIK_GUARDED_BY(mu_);
  int claimed_count_ ADLIK_GUARDED_BY(mu_) = 0;
  std::condition_variable deadline_cv_;
  // Moving average of the engine's execution time; kUnmeasured until the
  // first execution.
  static constexpr uint64_t kUnmeasured = ~uint64_t{0};
  std::atomic<uint64_t> average_execution_ns_{kUnmeasured};

  // preserve_ordering: answers waiting for an earlier one.
  Mutex order_mu_;
  uint64_t next_to_answer_ ADLIK_GUARDED_BY(order_mu_) = 0;
  std::map<uint64_t, std::pair<InferCallback, StatusOr<InferResponse>>> held_
      ADLIK_GUARDED_BY(order_mu_);

  // Started by the first request that waits in the queue; guarded by mu_
  // until the destructor joins them.
  std::vector<std::thread> threads_ ADLIK_GUARDED_BY(mu_);
  std::thread deadline_thread_;  // only when requests can time out
};

}  // namespace adlik

#endif  // ADLIK_SCHEDULER_SCHEDULER_H_
