// Triton's trace settings (the trace extension) and the server's
// --trace_config flags, in Triton's syntax:
//
//   --trace_config=level=TIMESTAMPS     OFF or TIMESTAMPS (TENSORS: refused)
//   --trace_config=rate=100             trace 1 of every 100 requests
//   --trace_config=count=10             stop after 10 traces; -1: no limit
//   --trace_config=mode=opentelemetry   triton (default) or opentelemetry
//   --trace_config=triton,file=PATH     triton mode: where traces are written
//   --trace_config=triton,log-frequency=N  write PATH.<i> every N traces;
//                                       0: PATH at shutdown
//   --trace_config=opentelemetry,url=HOST:PORT/v1/traces  the OTLP/HTTP
//                                       collector (default localhost:4318)
//   --trace_config=opentelemetry,resource=KEY=VALUE  a resource attribute
//   --trace_config=opentelemetry,bsp_schedule_delay=MS  most milliseconds a
//                                       finished span waits to be sent (5000)
//
// Thread-safety: plain values and pure functions.
#ifndef ADLIK_SERVER_TRACE_CONFIG_H_
#define ADLIK_SERVER_TRACE_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adlik/status.h"

namespace adlik {

enum class TraceMode { kTriton, kOpenTelemetry };

// One set of trace settings, in Triton's units and with its defaults.
struct TraceSettings {
  bool timestamps = false;    // trace_level TIMESTAMPS; false: OFF
  int64_t rate = 1000;        // trace 1 of every `rate` requests (>= 1)
  int64_t count = -1;         // traces still to take; -1: no limit
  int64_t log_frequency = 0;  // triton mode: see above
  std::string file;           // triton mode: fixed at start
};

struct TraceConfig {
  TraceSettings settings;
  TraceMode mode = TraceMode::kTriton;
  std::string url = "localhost:4318/v1/traces";
  std::vector<std::pair<std::string, std::string>> resource;
  int64_t bsp_schedule_delay_ms = 5000;
};

// The values of the repeated --trace_config flag, in order (a later value
// replaces an earlier one). An error names the flag value and what is wrong.
StatusOr<TraceConfig> ParseTraceConfig(const std::vector<std::string>& flags);

// The settings as the extension shows them, by Triton's names: trace_level
// (["OFF"] or ["TIMESTAMPS"]), trace_rate, trace_count, log_frequency,
// trace_file, trace_mode; each scalar a one-element list of its decimal text.
using TraceSettingMap = std::map<std::string, std::vector<std::string>>;

// An update by Triton's names: a value to set, or std::nullopt to clear (a
// model's own value then reverts to the global one; a global value to its
// value at start).
using TraceSettingUpdate =
    std::map<std::string, std::optional<std::vector<std::string>>>;

// A model's own values; an unset field follows the global settings.
struct TraceSettingsOverride {
  std::optional<bool> timestamps;
  std::optional<int64_t> rate, count, log_frequency;
  bool empty() const {
    return !timestamps && !rate && !count && !log_frequency;
  }
  TraceSettings Apply(TraceSettings global) const;
};

// Checks `update` and applies it to `*model`'s own values: trace_file and
// trace_mode are refused (a request may not choose a file the server
// writes, nor the exporter), as are unknown names and malformed values.
// `*model` is untouched on error.
Status ApplyTraceUpdate(const TraceSettingUpdate& update,
                        TraceSettingsOverride* model);

TraceSettingMap RenderTraceSettings(const TraceSettings& settings,
                                    TraceMode mode);

}  // namespace adlik

#endif  // ADLIK_SERVER_TRACE_CONFIG_H_
