// Prometheus metrics of the served models, in the text exposition format, for
// GET /metrics. The request metrics are rendered at scrape time from the same
// statistics the statistics extension reports, so serving a request costs
// nothing extra; the model-state metrics are kept from the core's model state
// events.
//
// The request metrics carry the labels model="NAME" and version="N". Names,
// and the Triton metric each corresponds to:
//
// clang-format off
//   adlik_inference_request_success             counter    nv_inference_request_success
//   adlik_inference_request_failure             counter    nv_inference_request_failure
//   adlik_inference_count                       counter    nv_inference_count
//                                                          (batch elements inferred)
//   adlik_inference_exec_count                  counter    nv_inference_exec_count
//                                                          (engine executions)
//   adlik_inference_pending_request_count       gauge      nv_inference_pending_request_count
//   adlik_inference_request_duration_us         counter    nv_inference_request_duration_us
//   adlik_inference_queue_duration_us           counter    nv_inference_queue_duration_us
//   adlik_inference_compute_input_duration_us   counter    nv_inference_compute_input_duration_us
//   adlik_inference_compute_infer_duration_us   counter    nv_inference_compute_infer_duration_us
//   adlik_inference_compute_output_duration_us  counter    nv_inference_compute_output_duration_us
//   adlik_inference_batch_size                  histogram  (Triton has none) the batch sizes
//                                                          executed, buckets 1,2,4,...,max
//   adlik_inference_request_latency_us          histogram  (Triton has none) successful
//                                                          requests' time, arrival to answer
//   adlik_inference_queue_latency_us            histogram  (Triton has none) queue time
//     The two latency histograms have the buckets of base/statistics.h's
//     kLatencyBoundsUs (25us .. 10s), for histogram_quantile().
//
// Model states (Triton has none), with the label state="LOADING", "READY",
// "UNLOADING" or "UNAVAILABLE":
//   adlik_model_versions                        gauge      model versions in each state
//   adlik_model_state_changes                   counter    changes into each state
// clang-format on
//
// Thread-safety: Render may be called from any thread.
// Lifetime: the core must outlive the PrometheusMetrics.
#ifndef ADLIK_METRICS_PROMETHEUS_METRICS_H_
#define ADLIK_METRICS_PROMETHEUS_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "base/model_event_bus.h"
#include "base/model_state.h"
#include "base/mutex.h"
#include "server/server_core.h"

namespace adlik {

class PrometheusMetrics {
 public:
  // Subscribes to the core's model states.
  explicit PrometheusMetrics(ServerCore* core);
  PrometheusMetrics(const PrometheusMetrics&) = delete;
  PrometheusMetrics& operator=(const PrometheusMetrics&) = delete;

  // The whole exposition.
  std::string Render() const ADLIK_EXCLUDES(mu_);

 private:
  void OnModelState(const ModelStateEvent& event) ADLIK_EXCLUDES(mu_);

  const ServerCore* const core_;
  mutable Mutex mu_;
  // Each model version's state (model-level failures are not versions).
  std::map<std::pair<std::string, int64_t>, ModelState> states_
      ADLIK_GUARDED_BY(mu_);
  std::array<uint64_t, 5> changes_ ADLIK_GUARDED_BY(mu_) = {};  // by ModelState
  // Last: cancelled before the members the listener uses are destroyed.
  ModelEventBus::Subscription subscription_;
};

}  // namespace adlik

#endif  // ADLIK_METRICS_PROMETHEUS_METRICS_H_
