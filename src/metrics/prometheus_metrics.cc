#include "metrics/prometheus_metrics.h"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <limits>
#include <vector>

namespace adlik {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Family(const char* name, const char* help, MetricType type) {
  MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

ClientMetric Labelled(const ModelStatsEntry& e) {
  ClientMetric m;
  m.label = {{"model", e.name}, {"version", e.version}};
  return m;
}

// A LatencyHistogram as a Prometheus histogram in microseconds.
ClientMetric Latency(const ModelStatsEntry& e, const LatencyHistogram& h,
                     const DurationStat& total) {
  ClientMetric m = Labelled(e);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kLatencyBoundsUs.size(); ++i) {
    cumulative += h.counts[i];
    m.histogram.bucket.push_back({cumulative, double(kLatencyBoundsUs[i])});
  }
  cumulative += h.counts.back();
  m.histogram.bucket.push_back(
      {cumulative, std::numeric_limits<double>::infinity()});
  // The count is the buckets' (read at nearly the same moment as `total`).
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = total.ns / 1e3;
  return m;
}

constexpr ModelState kStates[] = {ModelState::kLoading, ModelState::kReady,
                                  ModelState::kUnloading,
                                  ModelState::kUnavailable};

}  // namespace

PrometheusMetrics::PrometheusMetrics(ServerCore* core)
    : core_(core),
      subscription_(core->SubscribeModelStates(
          [this](const ModelStateEvent& e) { OnModelState(e); })) {}

void PrometheusMetrics::OnModelState(const ModelStateEvent& e) {
  if (e.version == 0) return;
  MutexLock lock(&mu_);
  if (e.new_state == ModelState::kUnknown) {
    states_.erase({e.name, e.version});
    return;
  }
  states_[{e.name, e.version}] = e.new_state;
  // A replayed state (from UNKNOWN) is counted as the change that made it.
  if (e.new_state != e.old_state) ++changes_[static_cast<size_t>(e.new_state)];
}

std::string PrometheusMetrics::Render() const {
  auto entries = core_->Statistics("", "");
  std::vector<ModelStatsEntry> models = entries.ok()
                                            ? std::move(entries).value()
                                            : std::vector<ModelStatsEntry>{};
  struct Counter {
    MetricFamily family;
    double (*value)(const ModelStatsEntry&);
  };
  std::vector<Counter> counters = {
      {Family("adlik_inference_request_success",
              "Successful inference requests", MetricType::Counter),
       [](const ModelStatsEntry& e) { return double(e.stats.success.count); }},
      {Family("adlik_inference_request_failure", "Failed inference requests",
              MetricType::Counter),
       [](const ModelStatsEntry& e) { return double(e.stats.fail.count); }},
      {Family("adlik_inference_count", "Batch elements inferred",
              MetricType::Counter),
       [](const ModelStatsEntry& e) {
         return double(e.stats.inference_count);
       }},
      {Family("adlik_inference_exec_count", "Engine executions (batches)",
              MetricType::Counter),
       [](const ModelStatsEntry& e) {
         return double(e.stats.execution_count);
       }},
      {Family("adlik_inference_pending_request_count",
              "Requests waiting in the queue", MetricType::Gauge),
       [](const ModelStatsEntry& e) { return double(e.pending); }},
      {Family("adlik_inference_request_duration_us",
              "Cumulative time of successful requests, arrival to answer, "
              "microseconds",
              MetricType::Counter),
       [](const ModelStatsEntry& e) { return e.stats.success.ns / 1e3; }},
      {Family("adlik_inference_queue_duration_us",
              "Cumulative queue time, microseconds", MetricType::Counter),
       [](const ModelStatsEntry& e) { return e.stats.queue.ns / 1e3; }},
      {Family("adlik_inference_compute_input_duration_us",
              "Cumulative time merging inputs, microseconds",
              MetricType::Counter),
       [](const ModelStatsEntry& e) { return e.stats.compute_input.ns / 1e3; }},
      {Family("adlik_inference_compute_infer_duration_us",
              "Cumulative engine time, microseconds", MetricType::Counter),
       [](const ModelStatsEntry& e) { return e.stats.compute_infer.ns / 1e3; }},
      {Family("adlik_inference_compute_output_duration_us",
              "Cumulative time splitting outputs, microseconds",
              MetricType::Counter),
       [](const ModelStatsEntry& e) {
         return e.stats.compute_output.ns / 1e3;
       }},
  };
  std::vector<MetricFamily> families;
  for (auto& c : counters) {
    for (const auto& e : models) {
      ClientMetric m = Labelled(e);
      if (c.family.type == MetricType::Gauge) {
        m.gauge.value = c.value(e);
      } else {
        m.counter.value = c.value(e);
      }
      c.family.metric.push_back(std::move(m));
    }
    families.push_back(std::move(c.family));
  }
  MetricFamily batch = Family("adlik_inference_batch_size",
                              "Batch sizes executed", MetricType::Histogram);
  for (const auto& e : models) {
    ClientMetric m = Labelled(e);
    uint64_t largest = 1;
    double sum = 0;
    for (const auto& [size, b] : e.stats.batch_stats) {
      largest = std::max<uint64_t>(largest, size);
      sum += double(size) * double(b.compute_infer.count);
    }
    uint64_t cumulative = 0;
    auto it = e.stats.batch_stats.begin();
    for (uint64_t bound = 1;; bound *= 2) {
      for (; it != e.stats.batch_stats.end() && it->first <= bound; ++it) {
        cumulative += it->second.compute_infer.count;
      }
      m.histogram.bucket.push_back({cumulative, double(bound)});
      if (bound >= largest) break;
    }
    m.histogram.bucket.push_back(
        {e.stats.execution_count, std::numeric_limits<double>::infinity()});
    m.histogram.sample_count = e.stats.execution_count;
    m.histogram.sample_sum = sum;
    batch.metric.push_back(std::move(m));
  }
  families.push_back(std::move(batch));

  MetricFamily request_latency =
      Family("adlik_inference_request_latency_us",
             "Successful requests' time from arrival to answer, microseconds",
             MetricType::Histogram);
  MetricFamily queue_latency = Family(
      "adlik_inference_queue_latency_us",
      "Requests' time in the queue, microseconds", MetricType::Histogram);
  for (const auto& e : models) {
    request_latency.metric.push_back(
        Latency(e, e.stats.success_latency, e.stats.success));
    queue_latency.metric.push_back(
        Latency(e, e.stats.queue_latency, e.stats.queue));
  }
  families.push_back(std::move(request_latency));
  families.push_back(std::move(queue_latency));

  MetricFamily versions =
      Family("adlik_model_versions", "Model versions in each state",
             MetricType::Gauge);
  MetricFamily changes =
      Family("adlik_model_state_changes",
             "Changes of a model version into each state", MetricType::Counter);
  {
    MutexLock lock(&mu_);
    for (ModelState state : kStates) {
      ClientMetric count, changed;
      count.label = {{"state", std::string(ModelStateName(state))}};
      changed.label = count.label;
      for (const auto& [key, s] : states_) count.gauge.value += s == state;
      changed.counter.value = double(changes_[static_cast<size_t>(state)]);
      versions.metric.push_back(std::move(count));
      changes.metric.push_back(std::move(changed));
    }
  }
  families.push_back(std::move(versions));
  families.push_back(std::move(changes));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace adlik
