// Request tracing (Triton's trace extension): which requests are traced, by
// the global and per-model trace settings, and where a finished trace goes
// (a TraceExporter: Triton's JSON file, or OpenTelemetry over OTLP/HTTP).
//
// A traced request carries Triton's timestamps: REQUEST_START (its bytes
// arrived), QUEUE_START, COMPUTE_START, COMPUTE_INPUT_END,
// COMPUTE_OUTPUT_START, COMPUTE_END (the scheduler's steps) and REQUEST_END
// (its response encoded, just before it is sent).
//
// Sampling as Triton's: a request is traced when trace_level is TIMESTAMPS,
// trace_count is not 0, and it is the rate-th request (1 of every
// trace_rate) counted for its model's settings (the global ones unless the
// model has its own). Each trace taken lowers a positive trace_count by one.
//
// Thread-safety: all methods may be called from any thread. Sample() is one
// relaxed atomic load while every setting has tracing off.
// Ownership: the tracer owns its exporter.
#ifndef ADLIK_SERVER_TRACER_H_
#define ADLIK_SERVER_TRACER_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adlik/status.h"
#include "base/mutex.h"
#include "server/trace_config.h"

namespace adlik {

// One traced request, as an exporter sees it.
struct RequestTrace {
  uint64_t id = 0;  // 1, 2, ... per server
  std::string model_name, model_version, request_id;
  // The client's W3C traceparent, or empty.
  std::string traceparent;
  // Triton's names with monotonic nanoseconds (Clock::Real), in order.
  std::vector<std::pair<const char*, uint64_t>> timestamps;
  // Added to a timestamp: nanoseconds since the Unix epoch.
  int64_t epoch_offset_ns = 0;
  // The settings' log_frequency when the request was sampled.
  int64_t log_frequency = 0;
};

// Where finished traces go. Export and Flush may be called from any thread.
class TraceExporter {
 public:
  virtual ~TraceExporter() = default;
  virtual void Export(const RequestTrace& trace) = 0;
  // Writes or sends what is buffered (at shutdown).
  virtual void Flush() = 0;
};

// Triton's trace file: a JSON array of traces,
// {"id","model_name","model_version","request_id",
//  "timestamps":[{"name","ns"}...]}, written to `file`.<i> every
// log_frequency traces, or (log_frequency 0) to `file` at Flush.
std::unique_ptr<TraceExporter> MakeTritonFileExporter(std::string file);

class Tracer {
 public:
  // The exporter the config's mode names. OpenTelemetry without
  // ADLIK_WITH_OPENTELEMETRY is refused with the reason.
  static StatusOr<std::unique_ptr<Tracer>> Create(const TraceConfig& config);
  // `exporter`: nullptr when nothing can be written (triton mode without a
  // file): turning tracing on is then refused.
  Tracer(const TraceConfig& config, std::unique_ptr<TraceExporter> exporter);
  ~Tracer();

  // A trace for a request to `model`, or nullptr when it is not traced.
  std::unique_ptr<RequestTrace> Sample(const std::string& model) {
    if (!on_.load(std::memory_order_relaxed)) return nullptr;
    return SampleSlow(model);
  }
  void Export(const RequestTrace& trace);
  void Flush();

  // The settings in force for `model` (empty: the global ones).
  TraceSettingMap Get(const std::string& model) const;
  // Updates the global settings or (`model` set) the model's own, then
  // returns Get(model). See ApplyTraceUpdate for what is refused.
  StatusOr<TraceSettingMap> Update(const std::string& model,
                                   const TraceSettingUpdate& update);

 private:
  struct Scope {
    TraceSettingsOverride own;
    uint64_t seen = 0;  // requests counted for the rate
  };
  std::unique_ptr<RequestTrace> SampleSlow(const std::string& model);
  TraceSettings EffectiveLocked(const std::string& model) const
      ADLIK_REQUIRES(mu_);
  // Recomputes on_ from the settings.
  void RefreshLocked() ADLIK_REQUIRES(mu_);

  const TraceSettings startup_;
  const TraceMode mode_;
  const std::unique_ptr<TraceExporter> exporter_;
  std::atomic<bool> on_{false};
  mutable Mutex mu_;
  Scope global_ ADLIK_GUARDED_BY(mu_);
  std::map<std::string, Scope> models_ ADLIK_GUARDED_BY(mu_);
  uint64_t next_id_ ADLIK_GUARDED_BY(mu_) = 0;
};

}  // namespace adlik

#endif  // ADLIK_SERVER_TRACER_H_
