// Runs a batch of model-version loads: each on a thread of its own, at most
// `threads` at once, each bounded by the load timeout.
//
// A load still running at its deadline is given up: its result is
// UNAVAILABLE with the reason, Run goes on, and whatever the load returns
// later is dropped (destroyed) on the load's own thread. So a loader must
// not hold references to anything that may be gone by then: the executor
// hands it copies.
//
// Thread-safety: Run may be called from any thread, concurrently.
// Ownership: the executor owns its loader; no thread outlives a load.
#ifndef ADLIK_LIFECYCLE_LOAD_EXECUTOR_H_
#define ADLIK_LIFECYCLE_LOAD_EXECUTOR_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "adlik/status.h"
#include "config/model_config.pb.h"
#include "lifecycle/served_model.h"
#include "repository/repository_source.h"

namespace adlik {

// Loads one version: ServedModel::Load in the server, a fake in tests.
using ModelLoader = std::function<StatusOr<std::shared_ptr<ServedModel>>(
    const repository::ModelSnapshot& snapshot, int64_t version,
    inference::ModelConfig config, SharedStatistics stats)>;

struct LoadJob {
  repository::ModelSnapshot snapshot;
  int64_t version = 0;
  inference::ModelConfig config;
  SharedStatistics stats;  // of the copy it replaces; may be null
};

class LoadExecutor {
 public:
  // `timeout` 0: no limit.
  LoadExecutor(ModelLoader loader, int threads,
               std::chrono::milliseconds timeout);

  // Job i's result is element i. Returns when every job has finished or
  // been given up.
  std::vector<StatusOr<std::shared_ptr<ServedModel>>> Run(
      const std::vector<LoadJob>& jobs) const;

 private:
  const ModelLoader loader_;
  const size_t threads_;
  const std::chrono::milliseconds timeout_;
};

}  // namespace adlik

#endif  // ADLIK_LIFECYCLE_LOAD_EXECUTOR_H_
