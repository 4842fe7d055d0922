// adlik_bench's bare target: the model's runtime plugin called in-process,
// with the threads, instance count and batch the server would use, and
// nothing of the server around it (no scheduler, no lifecycle): the analogue
// of a vendor's bare tool (the seed's `topsexec`).
//
// LoadBareModel reads the model's folder and config.pbtxt and loads it
// through the runtime the server would choose (RuntimeRegistry::ForConfig),
// with the spec the server would give it; the config is completed from the
// model as the server completes it.
//
// Thread-safety: as InferTarget.
// Ownership: the RuntimeRegistry that loaded the model must outlive it and
// the target that holds it.
#ifndef ADLIK_TOOLS_BENCH_BARE_TARGET_H_
#define ADLIK_TOOLS_BENCH_BARE_TARGET_H_

#include <memory>
#include <string>
#include <vector>

#include "config/model_config.pb.h"
#include "infer_target.h"
#include "runtime_host/bare_model.h"
#include "runtime_host/runtime_registry.h"

namespace adlik::bench {

struct LoadedBareModel {
  std::unique_ptr<BareModel> model;
  inference::ModelConfig config;  // completed from the model
  int64_t version = 0;
};

// Version `version` (0: the highest) of model `name` in the repository
// `base_path`. Errors name the folder, the file and the field.
StatusOr<LoadedBareModel> LoadBareModel(RuntimeRegistry& registry,
                                        const std::string& base_path,
                                        const std::string& name,
                                        int64_t version);

class BareTarget : public InferTarget {
 public:
  // `loaded`: the model and its config (which gives the instance count and
  // kind); `inputs`: the specs the input sets were made from; `outputs`: the
  // output names to produce.
  BareTarget(LoadedBareModel loaded, std::vector<InputSpec> inputs,
             std::vector<std::string> outputs);

  const std::string& name() const override { return name_; }
  // Creates min(workers, the config's instance count) instances: as in the
  // server, callers beyond the instance count wait for a free one.
  Status Prepare(int workers) override;
  Status Infer(int worker, const InputSet& set,
               std::vector<OwnedTensor>* outputs) override;

 private:
  const std::string name_ = "bare";
  const LoadedBareModel loaded_;
  const std::vector<InputSpec> inputs_;
  std::vector<std::string> outputs_;  // sorted by name
};

}  // namespace adlik::bench

#endif  // ADLIK_TOOLS_BENCH_BARE_TARGET_H_
