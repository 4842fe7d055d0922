#include "scheduler/scheduler.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "adlik/bytes_tensor.h"
#include "base/logging.h"

namespace adlik {
namespace {

const InferInput* FindInput(const InferRequest& r, std::string_view name) {
  for (const auto& in : r.inputs)
    if (in.name == name) return &in;
  return nullptr;
}

// Merges the requests' inputs into one contiguous tensor per input.
std::vector<InferInput> MergeInputs(const std::vector<Pending>& batch,
                                    int64_t total) {
  const InferRequest& first = *batch[0].request;
  std::vector<InferInput> merged(first.inputs.size());
  for (size_t i = 0; i < first.inputs.size(); ++i) {
    InferInput& m = merged[i];
    m.name = first.inputs[i].name;
    m.type = first.inputs[i].type;
    m.shape = first.inputs[i].shape;
    m.shape[0] = total;
    size_t bytes = 0;
    for (const Pending& p : batch)
      bytes += FindInput(*p.request, m.name)->byte_size;
    m.owned.resize(bytes);
    size_t offset = 0;
    for (const Pending& p : batch) {
      const InferInput* in = FindInput(*p.request, m.name);
      if (in->byte_size)
        std::memcpy(m.owned.data() + offset, in->data, in->byte_size);
      offset += in->byte_size;
    }
    m.UseOwned();
  }
  return merged;
}

// Rows [row, row + rows) of a batch output, as a view sharing its buffer.
StatusOr<Tensor> SliceRows(const Tensor& t, int64_t total, int64_t row,
                           int64_t rows) {
  if (t.shape.empty() || t.shape[0] != total) {
    return Internal("output '" + t.name + "' of a batch of " +
                    std::to_string(total) +
                    " does not have the batch as its first dimension");
  }
  Tensor s;
  s.name = t.name;
  s.type = t.type;
  s.shape = t.shape;
  s.shape[0] = rows;
  s.holder = t.holder;
  if (t.type != DataType::kBytes) {
    const size_t row_bytes =
        total ? t.byte_size / static_cast<size_t>(total) : 0;
    s.data = t.data + row_bytes * row;
    s.byte_size = row_bytes * rows;
    return s;
  }
  const int64_t per_row = total ? ElementCount(t.shape) / total : 0;
  ASSIGN_OR_RETURN(auto elements, SplitBytesElements({t.data, t.byte_size},
                                                     ElementCount(t.shape)));
  if (rows == 0 || per_row == 0) {
    s.data = t.data;
    s.byte_size = 0;
    return s;
  }
  const char* begin = elements[row * per_row].data() - 4;
  const std::string_view last = elements[(row + rows) * per_row - 1];
  s.data = begin;
  s.byte_size = static_cast<size_t>(last.data() + last.size() - begin);
  return s;
}

// The runtime's side of a decoupled request's answering: picks the requested
// outputs of each response, drops what comes after the client has gone, and
// counts the request in the statistics when it ends.
class RequestResponder : public host::Responder {
 public:
  RequestResponder(const Pending& p, ModelStatistics* stats, const Clock* clock)
      : respond_(p.respond),
        cancelled_(p.request->cancelled),
        stats_(stats),
        clock_(clock),
        received_ns_(p.request->received_ns != 0 ? p.request->received_ns
                                                 : p.arrival_ns) {
    outputs_.reserve(p.request->outputs.size());
    for (const auto& out : p.request->outputs) outputs_.push_back(out.name);
  }

  Status Send(std::optional<StatusOr<std::vector<Tensor>>> response,
              bool final) override {
    if (ended_) return InvalidArgument("the request has ended already");
    if (cancelled_ != nullptr && cancelled_->load()) {
      if (!final) return Cancelled("the client has gone");
      response.reset();
      failed_ = true;
    }
    std::optional<StatusOr<InferResponse>> answer;
    if (response) {
      answer = Select(std::move(*response));
      failed_ |= !answer->ok();
    }
    if (final) {
      ended_ = true;
      const uint64_t total_ns = clock_->NowNs() - received_ns_;
      if (failed_) {
        stats_->RecordFailure(total_ns);
      } else {
        stats_->RecordSuccess(total_ns);
      }
    }
    respond_(std::move(answer), final);
    return Status::Ok();
  }

