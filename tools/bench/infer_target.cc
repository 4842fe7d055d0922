#include "infer_target.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "adlik/tensor.h"

namespace adlik::bench {
int InstanceCount(const inference::ModelConfig& config) {
  int n = 0;
  for (const auto& g : config.instance_group()) {
    const int devices = g.kind() == inference::ModelInstanceGroup::KIND_GPU
                            ? std::max(1, g.gpus_size())
                            : 1;
    n += std::max(1, g.count()) * devices;
  }
  return std::max(1, n);
}

namespace {

host::DeviceKind Kind(const inference::ModelConfig& config) {
  if (config.instance_group().empty()) return host::DeviceKind::kCpu;
  switch (config.instance_group(0).kind()) {
    case inference::ModelInstanceGroup::KIND_GPU:
      return host::DeviceKind::kGpu;
    case inference::ModelInstanceGroup::KIND_MODEL:
      return host::DeviceKind::kVendor;
    default:
      return host::DeviceKind::kCpu;
  }
}

void SortByName(std::vector<OwnedTensor>* tensors) {
  std::sort(tensors->begin(), tensors->end(),
            [](const OwnedTensor& a, const OwnedTensor& b) {
              return a.name < b.name;
            });
}

template <typename T>
double MaxDiff(std::string_view a, std::string_view b, double atol, double rtol,
               bool* ok) {
  const size_t n = a.size() / sizeof(T);
  double worst = 0;
  for (size_t i = 0; i < n; ++i) {
    T x, y;
    std::memcpy(&x, a.data() + i * sizeof(T), sizeof(T));
    std::memcpy(&y, b.data() + i * sizeof(T), sizeof(T));
    const double dx = static_cast<double>(x), dy = static_cast<double>(y);
    if (std::isnan(dx) && std::isnan(dy)) continue;
    const double d = std::fabs(dx - dy);
    if (!(d <= atol + rtol * std::fabs(dy))) *ok = false;
    if (d > worst || std::isnan(d)) worst = d;
  }
  return worst;
}

}  // namespace

BareTarget::BareTarget(std::shared_ptr<ServedModel> model,
                       std::vector<InputSpec> inputs,
                       std::vector<std::string> outputs)
    : model_(std::move(model)),
      inputs_(std::move(inputs)),
      outputs_(std::move(outputs)) {}

BareTarget::~BareTarget() {
  free_.clear();
  instances_.clear();  // before the model
}

Status BareTarget::Prepare(int workers) {
  const inference::ModelConfig& config = model_->config();
  const int n = std::min(std::max(1, workers), InstanceCount(config));
  for (int i = 0; i < n; ++i) {
    host::InstanceSpec spec;
    spec.name = model_->name() + "_bench_" + std::to_string(i);
    spec.kind = Kind(config);
    ASSIGN_OR_RETURN(auto instance,
                     model_->runtime_model().CreateInstance(spec));
    free_.push_back(instance.get());
    instances_.push_back(std::move(instance));
  }
  return Status::Ok();
}

host::Instance* BareTarget::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return !free_.empty(); });
  host::Instance* instance = free_.back();
  free_.pop_back();
  return instance;
}

void BareTarget::Release(host::Instance* instance) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(instance);
  }
  cv_.notify_one();
}

Status BareTarget::Infer(int worker, const InputSet& set,
                         std::vector<OwnedTensor>* outputs) {
  std::vector<TensorView> views(inputs_.size());
  for (size_t k = 0; k < inputs_.size(); ++k) {
    views[k] = {inputs_[k].name, inputs_[k].type, inputs_[k].shape,
                set.data[k].data(), set.data[k].size()};
  }
  std::vector<Tensor> results;
  host::Instance* instance = Acquire();
  const Status s = host::ExecuteOne(*instance, views, outputs_, &results);
  Release(instance);
  RETURN_IF_ERROR(s);
  for (const std::string& name : outputs_) {
    auto it = std::find_if(results.begin(), results.end(),
                           [&](const Tensor& t) { return t.name == name; });
    if (it == results.end())
      return Internal("the runtime did not produce output '" + name + "'");
  }
  if (outputs != nullptr) {
    outputs->clear();
    for (const Tensor& t : results) {
      if (std::find(outputs_.begin(), outputs_.end(), t.name) == outputs_.end())
        continue;
      outputs->push_back(
          {t.name, t.type, t.shape, std::string(t.data, t.byte_size)});
    }
    SortByName(outputs);
  }
  return Status::Ok();
}

ClientTarget::ClientTarget(std::string name, ClientFactory factory,
                           std::string model, std::vector<InputSpec> inputs,
                           std::vector<std::string> outputs)
    : name_(std::move(name)),
      factory_(std::move(factory)),
      model_(std::move(model)),
      inputs_(std::move(inputs)) {
  options_.outputs = std::move(outputs);
}

Status ClientTarget::Prepare(int workers) {
  for (int i = 0; i < std::max(1, workers); ++i) {
    ASSIGN_OR_RETURN(auto client, factory_());
    clients_.push_back(std::move(client));
  }
  return Status::Ok();
}

Status ClientTarget::Infer(int worker, const InputSet& set,
                           std::vector<OwnedTensor>* outputs) {
  std::vector<client::InferInput> inputs(inputs_.size());
  for (size_t k = 0; k < inputs_.size(); ++k) {
    inputs[k] = {inputs_[k].name, inputs_[k].type, inputs_[k].shape,
                 set.data[k]};
  }
  client::InferResult result;
  RETURN_IF_ERROR(clients_[worker]->Infer(model_, inputs, options_, &result));
  for (const std::string& name : options_.outputs) {
    if (result.Find(name) == nullptr) {
      return Internal("the " + name_ + " response has no output '" + name +
                      "'");
    }
  }
  if (outputs != nullptr) {
    outputs->clear();
    for (const auto& o : result.outputs) {
      outputs->push_back({o.name, o.type, o.shape, std::string(o.data)});
    }
    SortByName(outputs);
  }
  return Status::Ok();
}

Status CompareOutputs(const std::vector<OwnedTensor>& got,
                      const std::vector<OwnedTensor>& want,
                      double* max_abs_diff) {
  constexpr double kAtol = 1e-4, kRtol = 1e-3;
  *max_abs_diff = 0;
  if (got.size() != want.size()) {
    return Internal(std::to_string(got.size()) + " outputs, expected " +
                    std::to_string(want.size()));
  }
  for (size_t i = 0; i < got.size(); ++i) {
    const OwnedTensor& a = got[i];
    const OwnedTensor& b = want[i];
    const std::string where = "output '" + b.name + "'";
    if (a.name != b.name)
      return Internal("output '" + a.name + "' where " + where +
                      " was expected");
    if (a.type != b.type)
      return Internal(where + ": type " + std::string(DataTypeName(a.type)));
    if (a.shape != b.shape) return Internal(where + ": shapes differ");
    if (a.data.size() != b.data.size())
      return Internal(where + ": sizes differ");
    bool ok = true;
    double d = 0;
    VisitDataType(a.type, [&](auto tag) {
      using T = typename decltype(tag)::Element;
      if constexpr (std::is_floating_point_v<T>) {
        d = MaxDiff<T>(a.data, b.data, kAtol, kRtol, &ok);
      } else {
        ok = a.data == b.data;  // integers, bytes, and 16-bit floats
      }
    });
    *max_abs_diff = std::max(*max_abs_diff, d);
    if (!ok)
      return Internal(where + ": values differ (max |diff| " +
                      std::to_string(d) + ")");
  }
  return Status::Ok();
}

}  // namespace adlik::bench
