#include "scheduler/scheduler.h"

#include <chrono>

#include "base/logging.h"

namespace adlik {

uint64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Scheduler::Scheduler(SchedulerOptions options,
                     std::vector<std::unique_ptr<Instance>> instances)
    : options_(std::move(options)), instances_(std::move(instances)) {
  threads_.reserve(instances_.size());
  for (auto& instance : instances_) {
    threads_.emplace_back([this, i = instance.get()] { Run(i); });
  }
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void Scheduler::Enqueue(std::unique_ptr<InferRequest> request,
                        InferCallback done) {
  Pending p{std::move(request), std::move(done), NowNs()};
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(p));
  }
  cv_.notify_one();
}

void Scheduler::Run(Instance* instance) {
  for (;;) {
    Pending p;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to run
      p = std::move(queue_.front());
      queue_.pop_front();
    }
    Execute(instance, std::move(p));
  }
}

void Scheduler::Execute(Instance* instance, Pending p) {
  InferRequest& req = *p.request;
  if (req.cancelled && req.cancelled->load(std::memory_order_relaxed)) {
    options_.stats->RecordFailure(NowNs() - p.arrival_ns);
    p.done(Cancelled("the client cancelled the request"));
    return;
  }
  const uint64_t start_ns = NowNs();
  std::vector<TensorView> inputs;
  inputs.reserve(req.inputs.size());
  for (const auto& in : req.inputs) inputs.push_back(in.view());
  std::vector<std::string> names;
  names.reserve(req.outputs.size());
  for (const auto& out : req.outputs) names.push_back(out.name);

  const uint64_t infer_start_ns = NowNs();
  std::vector<Tensor> produced;
  Status status = instance->Execute(inputs, names, &produced);
  const uint64_t infer_end_ns = NowNs();

  InferResponse response;
  if (status.ok()) {
    response.outputs.reserve(names.size());
    for (const std::string& name : names) {
      auto it = std::find_if(produced.begin(), produced.end(),
                             [&](const Tensor& t) { return t.name == name; });
      if (it == produced.end()) {
        status = Internal("the runtime did not produce output '" + name + "'");
        break;
      }
      response.outputs.push_back(std::move(*it));
    }
  }
  const uint64_t end_ns = NowNs();
  if (!status.ok()) {
    LOG(WARNING) << "model '" << options_.model_name
                 << "': execution failed: " << status.ToString();
    options_.stats->RecordFailure(end_ns - p.arrival_ns);
    p.done(status);
    return;
  }
  const uint64_t input_ns = infer_start_ns - start_ns;
  const uint64_t infer_ns = infer_end_ns - infer_start_ns;
  const uint64_t output_ns = end_ns - infer_end_ns;
  options_.stats->RecordExecution(req.batch_size, input_ns, infer_ns, output_ns);
  options_.stats->RecordSuccess(end_ns - p.arrival_ns, start_ns - p.arrival_ns,
                                input_ns, infer_ns, output_ns);
  p.done(std::move(response));
}

}  // namespace adlik