 private:
  // The requested outputs, in the order requested.
  StatusOr<InferResponse> Select(StatusOr<std::vector<Tensor>> produced) {
    if (!produced.ok()) return produced.status();
    InferResponse r;
    r.outputs.reserve(outputs_.size());
    for (const std::string& name : outputs_) {
      auto it = std::find_if(produced->begin(), produced->end(),
                             [&](const Tensor& t) { return t.name == name; });
      if (it == produced->end()) {
        return Internal("a response of the runtime has no output '" + name +
                        "'");
      }
      r.outputs.push_back(std::move(*it));
    }
    return r;
  }

  const ResponseCallback respond_;
  const std::shared_ptr<std::atomic<bool>> cancelled_;
  ModelStatistics* const stats_;
  const Clock* const clock_;
  const uint64_t received_ns_;
  std::vector<std::string> outputs_;
  bool failed_ = false;  // an error was sent (or the client went)
  bool ended_ = false;
};

}  // namespace

Scheduler::Scheduler(SchedulerOptions options,
                     std::vector<std::unique_ptr<host::Instance>> instances)
    : options_(std::move(options)),
      instances_(std::move(instances)),
      queue_(options_.policy),
      busy_(instances_.size(), 0),
      claimed_(instances_.size(), 0) {
  auto can_time_out = [](const QueuePolicy& q) {
    return q.default_timeout_us > 0 || q.allow_timeout_override;
  };
  bool timeouts = can_time_out(options_.policy.default_queue_policy);
  for (const auto& [level, q] : options_.policy.priority_queue_policy)
    timeouts |= can_time_out(q);
  if (timeouts) deadline_thread_ = std::thread([this] { WatchDeadlines(); });
}

void Scheduler::WatchDeadlines() {
  MutexLock lock(&mu_);
  while (!stopping_) {
    const uint64_t now = options_.clock->NowNs();
    auto refused = queue_.Expire(now);
    if (!refused.empty()) {
      lock.Unlock();
      for (auto& [p, status] : refused) {
        options_.stats->RecordFailure(options_.clock->NowNs() - p.arrival_ns);
        Complete(p, status);
      }
      lock.Lock();
      continue;
    }
    const uint64_t deadline = queue_.earliest_deadline_ns();
    if (deadline == UINT64_MAX) {
      lock.Wait(deadline_cv_);
    } else if (deadline > now) {
      lock.WaitFor(deadline_cv_, std::chrono::nanoseconds(deadline - now));
    }
  }
}

Scheduler::~Scheduler() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  deadline_cv_.notify_all();
  if (deadline_thread_.joinable()) deadline_thread_.join();
  for (auto& t : threads_) t.join();
}

size_t Scheduler::pending() const {
  MutexLock lock(&mu_);
  return queue_.size();
}

bool Scheduler::idle() const {
  MutexLock lock(&mu_);
  return claimed_count_ == 0 &&
         std::find(busy_.begin(), busy_.end(), 1) == busy_.end();
}

void Scheduler::Wake() {
  { MutexLock lock(&mu_); }
  cv_.notify_all();
  deadline_cv_.notify_all();
}

void Scheduler::StartThreads() {
  if (!threads_.empty()) return;
  threads_.reserve(instances_.size());
  for (size_t i = 0; i < instances_.size(); ++i) {
    threads_.emplace_back([this, i] { Run(i); });
  }
}

void Scheduler::NotifyWorkers() {
  if (claimed_count_ > 0) {
    cv_.notify_all();
  } else {
    cv_.notify_one();
  }
}

