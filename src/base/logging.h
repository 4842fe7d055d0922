// Line-oriented logging to stderr: `LOG(INFO) << "model " << name << " READY";`
//
// One line per statement, prefixed with a UTC timestamp and the level, written
// with a single write(2) so lines from different threads never interleave.
// LOG(FATAL) aborts after writing.
//
// Thread-safety: safe from any thread. The verbosity is process-wide.
#ifndef ADLIK_BASE_LOGGING_H_
#define ADLIK_BASE_LOGGING_H_

#include <sstream>

namespace adlik {

enum class LogLevel {
  kVerbose = 0,
  kInfo = 1,
  kWarning = 2,
  kError = 3,
  kFatal = 4
};

// Messages below `level` are dropped. Default: kInfo.
void SetMinLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

class LogMessage {
 public:
  explicit LogMessage(LogLevel level) : level_(level) {}
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
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
    ::adlik::LogMessage(ADLIK_LOG_LEVEL_##level).stream()

#endif  // ADLIK_BASE_LOGGING_H_
