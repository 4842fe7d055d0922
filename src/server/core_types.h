// The server core's answers, as plain values of its own: what a front end
// renders in its protocol. Nothing here refers to the lifecycle, the
// scheduler or a runtime.
//
// Thread-safety: plain values.
#ifndef ADLIK_SERVER_CORE_TYPES_H_
#define ADLIK_SERVER_CORE_TYPES_H_

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "adlik/data_type.h"
#include "base/model_state.h"
#include "base/statistics.h"

namespace adlik {

struct TensorMetadata {
  std::string name;
  DataType type = DataType::kInvalid;
  // As a client sends it: with a leading -1 when the model batches.
  std::vector<int64_t> shape;
};

struct ModelMetadata {
  std::string name;
  // The version asked for, or (none asked for) every served version,
  // ascending.
  std::vector<std::string> versions;
  std::string platform;
  std::vector<TensorMetadata> inputs, outputs;
};

struct ModelStatsEntry {
  std::string name;
  std::string version;
  StatisticsSnapshot stats;
  size_t pending = 0;  // requests waiting in the queue now
};

// Triton's logging extension, by its names. log_file is where the log goes
// (empty: stderr); log_format "text" or "json" (--log_format).
struct LogSettings {
  std::string log_file;
  bool log_info = true;
  bool log_warning = true;
  bool log_error = true;
  uint32_t log_verbose_level = 0;
  std::string log_format = "text";
};

// An update of the logging settings by Triton's names: log_info,
// log_warning, log_error (bool), log_verbose_level (integer >= 0),
// log_format (string); log_file is refused.
using LogSettingValue = std::variant<bool, int64_t, std::string>;
using LogSettingsUpdate = std::map<std::string, LogSettingValue>;

}  // namespace adlik

#endif  // ADLIK_SERVER_CORE_TYPES_H_