void Scheduler::Enqueue(std::unique_ptr<InferRequest> request,
                        InferCallback done, ResponseCallback respond) {
  Pending p;
  p.request = std::move(request);
  p.done = std::move(done);
  p.respond = std::move(respond);
  Status s;
  MutexLock lock(&mu_);
  s = stopping_ ? Unavailable("the model is being unloaded")
                : queue_.Push(&p, options_.clock->NowNs());
  if (!s.ok()) {
    lock.Unlock();
    options_.stats->RecordFailure(0);
    p.done(s);
    return;
  }
  // Run inline when nothing waits ahead and an instance is idle.
  size_t idle = instances_.size();
  if (options_.run_inline && !options_.policy.dynamic_batching &&
      queue_.size() == 1 &&
      average_execution_ns_.load(std::memory_order_relaxed) <=
          options_.inline_max_ns) {
    for (size_t i = 0; i < instances_.size(); ++i) {
      if (!busy_[i] && !claimed_[i]) {
        idle = i;
        break;
      }
    }
  }
  if (idle == instances_.size()) {
    StartThreads();
    NotifyWorkers();
    lock.Unlock();
    if (deadline_thread_.joinable()) deadline_cv_.notify_one();
    return;
  }
  BatchQueue::Decision d = queue_.Next(options_.clock->NowNs());
  claimed_[idle] = 1;
  ++claimed_count_;
  lock.Unlock();
  for (auto& [r, status] : d.refused) {
    options_.stats->RecordFailure(options_.clock->NowNs() - r.arrival_ns);
    Complete(r, status);
  }
  if (!d.batch.empty()) Execute(instances_[idle].get(), std::move(d.batch));
  lock.Lock();
  claimed_[idle] = 0;
  --claimed_count_;
  if (!queue_.empty() || stopping_) cv_.notify_all();
}

void Scheduler::Run(size_t index) {
  host::Instance* instance = instances_[index].get();
  MutexLock lock(&mu_);
  for (;;) {
    if (stopping_ && queue_.empty() && !claimed_[index]) return;
    if (claimed_[index]) {  // a caller runs a request on this instance
      lock.Wait(cv_);
      continue;
    }
    const uint64_t now = options_.clock->NowNs();
    BatchQueue::Decision d = queue_.Next(now, /*flush=*/stopping_);
    if (!d.batch.empty() || !d.refused.empty()) {
      busy_[index] = 1;
      // Another instance may take what is left while this one works.
      if (!queue_.empty()) NotifyWorkers();
      lock.Unlock();
      for (auto& [p, status] : d.refused) {
        options_.stats->RecordFailure(options_.clock->NowNs() - p.arrival_ns);
        Complete(p, status);
      }
      if (!d.batch.empty()) Execute(instance, std::move(d.batch));
      lock.Lock();
      busy_[index] = 0;
      continue;
    }
    if (d.wake_at_ns > now) {
      lock.WaitFor(cv_, std::chrono::nanoseconds(d.wake_at_ns - now));
    } else {
      lock.Wait(cv_);
    }
  }
}

