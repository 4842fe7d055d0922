#include "lifecycle/reshaping_instance.h"

#include <utility>

#include "config/tensor_reshape.h"

namespace adlik {
namespace {

// Forwards a decoupled model's responses with their outputs reshaped.
class ReshapingResponder : public host::Responder {
 public:
  ReshapingResponder(std::shared_ptr<host::Responder> inner,
                     std::shared_ptr<const Reshapes> reshapes)
      : inner_(std::move(inner)), reshapes_(std::move(reshapes)) {}

  Status Send(std::optional<StatusOr<std::vector<Tensor>>> response,
              bool final) override {
    if (response && response->ok()) {
      Status s = ReshapeOutputs(*reshapes_, &response->value());
      if (!s.ok()) response = StatusOr<std::vector<Tensor>>(s);
    }
    return inner_->Send(std::move(response), final);
  }

 private:
  std::shared_ptr<host::Responder> inner_;
  std::shared_ptr<const Reshapes> reshapes_;
};

template <typename List>
void Collect(const List& tensors,
             std::map<std::string, Reshapes::Pair, std::less<>>* out) {
  for (const auto& t : tensors) {
    if (!t.has_reshape()) continue;
    (*out)[t.name()] = {
        {t.dims().begin(), t.dims().end()},
        {t.reshape().shape().begin(), t.reshape().shape().end()}};
  }
}

}  // namespace

Reshapes Reshapes::Of(const inference::ModelConfig& config) {
  Reshapes r;
  r.leading = config.max_batch_size() > 0 ? 1 : 0;
  Collect(config.input(), &r.inputs);
  Collect(config.output(), &r.outputs);
  return r;
}

Status ReshapeOutputs(const Reshapes& reshapes, std::vector<Tensor>* outputs) {
  for (Tensor& t : *outputs) {
    auto it = reshapes.outputs.find(t.name);
    if (it == reshapes.outputs.end()) continue;
    auto shape = config::MapShape(it->second.reshape, it->second.dims, t.shape,
                                  reshapes.leading);
    if (!shape.ok()) {
      return Internal("output '" + t.name + "' of the runtime: " +
                      shape.status().message() + " (config reshape)");
    }
    t.shape = std::move(shape).value();
  }
  return Status::Ok();
}

ReshapingInstance::ReshapingInstance(std::unique_ptr<host::Instance> inner,
                                     std::shared_ptr<const Reshapes> reshapes)
    : inner_(std::move(inner)), reshapes_(std::move(reshapes)) {}

Status ReshapingInstance::Execute(const host::Batch& batch,
                                  host::BatchResult* result) {
  std::vector<TensorView> inputs(batch.inputs.begin(), batch.inputs.end());
  std::vector<std::vector<int64_t>> shapes;
  shapes.reserve(inputs.size());  // the views point into it
  for (TensorView& in : inputs) {
    auto it = reshapes_->inputs.find(in.name);
    if (it == reshapes_->inputs.end()) continue;
    auto shape = config::MapShape(it->second.dims, it->second.reshape, in.shape,
                                  reshapes_->leading);
    if (!shape.ok()) {
      return shape.status().WithPrefix("input '" + std::string(in.name) + "'");
    }
    in.shape = shapes.emplace_back(std::move(shape).value());
  }
  std::vector<std::shared_ptr<host::Responder>> responders;
  responders.reserve(batch.responders.size());
  for (const auto& r : batch.responders) {
    responders.push_back(std::make_shared<ReshapingResponder>(r, reshapes_));
  }
  host::Batch reshaped = batch;
  reshaped.inputs = inputs;
  reshaped.responders = responders;
  RETURN_IF_ERROR(inner_->Execute(reshaped, result));
  return ReshapeOutputs(*reshapes_, &result->outputs);
}

}  // namespace adlik
