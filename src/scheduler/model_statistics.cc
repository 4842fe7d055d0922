#include "scheduler/model_statistics.h"

#include <chrono>

namespace adlik {
namespace {
uint64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
void Add(DurationStat* d, uint64_t ns) {
  d->count++;
  d->ns += ns;
}
}  // namespace

void ModelStatistics::RecordCompute(uint64_t queue_ns, uint64_t input_ns,
                                    uint64_t infer_ns, uint64_t output_ns) {
  queue_.Add(queue_ns);
  queue_latency_.Add(queue_ns);
  input_.Add(input_ns);
  infer_.Add(infer_ns);
  output_.Add(output_ns);
}

void ModelStatistics::RecordSuccess(uint64_t total_ns) {
  success_.Add(total_ns);
  success_latency_.Add(total_ns);
  last_inference_ms_.store(NowMs(), std::memory_order_relaxed);
}

void ModelStatistics::RecordFailure(uint64_t total_ns) {
  fail_.Add(total_ns);
  last_inference_ms_.store(NowMs(), std::memory_order_relaxed);
}

void ModelStatistics::RecordExecution(uint64_t batch_size, uint64_t input_ns,
                                      uint64_t infer_ns, uint64_t output_ns) {
  inference_count_.fetch_add(batch_size, std::memory_order_relaxed);
  execution_count_.fetch_add(1, std::memory_order_relaxed);
  MutexLock lock(&mu_);
  BatchStat& b = batch_stats_[batch_size];
  b.batch_size = batch_size;
  Add(&b.compute_input, input_ns);
  Add(&b.compute_infer, infer_ns);
  Add(&b.compute_output, output_ns);
}

StatisticsSnapshot ModelStatistics::Snapshot() const {
  StatisticsSnapshot s;
  s.success = success_.Load();
  s.fail = fail_.Load();
  s.queue = queue_.Load();
  s.compute_input = input_.Load();
  s.compute_infer = infer_.Load();
  s.compute_output = output_.Load();
  s.inference_count = inference_count_.load(std::memory_order_relaxed);
  s.execution_count = execution_count_.load(std::memory_order_relaxed);
  s.success_latency = success_latency_.Load();
  s.queue_latency = queue_latency_.Load();
  s.last_inference_ms = last_inference_ms_.load(std::memory_order_relaxed);
  MutexLock lock(&mu_);
  s.batch_stats = batch_stats_;
  return s;
}

}  // namespace adlik
