#include "runtime_host/bare_model.h"

#include <algorithm>
#include <utility>

namespace adlik {

StatusOr<std::unique_ptr<BareModel>> BareModel::Load(host::Runtime& runtime,
                                                     host::ModelSpec spec) {
  ASSIGN_OR_RETURN(std::unique_ptr<host::Model> model, runtime.LoadModel(spec));
  return std::unique_ptr<BareModel>(
      new BareModel(std::move(spec), std::move(model)));
}

BareModel::BareModel(host::ModelSpec spec, std::unique_ptr<host::Model> model)
    : spec_(std::move(spec)), model_(std::move(model)) {}

BareModel::~BareModel() {
  free_.clear();
  instances_.clear();  // before the model
  model_.reset();
}

Status BareModel::AddInstances(int count, host::DeviceKind kind,
                               int device_id) {
  for (int i = 0; i < count; ++i) {
    host::InstanceSpec spec;
    spec.name = spec_.name + "_bare_" + std::to_string(instances_.size());
    spec.kind = kind;
    spec.device_id = device_id;
    ASSIGN_OR_RETURN(std::unique_ptr<host::Instance> instance,
                     model_->CreateInstance(spec));
    {
      std::lock_guard<std::mutex> lock(mu_);
      free_.push_back(instance.get());
    }
    instances_.push_back(std::move(instance));
  }
  return Status::Ok();
}

host::Instance* BareModel::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  free_cv_.wait(lock, [this] { return !free_.empty(); });
  host::Instance* instance = free_.back();
  free_.pop_back();
  return instance;
}

void BareModel::Release(host::Instance* instance) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(instance);
  }
  free_cv_.notify_one();
}

Status BareModel::Run(std::span<const TensorView> inputs,
                      std::span<const std::string> output_names,
                      std::vector<Tensor>* outputs) {
  if (instances_.empty()) {
    return Internal("model '" + spec_.name +
                    "' has no instance to run on (AddInstances)");
  }
  std::vector<Tensor> results;
  host::Instance* instance = Acquire();
  const Status s = host::ExecuteOne(*instance, inputs, output_names, &results);
  Release(instance);
  RETURN_IF_ERROR(s);
  outputs->clear();
  for (const std::string& name : output_names) {
    auto named = [&](const Tensor& t) { return t.name == name; };
    auto it = std::find_if(results.begin(), results.end(), named);
    if (it != results.end()) {
      outputs->push_back(std::move(*it));
      it->name.clear();  // taken
      continue;
    }
    // A name asked twice: the same tensor again (its bytes are shared).
    auto again = std::find_if(outputs->begin(), outputs->end(), named);
    if (again == outputs->end() || name.empty()) {
      return Internal("model '" + spec_.name +
                      "': the runtime did not produce output '" + name + "'");
    }
    outputs->push_back(Tensor(*again));
  }
  return Status::Ok();
}

}  // namespace adlik
