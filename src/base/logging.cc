#include "base/logging.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "base/utf8.h"

namespace adlik {
namespace {
constexpr uint32_t Bit(LogLevel level) { return 1u << static_cast<int>(level); }
// One bit per severity that is written.
std::atomic<uint32_t> g_enabled{Bit(LogLevel::kInfo) | Bit(LogLevel::kWarning) |
                                Bit(LogLevel::kError) | Bit(LogLevel::kFatal)};
std::atomic<uint32_t> g_verbose_level{0};
std::atomic<LogFormat> g_format{LogFormat::kText};

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kVerbose:
      return "VERBOSE";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARNING";
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kFatal:
      return "FATAL";
  }
  return "?";
}

// RFC 3339 in UTC with microseconds: 2024-05-01T12:00:00.000123Z
std::string Rfc3339(int64_t time_us) {
  const std::time_t secs = static_cast<std::time_t>(time_us / 1000000);
  std::tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec,
                static_cast<long long>(time_us % 1000000));
  return buf;
}

// `s` as a JSON string, quotes included.
void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::string valid =
      IsValidUtf8(s) ? std::string() : EscapeInvalidUtf8(s);
  if (!valid.empty()) s = valid;
  *out += '"';
  for (const char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
          *out += "\\u00";
          *out += kHex[(c >> 4) & 0xF];
          *out += kHex[c & 0xF];
        } else {
          *out += c;
        }
    }
  }
  *out += '"';
}

std::string_view BaseName(const char* path) {
  std::string_view p = path != nullptr ? path : "";
  const size_t slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}
}  // namespace

void SetMinLogLevel(LogLevel level) {
  for (LogLevel l : {LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError})
    SetLogEnabled(l, l >= level);
  SetVerboseLevel(level == LogLevel::kVerbose ? 1 : 0);
}

bool LogEnabled(LogLevel level) {
  return (g_enabled.load(std::memory_order_relaxed) & Bit(level)) != 0;
}

void SetLogEnabled(LogLevel level, bool enabled) {
  if (level == LogLevel::kFatal) return;
  if (enabled) {
    g_enabled.fetch_or(Bit(level), std::memory_order_relaxed);
  } else {
    g_enabled.fetch_and(~Bit(level), std::memory_order_relaxed);
  }
}

void SetVerboseLevel(uint32_t level) {
  g_verbose_level.store(level, std::memory_order_relaxed);
  SetLogEnabled(LogLevel::kVerbose, level > 0);
}

uint32_t VerboseLevel() {
  return g_verbose_level.load(std::memory_order_relaxed);
}

void SetLogFormat(LogFormat format) {
  g_format.store(format, std::memory_order_relaxed);
}

LogFormat GetLogFormat() { return g_format.load(std::memory_order_relaxed); }

std::string FormatLogLine(const LogRecord& r, LogFormat format) {
  std::string line;
  line.reserve(96 + r.message.size());
  if (format == LogFormat::kText) {
    line += LevelName(r.level)[0];
    line += Rfc3339(r.time_us);
    line += ' ';
    if (r.relayed) {
      line += r.file;
      line += ':' + std::to_string(r.line) + ": ";
    }
    if (r.model) {
      line += "model '";
      line += *r.model;
      line += '\'';
      if (r.version) line += " version " + std::to_string(*r.version);
      line += ": ";
    }
    if (r.request_id) {
      line += "request '";
      line += *r.request_id;
      line += "': ";
    }
    line += r.message;
    line += '\n';
    return line;
  }
  line += "{\"time\":\"" + Rfc3339(r.time_us) + "\",\"level\":\"";
  line += LevelName(r.level);
  line += "\",\"file\":";
  AppendJsonString(r.file, &line);
  line += ",\"line\":" + std::to_string(r.line);
  if (r.model) {
    line += ",\"model\":";
    AppendJsonString(*r.model, &line);
  }
  if (r.version) line += ",\"version\":" + std::to_string(*r.version);
  if (r.request_id) {
    line += ",\"request_id\":";
    AppendJsonString(*r.request_id, &line);
  }
  line += ",\"message\":";
  AppendJsonString(r.message, &line);
  line += "}\n";
  return line;
}

LogMessage::LogMessage(LogLevel level, const char* file, int line) {
  record_.level = level;
  record_.file = BaseName(file);
  record_.line = line;
}

LogMessage& LogMessage::At(const char* file, int line) {
  record_.file = BaseName(file);
  record_.line = line;
  record_.relayed = true;
  return *this;
}

LogMessage::~LogMessage() {
  record_.time_us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  const std::string message = stream_.str();
  record_.message = message;
  const std::string line =
      FormatLogLine(record_, g_format.load(std::memory_order_relaxed));
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
  if (record_.level == LogLevel::kFatal) std::abort();
}

}  // namespace adlik
