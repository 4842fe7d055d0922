// Triton's trace and logging extensions at the edge: the core's settings
// (server/trace_config.h, server/core_types.h) as the gRPC messages
// TraceSettingRequest/Response and LogSettingsRequest/Response, and as the
// JSON of /v2[/models/{m}]/trace/setting and /v2/logging:
//
//   {"trace_level":["TIMESTAMPS"],"trace_rate":"1000","trace_count":"-1",
//    "log_frequency":"0","trace_file":"","trace_mode":"triton"}
//   {"log_file":"","log_info":true,"log_warning":true,"log_error":true,
//    "log_verbose_level":0,"log_format":"text"}
//
// A trace update clears a setting with JSON null, or over gRPC with an empty
// value list (Triton's rule). Which names and values the core accepts is
// the core's to say; these functions check only the shapes.
//
// Thread-safety: pure functions.
#ifndef ADLIK_FRONTENDS_KSERVE_KSERVE_SETTINGS_H_
#define ADLIK_FRONTENDS_KSERVE_KSERVE_SETTINGS_H_

#include <string>
#include <string_view>

#include "adlik/status.h"
#include "frontends/grpc/grpc_service.pb.h"
#include "server/core_types.h"
#include "server/trace_config.h"

namespace adlik::kserve {

void RenderTraceSettings(const TraceSettingMap& settings,
                         inference::TraceSettingResponse* out);
TraceSettingUpdate TraceUpdateFromProto(
    const inference::TraceSettingRequest& request);
std::string TraceSettingsJson(const TraceSettingMap& settings);
// INVALID_ARGUMENT naming the setting whose value is not a string, an
// integer, a list of strings or null.
StatusOr<TraceSettingUpdate> ParseTraceSettingsJson(std::string_view body);

void RenderLogSettings(const LogSettings& settings,
                       inference::LogSettingsResponse* out);
// INVALID_ARGUMENT naming a setting without a value.
StatusOr<LogSettingsUpdate> LogUpdateFromProto(
    const inference::LogSettingsRequest& request);
std::string LogSettingsJson(const LogSettings& settings);
// INVALID_ARGUMENT naming the setting whose value is not a boolean, an
// integer or a string.
StatusOr<LogSettingsUpdate> ParseLogSettingsJson(std::string_view body);

}  // namespace adlik::kserve

#endif  // ADLIK_FRONTENDS_KSERVE_KSERVE_SETTINGS_H_
