// A model run through its runtime in-process with nothing of the server
// around it: the runtime's Model, a few Instances, and one request per
// instance at a time. No scheduler, batching, queue or lifecycle. For the
// tools that run a runtime apart from the server: adlik_bench's bare target
// and adlik_compiler's numeric check.
//
//   ASSIGN_OR_RETURN(RuntimePlugin* runtime, registry.Get("onnxruntime"));
//   ASSIGN_OR_RETURN(auto model, BareModel::Load(*runtime, spec));
//   RETURN_IF_ERROR(model->AddInstances(1, host::DeviceKind::kCpu));
//   RETURN_IF_ERROR(model->Run(inputs, {"output"}, &outputs));
//
// Thread-safety: Run may be called from any number of threads: each call
// takes a free instance and waits while all are busy. AddInstances must not
// run concurrently with Run.
// Ownership: the Runtime (for a plugin, the RuntimeRegistry that owns it)
// must outlive the BareModel. The instances are destroyed before the model.
#ifndef ADLIK_RUNTIME_HOST_BARE_MODEL_H_
#define ADLIK_RUNTIME_HOST_BARE_MODEL_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "adlik/status.h"
#include "adlik/tensor.h"
#include "runtime_host/engine.h"

namespace adlik {

class BareModel {
 public:
  // Loads `spec` through `runtime`; errors are the runtime's.
  static StatusOr<std::unique_ptr<BareModel>> Load(host::Runtime& runtime,
                                                   host::ModelSpec spec);
  ~BareModel();
  BareModel(const BareModel&) = delete;
  BareModel& operator=(const BareModel&) = delete;

  const host::ModelSpec& spec() const { return spec_; }
  // What the runtime reports of the model (may be empty for engines that
  // take their tensors from spec().declared).
  Signature signature() const { return model_->signature(); }
  int instance_count() const { return static_cast<int>(instances_.size()); }

  // Creates `count` more instances of `kind` on device `device_id`, named
  // "<model>_bare_<index>".
  Status AddInstances(int count, host::DeviceKind kind, int device_id = 0);

  // Runs `inputs` as one request (its rows: the first dimension of the first
  // input) on a free instance. `outputs` gets the outputs named in
  // `output_names`, in that order; a missing one is an error naming it.
  // INTERNAL when there is no instance.
  Status Run(std::span<const TensorView> inputs,
             std::span<const std::string> output_names,
             std::vector<Tensor>* outputs);

 private:
  BareModel(host::ModelSpec spec, std::unique_ptr<host::Model> model);
  host::Instance* Acquire();
  void Release(host::Instance* instance);

  const host::ModelSpec spec_;
  std::unique_ptr<host::Model> model_;
  std::vector<std::unique_ptr<host::Instance>> instances_;

  std::mutex mu_;
  std::condition_variable free_cv_;
  std::vector<host::Instance*> free_;  // guarded by mu_
};

}  // namespace adlik

#endif  // ADLIK_RUNTIME_HOST_BARE_MODEL_H_
