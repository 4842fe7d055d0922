// Line-oriented logging to stderr: `LOG(INFO) << "listening on " << port;`
//
// One line per statement, written with a single write(2) so lines from
// different threads never interleave. LOG(FATAL) aborts after writing.
//
// A line about a model names it through fields rather than in the text:
//   LOG(ERROR).Model(name).Version(v) << "UNAVAILABLE: " << why;
// In the text format (the default) fields become the prefix
// "model 'NAME' version V: " (and "request 'ID': "):
//   E2024-05-01T12:00:00.000123Z model 'resnet' version 2: UNAVAILABLE: ...
// In the JSON format (SetLogFormat(LogFormat::kJson)) each line is one JSON
// object, for log collectors:
//   {"time":"2024-05-01T12:00:00.000123Z","level":"ERROR",
//    "file":"model_manager.cc","line":47,"model":"resnet","version":2,
//    "message":"UNAVAILABLE: ..."}
// "model", "version" and "request_id" appear only when set. Strings are
// escaped for JSON; bytes that are not valid UTF-8 become the text \xNN.
//
// Which severities are written (Triton's log_info, log_warning, log_error and
// log_verbose_level) and the format may change at runtime, from any thread:
// each statement sees the settings of the moment it starts.
//
// Thread-safety: safe from any thread. The switches and format are
// process-wide atomics.
#ifndef ADLIK_BASE_LOGGING_H_
#define ADLIK_BASE_LOGGING_H_

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace adlik {

enum class LogLevel {
  kVerbose = 0,
  kInfo = 1,
  kWarning = 2,
  kError = 3,
  kFatal = 4
};

enum class LogFormat { kText, kJson };

// Messages below `level` are dropped, the others written (sets every
// switch below). Default: kInfo.
void SetMinLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

// Turns one severity on or off (kInfo, kWarning, kError; kFatal is always
// written). kVerbose follows SetVerboseLevel.
void SetLogEnabled(LogLevel level, bool enabled);
// Verbose messages are written while the level is > 0. Default: 0.
void SetVerboseLevel(uint32_t level);
uint32_t VerboseLevel();

// Default: kText.
void SetLogFormat(LogFormat format);
LogFormat GetLogFormat();

// One log statement's content, as LogMessage collects it.
struct LogRecord {
  LogLevel level = LogLevel::kInfo;
  int64_t time_us = 0;    // microseconds since the Unix epoch (UTC)
  std::string_view file;  // the base name of the source file
  int line = 0;
  std::optional<std::string_view> model;
  std::optional<int64_t> version;
  std::optional<std::string_view> request_id;
  // Set by LogMessage::At(): the text format shows file:line too.
  bool relayed = false;
  std::string_view message;
};

// The line (with its '\n') that LogMessage writes for `record`.
std::string FormatLogLine(const LogRecord& record, LogFormat format);

// Collects one statement; the destructor writes the line. The string_views
// given to Model() and RequestId() must outlive the statement (the LOG
// statement's temporaries do).
class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;

  LogMessage& Model(std::string_view name) {
    record_.model = name;
    return *this;
  }
  LogMessage& Version(int64_t version) {
    record_.version = version;
    return *this;
  }
  // An empty id (the client sent none) adds nothing.
  LogMessage& RequestId(std::string_view id) {
    if (!id.empty()) record_.request_id = id;
    return *this;
  }
  // Reports `file`:`line` instead of the LOG statement's own, in the text
  // format too (for messages relayed from a runtime plugin). `file` must
  // outlive the statement.
  LogMessage& At(const char* file, int line);

  template <typename T>
  LogMessage& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  LogRecord record_;
  std::ostringstream stream_;
};

}  // namespace adlik

#define ADLIK_LOG_LEVEL_VERBOSE ::adlik::LogLevel::kVerbose
#define ADLIK_LOG_LEVEL_INFO ::adlik::LogLevel::kInfo
#define ADLIK_LOG_LEVEL_WARNING ::adlik::LogLevel::kWarning
#define ADLIK_LOG_LEVEL_ERROR ::adlik::LogLevel::kError
#define ADLIK_LOG_LEVEL_FATAL ::adlik::LogLevel::kFatal

#define LOG(level)                                     \
  if (!::adlik::LogEnabled(ADLIK_LOG_LEVEL_##level)) { \
  } else                                               \
    ::adlik::LogMessage(ADLIK_LOG_LEVEL_##level, __FILE__, __LINE__)

#endif  // ADLIK_BASE_LOGGING_H_
