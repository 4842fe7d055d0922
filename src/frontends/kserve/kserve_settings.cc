#include "frontends/kserve/kserve_settings.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "frontends/kserve/json_parse.h"

namespace adlik::kserve {

void RenderTraceSettings(const TraceSettingMap& settings,
                         inference::TraceSettingResponse* out) {
  for (const auto& [name, values] : settings) {
    auto& value = (*out->mutable_settings())[name];
    for (const std::string& v : values) value.add_value(v);
  }
}

TraceSettingUpdate TraceUpdateFromProto(
    const inference::TraceSettingRequest& request) {
  TraceSettingUpdate update;
  for (const auto& [name, value] : request.settings()) {
    if (value.value().empty()) {
      update[name] = std::nullopt;
    } else {
      update[name] =
          std::vector<std::string>(value.value().begin(), value.value().end());
    }
  }
  return update;
}

std::string TraceSettingsJson(const TraceSettingMap& settings) {
  rapidjson::StringBuffer text;
  rapidjson::Writer<rapidjson::StringBuffer> w(text);
  w.StartObject();
  for (const auto& [name, values] : settings) {
    w.Key(name.c_str(), name.size());
    if (name == "trace_level") {
      w.StartArray();
      for (const std::string& v : values) w.String(v.c_str(), v.size());
      w.EndArray();
    } else {
      const std::string v = values.empty() ? "" : values.front();
      w.String(v.c_str(), v.size());
    }
  }
  w.EndObject();
  return std::string(text.GetString(), text.GetSize());
}

StatusOr<TraceSettingUpdate> ParseTraceSettingsJson(std::string_view body) {
  rapidjson::Document doc;
  if (Status s = ParseJson(body, "trace settings", &doc); !s.ok()) return s;
  if (!doc.IsObject())
    return InvalidArgument("trace settings: the body must be a JSON object");
  TraceSettingUpdate update;
  for (const auto& m : doc.GetObject()) {
    const std::string name(m.name.GetString(), m.name.GetStringLength());
    const rapidjson::Value& v = m.value;
    if (v.IsNull()) {
      update[name] = std::nullopt;
    } else if (v.IsString()) {
      update[name] = std::vector<std::string>{
          std::string(v.GetString(), v.GetStringLength())};
    } else if (v.IsInt64()) {
      update[name] = std::vector<std::string>{std::to_string(v.GetInt64())};
    } else if (v.IsArray()) {
      std::vector<std::string> values;
      for (const auto& e : v.GetArray()) {
        if (!e.IsString()) {
          return InvalidArgument("trace setting '" + name +
                                 "': a list must hold strings only");
        }
        values.emplace_back(e.GetString(), e.GetStringLength());
      }
      update[name] = std::move(values);
    } else {
      return InvalidArgument("trace setting '" + name +
                             "': expected a string, an integer, a list of "
                             "strings or null");
    }
  }
  return update;
}

void RenderLogSettings(const LogSettings& s,
                       inference::LogSettingsResponse* out) {
  auto& m = *out->mutable_settings();
  m["log_file"].set_string_param(s.log_file);
  m["log_info"].set_bool_param(s.log_info);
  m["log_warning"].set_bool_param(s.log_warning);
  m["log_error"].set_bool_param(s.log_error);
  m["log_verbose_level"].set_uint32_param(s.log_verbose_level);
  m["log_format"].set_string_param(s.log_format);
}

StatusOr<LogSettingsUpdate> LogUpdateFromProto(
    const inference::LogSettingsRequest& request) {
  using Value = inference::LogSettingsRequest::SettingValue;
  LogSettingsUpdate update;
  for (const auto& [name, value] : request.settings()) {
    switch (value.parameter_choice_case()) {
      case Value::kBoolParam:
        update[name] = value.bool_param();
        break;
      case Value::kUint32Param:
        update[name] = static_cast<int64_t>(value.uint32_param());
        break;
      case Value::kStringParam:
        update[name] = value.string_param();
        break;
      default:
        return InvalidArgument("log setting '" + name + "': no value");
    }
  }
  return update;
}

std::string LogSettingsJson(const LogSettings& s) {
  rapidjson::StringBuffer text;
  rapidjson::Writer<rapidjson::StringBuffer> w(text);
  w.StartObject();
  w.Key("log_file");
  w.String(s.log_file.c_str(), s.log_file.size());
  w.Key("log_info");
  w.Bool(s.log_info);
  w.Key("log_warning");
  w.Bool(s.log_warning);
  w.Key("log_error");
  w.Bool(s.log_error);
  w.Key("log_verbose_level");
  w.Uint(s.log_verbose_level);
  w.Key("log_format");
  w.String(s.log_format.c_str(), s.log_format.size());
  w.EndObject();
  return std::string(text.GetString(), text.GetSize());
}

StatusOr<LogSettingsUpdate> ParseLogSettingsJson(std::string_view body) {
  rapidjson::Document doc;
  if (Status s = ParseJson(body, "log settings", &doc); !s.ok()) return s;
  if (!doc.IsObject())
    return InvalidArgument("log settings: the body must be a JSON object");
  LogSettingsUpdate update;
  for (const auto& m : doc.GetObject()) {
    const std::string name(m.name.GetString(), m.name.GetStringLength());
    const rapidjson::Value& v = m.value;
    if (v.IsBool()) {
      update[name] = v.GetBool();
    } else if (v.IsInt64()) {
      update[name] = v.GetInt64();
    } else if (v.IsString()) {
      update[name] = std::string(v.GetString(), v.GetStringLength());
    } else {
      return InvalidArgument("log setting '" + name +
                             "': expected a boolean, an integer or a string");
    }
  }
  return update;
}

}  // namespace adlik::kserve
