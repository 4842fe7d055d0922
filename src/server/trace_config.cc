#include "server/trace_config.h"

#include <charconv>
#include <string_view>

namespace adlik {
namespace {

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t v = 0;
  const auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    return std::nullopt;
  return v;
}

// `what` ("trace_rate", "--trace_config 'rate=x'") as an integer >= `min`.
StatusOr<int64_t> ParseAtLeast(std::string_view text, int64_t min,
                               const std::string& what) {
  const std::optional<int64_t> v = ParseInt(text);
  if (!v || *v < min) {
    return InvalidArgument(what + ": '" + std::string(text) +
                           "' is not an integer >= " + std::to_string(min));
  }
  return *v;
}

// OFF, TIMESTAMPS; TENSORS is refused with the reason.
StatusOr<bool> ParseLevel(std::string_view text, const std::string& what) {
  if (text == "OFF") return false;
  if (text == "TIMESTAMPS") return true;
  if (text == "TENSORS") {
    return InvalidArgument(what +
                           ": TENSORS is not supported (this server traces "
                           "TIMESTAMPS only)");
  }
  return InvalidArgument(what + ": '" + std::string(text) +
                         "' is not OFF or TIMESTAMPS");
}

}  // namespace

StatusOr<TraceConfig> ParseTraceConfig(const std::vector<std::string>& flags) {
  TraceConfig config;
  for (const std::string& flag : flags) {
    const std::string what = "--trace_config '" + flag + "'";
    std::string_view rest = flag;
    std::string_view section;
    const size_t comma = rest.find(',');
    const size_t eq = rest.find('=');
    if (comma != std::string_view::npos && comma < eq) {
      section = rest.substr(0, comma);
      rest.remove_prefix(comma + 1);
    }
    const size_t at = rest.find('=');
    if (at == std::string_view::npos || at == 0) {
      return InvalidArgument(what + ": expected [MODE,]KEY=VALUE");
    }
    const std::string_view key = rest.substr(0, at);
    const std::string_view value = rest.substr(at + 1);
    if (section.empty()) {
      if (key == "level") {
        auto on = ParseLevel(value, what);
        if (!on.ok()) return on.status();
        config.settings.timestamps = *on;
      } else if (key == "rate") {
        auto v = ParseAtLeast(value, 1, what);
        if (!v.ok()) return v.status();
        config.settings.rate = *v;
      } else if (key == "count") {
        auto v = ParseAtLeast(value, -1, what);
        if (!v.ok()) return v.status();
        config.settings.count = *v;
      } else if (key == "mode") {
        if (value == "triton") {
          config.mode = TraceMode::kTriton;
        } else if (value == "opentelemetry") {
          config.mode = TraceMode::kOpenTelemetry;
        } else {
          return InvalidArgument(what + ": mode '" + std::string(value) +
                                 "' is not triton or opentelemetry");
        }
      } else {
        return InvalidArgument(
            what + ": unknown key '" + std::string(key) +
            "' (expected level, rate, count, mode, or triton,KEY=VALUE / "
            "opentelemetry,KEY=VALUE)");
      }
    } else if (section == "triton") {
      if (key == "file") {
        if (value.empty()) return InvalidArgument(what + ": the file is empty");
        config.settings.file = std::string(value);
      } else if (key == "log-frequency") {
        auto v = ParseAtLeast(value, 0, what);
        if (!v.ok()) return v.status();
        config.settings.log_frequency = *v;
      } else {
        return InvalidArgument(what + ": unknown triton key '" +
                               std::string(key) +
                               "' (expected file or log-frequency)");
      }
    } else if (section == "opentelemetry") {
      if (key == "url") {
        if (value.empty()) return InvalidArgument(what + ": the url is empty");
        config.url = std::string(value);
      } else if (key == "resource") {
        const size_t attr = value.find('=');
        if (attr == std::string_view::npos || attr == 0) {
          return InvalidArgument(what +
                                 ": a resource is KEY=VALUE, e.g. "
                                 "opentelemetry,resource=service.name=adlik");
        }
        config.resource.emplace_back(value.substr(0, attr),
                                     value.substr(attr + 1));
      } else if (key == "bsp_schedule_delay") {
        auto v = ParseAtLeast(value, 1, what);
        if (!v.ok()) return v.status();
        config.bsp_schedule_delay_ms = *v;
      } else {
        return InvalidArgument(
            what + ": unknown opentelemetry key '" + std::string(key) +
            "' (expected url, resource or bsp_schedule_delay)");
      }
    } else {
      return InvalidArgument(what + ": unknown mode '" + std::string(section) +
                             "' (expected triton or opentelemetry)");
    }
  }
  if (config.mode == TraceMode::kTriton && config.settings.timestamps &&
      config.settings.file.empty()) {
    return InvalidArgument(
        "--trace_config level=TIMESTAMPS in triton mode needs a file: "
        "--trace_config=triton,file=PATH (or mode=opentelemetry)");
  }
  return config;
}