void Scheduler::Execute(host::Instance* instance, std::vector<Pending> batch) {
  const Clock& clock = *options_.clock;
  const uint64_t start_ns = clock.NowNs();
  int64_t total = 0;
  for (const Pending& p : batch) total += p.request->batch_size;

  // Inputs: a batch of one runs on the request's own buffers.
  std::vector<InferInput> merged;
  if (batch.size() > 1) merged = MergeInputs(batch, total);
  const std::vector<InferInput>& inputs =
      batch.size() > 1 ? merged : batch[0].request->inputs;
  std::vector<TensorView> views;
  views.reserve(inputs.size());
  for (const auto& in : inputs) views.push_back(in.view());
  // Outputs: every one any request of the batch asks for.
  std::vector<std::string> names;
  for (const Pending& p : batch) {
    for (const auto& out : p.request->outputs) {
      if (std::find(names.begin(), names.end(), out.name) == names.end())
        names.push_back(out.name);
    }
  }

  std::vector<int64_t> rows;
  rows.reserve(batch.size());
  for (const Pending& p : batch) rows.push_back(p.request->batch_size);

  // A decoupled model's requests, for the runtime to answer itself.
  std::vector<std::shared_ptr<host::Responder>> responders;
  if (batch[0].respond) {
    responders.reserve(batch.size());
    for (const Pending& p : batch) {
      responders.push_back(std::make_shared<RequestResponder>(p, options_.stats,
                                                              options_.clock));
    }
  }

  const uint64_t infer_start_ns = clock.NowNs();
  host::BatchResult result;
  // A batch of one request may have its outputs written where it asks.
  std::vector<host::OutputBuffer> buffers;
  if (batch.size() == 1) {
    for (const auto& out : batch[0].request->outputs) {
      if (out.buffer != nullptr && out.classification == 0)
        buffers.push_back({out.name, out.buffer, out.buffer_size});
    }
  }
  Status status =
      instance->Execute({views, names, rows, responders, buffers}, &result);
  const uint64_t infer_end_ns = clock.NowNs();
  const std::vector<Tensor>& produced = result.outputs;
  // A request the runtime failed alone is answered with its error.
  std::vector<Status> failed = std::move(result.request_errors);
  failed.resize(batch.size());
  // A request the runtime answers itself is left to its responder.
  std::vector<char> taken = std::move(result.taken_over);
  taken.resize(batch.size());

  std::vector<InferResponse> responses(batch.size());
  int64_t row = 0;
  for (size_t k = 0; status.ok() && k < batch.size(); ++k) {
    const InferRequest& req = *batch[k].request;
    for (const auto& out : req.outputs) {
      if (!failed[k].ok() || taken[k]) break;
      auto it =
          std::find_if(produced.begin(), produced.end(),
                       [&](const Tensor& t) { return t.name == out.name; });
      if (it == produced.end()) {
        status =
            Internal("the runtime did not produce output '" + out.name + "'");
        break;
      }
      if (batch.size() == 1) {
        responses[k].outputs.push_back(*it);
        continue;
      }
      auto slice = SliceRows(*it, total, row, req.batch_size);
      if (!slice.ok()) {
        status = slice.status();
        break;
      }
      responses[k].outputs.push_back(std::move(slice).value());
    }
    row += req.batch_size;
  }
  const uint64_t end_ns = clock.NowNs();
  if (!status.ok()) {
    // A batch of one request names it.
    LOG(WARNING)
            .Model(options_.model_name)
            .RequestId(batch.size() == 1 ? batch[0].request->id : "")
        << "execution failed: " << status.ToString();
    for (size_t k = 0; k < batch.size(); ++k) {
      if (taken[k]) {
        Skip(batch[k]);
        continue;
      }
      options_.stats->RecordFailure(end_ns - batch[k].arrival_ns);
      Complete(batch[k], failed[k].ok() ? status : failed[k]);
    }
    return;
  }
  const uint64_t input_ns = infer_start_ns - start_ns;
  const uint64_t infer_ns = infer_end_ns - infer_start_ns;
  const uint64_t output_ns = end_ns - infer_end_ns;
  options_.stats->RecordExecution(total, input_ns, infer_ns, output_ns);
  const uint64_t average = average_execution_ns_.load();
  average_execution_ns_.store(
      average == kUnmeasured ? infer_ns : average - average / 8 + infer_ns / 8,
      std::memory_order_relaxed);
  for (size_t k = 0; k < batch.size(); ++k) {
    Pending& p = batch[k];
    if (!failed[k].ok() && !taken[k]) {
      options_.stats->RecordFailure(end_ns - p.arrival_ns);
      Complete(p, failed[k]);
      continue;
    }
    options_.stats->RecordCompute(start_ns - p.arrival_ns, input_ns, infer_ns,
                                  output_ns);
    if (taken[k]) {
      Skip(p);
      continue;
    }
    responses[k].timestamps = {p.arrival_ns, start_ns, infer_start_ns,
                               infer_end_ns, end_ns};
    Complete(p, std::move(responses[k]));
  }
}

void Scheduler::Skip(Pending& p) {
  if (!options_.policy.preserve_ordering) return;
  p.done = [](StatusOr<InferResponse>) {};
  Complete(p, InferResponse());
}

void Scheduler::Complete(Pending& p, StatusOr<InferResponse> result) {
  if (!options_.policy.preserve_ordering) {
    p.done(std::move(result));
    return;
  }
  std::vector<std::pair<InferCallback, StatusOr<InferResponse>>> ready;
  {
    MutexLock lock(&order_mu_);
    held_.emplace(p.sequence,
                  std::make_pair(std::move(p.done), std::move(result)));
    for (auto it = held_.begin();
         it != held_.end() && it->first == next_to_answer_;
         it = held_.erase(it), ++next_to_answer_) {
      ready.push_back(std::move(it->second));
    }
    // Answered under the lock, so that no later answer overtakes them.
    for (auto& [done, r] : ready) done(std::move(r));
  }
}

}  // namespace adlik
