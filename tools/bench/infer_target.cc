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
