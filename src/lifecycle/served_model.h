// One loaded version of one model, ready to take requests: its completed
// config, labels, the runtime's Model, its instances behind a Scheduler, and
// its statistics.
//
// Ownership: shared. The ModelManager holds one reference while the version
// is served; every request in flight holds another (the "handle" that pins
// the version), so a version being replaced finishes its requests before it
// is destroyed. Do not keep a handle longer than a request.
// Thread-safety: immutable after Load, except the scheduler and statistics,
// which are thread-safe.
#ifndef ADLIK_LIFECYCLE_SERVED_MODEL_H_
#define ADLIK_LIFECYCLE_SERVED_MODEL_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/model_config.h"
#include "repository/repository_source.h"
#include "runtime_host/runtime_registry.h"
#include "scheduler/model_statistics.h"
#include "scheduler/rate_limiter.h"
#include "scheduler/scheduler.h"

namespace adlik {

struct LoadOptions {
  RuntimeRegistry* registry = nullptr;  // not owned; required
  // Shared by every model of the server; null: rate_limiter settings of
  // instance groups have no effect.
  std::shared_ptr<RateLimiter> rate_limiter;
};

// A model's statistics outlive a reload of the same version: the new
// ServedModel takes the old one's counters.
using SharedStatistics = std::shared_ptr<ModelStatistics>;

class ServedModel {
 public:
  // Loads version `version` of the model in `snapshot` with `config` (the
  // snapshot's, or one given through the repository API): the engine through
  // its runtime plugin, then the config checked against it (and completed
  // when it leaves inputs or outputs out), then the instances. Errors name
  // the model folder, the file and the field. `stats` may carry the counters
  // of the version this one replaces.
  static StatusOr<std::shared_ptr<ServedModel>> Load(
      const repository::ModelSnapshot& snapshot, int64_t version,
      inference::ModelConfig config, const LoadOptions& options,
      SharedStatistics stats = nullptr);

  // Serves a runtime Model that is already loaded, with a config that is
  // already complete: makes its instances (behind the config's reshapes and
  // the instance groups' rate limiters, in `rate_limiter`),
  // runs the config's warm-up samples on each (model_warmup.h; files from
  // `model_dir`), then makes the scheduler. `source` names the config in
  // errors. Load ends here; tests use it with fake runtimes.
  static StatusOr<std::shared_ptr<ServedModel>> Create(
      int64_t version, std::string runtime_name, inference::ModelConfig config,
      std::map<std::string, std::vector<std::string>> labels,
      std::unique_ptr<host::Model> model, const std::string& source,
      const std::string& model_dir, SharedStatistics stats = nullptr,
      std::shared_ptr<RateLimiter> rate_limiter = nullptr);

  ~ServedModel();
  ServedModel(const ServedModel&) = delete;
  ServedModel& operator=(const ServedModel&) = delete;

  const std::string& name() const { return name_; }
  int64_t version() const { return version_; }
  const std::string& version_string() const { return version_string_; }
  const std::string& runtime_name() const { return runtime_name_; }
  const inference::ModelConfig& config() const { return config_; }
  // Labels of an output that declares label_filename; empty otherwise.
  const std::vector<std::string>& labels(const std::string& output) const;

  Scheduler& scheduler() { return *scheduler_; }
  // The runtime's model, for tools that measure the bare runtime beside the
  // served path (adlik_bench): they may create their own instances on it.
  host::Model& runtime_model() { return *model_; }
  ModelStatistics& stats() { return *stats_; }
  const ModelStatistics& stats() const { return *stats_; }
  const SharedStatistics& shared_stats() const { return stats_; }

 private:
  ServedModel() = default;

  std::string name_;
  int64_t version_ = 0;
  std::string version_string_;
  std::string runtime_name_;
  inference::ModelConfig config_;
  std::map<std::string, std::vector<std::string>> labels_;
  SharedStatistics stats_;
  // Destroyed in reverse order: scheduler (drains, joins, frees instances)
  // before the model.
  std::unique_ptr<host::Model> model_;
  std::unique_ptr<Scheduler> scheduler_;
};

}  // namespace adlik

#endif  // ADLIK_LIFECYCLE_SERVED_MODEL_H_
