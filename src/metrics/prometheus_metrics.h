// Prometheus metrics of the served models, in the text exposition format, for
// GET /metrics. Rendered at scrape time from the same statistics the
// statistics extension reports, so serving a request costs nothing extra.
//
// Every metric carries the labels model="NAME" and version="N". Names, and
// the Triton metric each corresponds to:
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
// clang-format on
//
// Thread-safety: safe from any thread (reads the core's snapshots).
#ifndef ADLIK_METRICS_PROMETHEUS_METRICS_H_
#define ADLIK_METRICS_PROMETHEUS_METRICS_H_

#include <string>

#include "server/server_core.h"

namespace adlik {

std::string RenderPrometheusMetrics(const ServerCore& core);

}  // namespace adlik

#endif  // ADLIK_METRICS_PROMETHEUS_METRICS_H_