TraceSettings TraceSettingsOverride::Apply(TraceSettings global) const {
  if (timestamps) global.timestamps = *timestamps;
  if (rate) global.rate = *rate;
  if (count) global.count = *count;
  if (log_frequency) global.log_frequency = *log_frequency;
  return global;
}

Status ApplyTraceUpdate(const TraceSettingUpdate& update,
                        TraceSettingsOverride* model) {
  TraceSettingsOverride next = *model;
  for (const auto& [name, value] : update) {
    if (name == "trace_file" || name == "trace_mode") {
      return InvalidArgument(
          name +
          " can't be updated through the API: a request may not choose a "
          "file the server writes or where its traces go; start the server "
          "with --trace_config (triton,file=PATH or mode=...)");
    }
    const bool level = name == "trace_level";
    if (!level && name != "trace_rate" && name != "trace_count" &&
        name != "log_frequency") {
      return InvalidArgument("unknown trace setting '" + name +
                             "' (expected trace_level, trace_rate, "
                             "trace_count, log_frequency)");
    }
    if (!value) {
      if (level) next.timestamps.reset();
      if (name == "trace_rate") next.rate.reset();
      if (name == "trace_count") next.count.reset();
      if (name == "log_frequency") next.log_frequency.reset();
      continue;
    }
    if (level) {
      if (value->empty())
        return InvalidArgument("trace_level: no value (OFF or TIMESTAMPS)");
      bool on = false;
      for (const std::string& v : *value) {
        auto parsed = ParseLevel(v, "trace_level");
        if (!parsed.ok()) return parsed.status();
        on = on || *parsed;
      }
      next.timestamps = on;
      continue;
    }
    if (value->size() != 1) {
      return InvalidArgument(name + ": expected one value, got " +
                             std::to_string(value->size()));
    }
    const std::string& text = value->front();
    if (name == "trace_rate") {
      auto v = ParseAtLeast(text, 1, name);
      if (!v.ok()) return v.status();
      next.rate = *v;
    } else if (name == "trace_count") {
      auto v = ParseAtLeast(text, -1, name);
      if (!v.ok()) return v.status();
      next.count = *v;
    } else {
      auto v = ParseAtLeast(text, 0, name);
      if (!v.ok()) return v.status();
      next.log_frequency = *v;
    }
  }
  *model = next;
  return Status::Ok();
}

TraceSettingMap RenderTraceSettings(const TraceSettings& s, TraceMode mode) {
  return {
      {"trace_level", {s.timestamps ? "TIMESTAMPS" : "OFF"}},
      {"trace_rate", {std::to_string(s.rate)}},
      {"trace_count", {std::to_string(s.count)}},
      {"log_frequency", {std::to_string(s.log_frequency)}},
      {"trace_file", {s.file}},
      {"trace_mode", {mode == TraceMode::kTriton ? "triton" : "opentelemetry"}},
  };
}

}  // namespace adlik
