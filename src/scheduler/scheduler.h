// The per model-version scheduler: one queue, N instances, each instance
// running on its own thread and taking the next request from the queue.
//
//   Enqueue(request) --> queue --> instance thread k:
//                                    Instance::Execute(inputs) --> done(response)
//
// Each request runs as its own batch, its buffers handed to the runtime as
// they are (no copy). A request whose client has gone (`cancelled` set) is
// dropped when it reaches the front of the queue and answered CANCELLED.
//
// Thread-safety: Enqueue may be called from any thread.
// Lifetime: the destructor lets every queued request run, then joins the
// instance threads; Instances are destroyed after that. `stats` must outlive
// the scheduler.
#ifndef ADLIK_SCHEDULER_SCHEDULER_H_
#define ADLIK_SCHEDULER_SCHEDULER_H_

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adlik/runtime.h"
#include "base/infer_request.h"
#include "scheduler/model_statistics.h"

namespace adlik {

struct SchedulerOptions {
  std::string model_name;            // for log lines
  ModelStatistics* stats = nullptr;  // not owned; required
};

class Scheduler {
 public:
  Scheduler(SchedulerOptions options,
            std::vector<std::unique_ptr<Instance>> instances);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a validated request. `done` is called exactly once, from an
  // instance thread. `request->outputs` names every output to return.
  void Enqueue(std::unique_ptr<InferRequest> request, InferCallback done);

  int instance_count() const { return static_cast<int>(instances_.size()); }

 private:
  struct Pending {
    std::unique_ptr<InferRequest> request;
    InferCallback done;
    uint64_t arrival_ns;
  };

  void Run(Instance* instance);
  void Execute(Instance* instance, Pending pending);

  const SchedulerOptions options_;
  std::vector<std::unique_ptr<Instance>> instances_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;  // guarded by mu_
  bool stopping_ = false;      // guarded by mu_

  std::vector<std::thread> threads_;  // last: started after everything else
};

// Monotonic nanoseconds.
uint64_t NowNs();

}  // namespace adlik

#endif  // ADLIK_SCHEDULER_SCHEDULER_H_
