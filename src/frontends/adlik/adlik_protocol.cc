#include "frontends/adlik/adlik_protocol.h"

#include <charconv>
#include <cstdlib>

#include "adlik/bytes_tensor.h"
#include "base/shape_string.h"
#include "frontends/tfserving/tensor_proto.h"

namespace adlik::adlik_api {
namespace {

using tfserving::ToTfType;

int64_t VersionNumber(const std::string& version) {
  int64_t v = 0;
  std::from_chars(version.data(), version.data() + version.size(), v);
  return v;
}

// A classification entry "score:index[:label]" (server/classification.h).
Status ParseClass(std::string_view entry, as::PredictResponse::Class* c) {
  const size_t colon = entry.find(':');
  if (colon == std::string_view::npos) return Internal("bad class entry");
  const std::string score(entry.substr(0, colon));
  c->set_score(std::strtof(score.c_str(), nullptr));
  std::string_view rest = entry.substr(colon + 1);
  const size_t label = rest.find(':');
  int32_t idx = 0;
  std::from_chars(rest.data(), rest.data() + std::min(label, rest.size()), idx);
  c->set_idx(idx);
  if (label != std::string_view::npos)
    c->set_label(std::string(rest.substr(label + 1)));
  return Status::Ok();
}

as::ModelReadyState ReadyState(ModelState s) {
  switch (s) {
    case ModelState::kReady:
      return as::MODEL_READY;
    case ModelState::kLoading:
      return as::MODEL_LOADING;
    case ModelState::kUnloading:
      return as::MODEL_UNLOADING;
    case ModelState::kUnavailable:
      return as::MODEL_UNAVAILABLE;
    case ModelState::kUnknown:
      break;
  }
  return as::MODEL_UNKNOWN;
}

}  // namespace

StatusOr<std::unique_ptr<InferRequest>> FromPredictRequest(
    const as::PredictRequest& m, const ModelMetadata& metadata) {
  if (m.batch_size() < 1) {
    return InvalidArgument("model '" + metadata.name +
                           "': batch_size must be >= 1 (it is " +
                           std::to_string(m.batch_size()) + ")");
  }
  auto request = std::make_unique<InferRequest>();
  request->model_name = metadata.name;
  request->inputs.reserve(m.inputs_size());
  for (const auto& [name, tensor] : m.inputs()) {
    const TensorMetadata* spec = nullptr;
    for (const TensorMetadata& t : metadata.inputs) {
      if (t.name == name) spec = &t;
    }
    // The core names an unknown input; only a known one has a shape to take.
    const bool batched =
        spec != nullptr && !spec->shape.empty() && spec->shape[0] == -1;
    std::vector<int64_t> implied;
    if (spec != nullptr && !tensor.has_tensor_shape()) {
      implied = spec->shape;
      if (batched) implied[0] = m.batch_size();
      for (int64_t d : implied) {
        if (d < 0) {
          return InvalidArgument("input '" + name + "': the model's shape " +
                                 ShapeString(spec->shape) +
                                 " has a variable dimension: give "
                                 "tensor_shape");
        }
      }
    }
    ASSIGN_OR_RETURN(InferInput in,
                     tfserving::FromTensorProto(
                         name, tensor, spec != nullptr ? &implied : nullptr));
    if (batched && tensor.has_tensor_shape() &&
        (in.shape.empty() ||
         in.shape[0] != static_cast<int64_t>(m.batch_size()))) {
      return InvalidArgument(
          "input '" + name + "': tensor_shape " + ShapeString(in.shape) +
          " does not start with batch_size " + std::to_string(m.batch_size()));
    }
    request->inputs.push_back(std::move(in));
  }
  for (InferInput& in : request->inputs) {
    if (in.data == nullptr) in.UseOwned();
  }
  for (const auto& [name, filter] : m.output_filter())
    request->outputs.push_back({name, filter.cls().count()});
  return request;
}

Status ToPredictResponse(const InferResponse& r,
                         const as::PredictRequest& request,
                         as::PredictResponse* m) {
  as::ModelSpec* spec = m->mutable_model_spec();
  spec->set_name(r.model_name);
  spec->mutable_version()->set_value(VersionNumber(r.model_version));
  spec->set_signature_name(request.model_spec().signature_name());
  for (const Tensor& t : r.outputs) {
    as::PredictResponse::Output& out = (*m->mutable_outputs())[t.name];
    auto filter = request.output_filter().find(t.name);
    if (filter == request.output_filter().end() ||
        filter->second.cls().count() == 0) {
      RETURN_IF_ERROR(tfserving::ToTensorProto(t, out.mutable_tensor()));
      continue;
    }
    // [batch, K] (or [K]) BYTES entries from the core's classification.
    const int64_t rows = t.shape.size() == 2 ? t.shape[0] : 1;
    const int64_t k = t.shape.empty() ? 0 : t.shape.back();
    ASSIGN_OR_RETURN(auto entries,
                     SplitBytesElements({t.data, t.byte_size}, rows * k));
    for (int64_t row = 0; row < rows; ++row) {
      as::PredictResponse::Classes* classes = out.add_batch_classes();
      for (int64_t i = 0; i < k; ++i)
        RETURN_IF_ERROR(ParseClass(entries[row * k + i], classes->add_cls()));
    }
  }
  return Status::Ok();
}

void RenderModelMeta(const inference::ModelConfig& config,
                     const std::vector<ModelIndexEntry>& index,
                     as::GetModelMetaResponse* m) {
  m->mutable_model_spec()->set_name(config.name());
  as::ModelConfigProto* c = m->mutable_config();
  c->set_name(config.name());
  c->set_platform(config.platform());
  c->set_max_batch_size(config.max_batch_size());
  for (const auto& in : config.input()) {
    as::ModelInput* i = c->add_input();
    i->set_name(in.name());
    i->set_data_type(ToTfType(static_cast<DataType>(in.data_type())));
    i->set_format(static_cast<as::ModelInput::Format>(in.format()));
    *i->mutable_dims() = in.dims();
  }
  for (const auto& out : config.output()) {
    as::ModelOutput* o = c->add_output();
    o->set_name(out.name());
    o->set_data_type(ToTfType(static_cast<DataType>(out.data_type())));
    *o->mutable_dims() = out.dims();
    o->set_label_filename(out.label_filename());
  }
  if (config.has_dynamic_batching()) {
    as::ModelDynamicBatching* b = c->mutable_dynamic_batching();
    *b->mutable_preferred_batch_size() =
        config.dynamic_batching().preferred_batch_size();
    b->set_max_queue_delay_microseconds(static_cast<int32_t>(std::min<uint64_t>(
        config.dynamic_batching().max_queue_delay_microseconds(), INT32_MAX)));
  }
  for (const auto& g : config.instance_group()) {
    as::ModelInstanceGroup* group = c->add_instance_group();
    group->set_name(g.name());
    // KIND_MODEL has no Adlik counterpart: it reads as KIND_AUTO.
    group->set_kind(g.kind() <= inference::ModelInstanceGroup::KIND_CPU
                        ? static_cast<as::ModelInstanceGroup::Kind>(g.kind())
                        : as::ModelInstanceGroup::KIND_AUTO);
    group->set_count(g.count());
    *group->mutable_gpus() = g.gpus();
  }
  for (const ModelIndexEntry& e : index) {
    if (e.name != config.name() || e.version.empty()) continue;
    (*m->mutable_version_status())[static_cast<uint32_t>(
                                       VersionNumber(e.version))]
        .set_ready_state(ReadyState(e.state));
  }
}

void RenderModels(const std::vector<ModelIndexEntry>& index,
                  const std::string& model, as::ModelOperateResponse* m) {
  for (const ModelIndexEntry& e : index) {
    if (!model.empty() && e.name != model) continue;
    as::ModelOperateResponse::ModelInfo& info = (*m->mutable_models())[e.name];
    if (e.version.empty()) continue;
    as::ModelOperateResponse::Version* v = info.add_versions();
    v->set_version_no(VersionNumber(e.version));
    v->set_state(std::string(ModelStateName(e.state)));
  }
}

Status RefuseTask(std::string_view call) {
  return Unimplemented(
      std::string(call) +
      ": machine-learning tasks are not run by this server: the original's "
      "tasks read and write CSV files named in the request on the server's "
      "disk, and this server reads no file a request names. Tree models "
      "(XGBoost, LightGBM, scikit-learn) are served by the treelite runtime "
      "through predict");
}

}  // namespace adlik::adlik_api
