#include "metrics/prometheus_metrics.h"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

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

}  // namespace

std::string RenderPrometheusMetrics(const ServerCore& core) {
  auto entries = core.Statistics("", "");
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
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace adlik
