#include "frontends/tfserving/tfs_protocol.h"

#include <charconv>

#include "frontends/tfserving/model_spec.h"
#include "frontends/tfserving/tensor_proto.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"

namespace adlik::tfserving {
namespace {

namespace tfs = tensorflow::serving;

// `version` ("" or a decimal number) as an integer; 0 if not one.
int64_t VersionNumber(const std::string& version) {
  int64_t v = 0;
  std::from_chars(version.data(), version.data() + version.size(), v);
  return v;
}

void RenderTensors(
    const std::vector<TensorMetadata>& tensors,
    google::protobuf::Map<std::string, tensorflow::TensorInfo>* out) {
  for (const TensorMetadata& t : tensors) {
    tensorflow::TensorInfo& info = (*out)[t.name];
    info.set_name(t.name);
    info.set_dtype(ToTfType(t.type));
    for (int64_t d : t.shape)
      info.mutable_tensor_shape()->add_dim()->set_size(d);
  }
}

tfs::ModelVersionStatus::State StateOf(ModelState state) {
  switch (state) {
    case ModelState::kLoading:
      return tfs::ModelVersionStatus::LOADING;
    case ModelState::kReady:
      return tfs::ModelVersionStatus::AVAILABLE;
    case ModelState::kUnloading:
      return tfs::ModelVersionStatus::UNLOADING;
    case ModelState::kUnavailable:
      return tfs::ModelVersionStatus::END;
    case ModelState::kUnknown:
      break;
  }
  return tfs::ModelVersionStatus::UNKNOWN;
}

}  // namespace

Status CheckSignature(const std::string& model, const std::string& signature) {
  if (signature.empty() || signature == kDefaultSignature) return Status::Ok();
  return InvalidArgument("model '" + model + "' has no signature '" +
                         signature + "' (its only signature is '" +
                         kDefaultSignature + "')");
}

StatusOr<std::unique_ptr<InferRequest>> FromPredictRequest(
    const tfs::PredictRequest& m) {
  ASSIGN_OR_RETURN(std::string version, SpecVersion(m.model_spec()));
  RETURN_IF_ERROR(
      CheckSignature(m.model_spec().name(), m.model_spec().signature_name()));
  auto request = std::make_unique<InferRequest>();
  request->model_name = m.model_spec().name();
  request->model_version = std::move(version);
  request->inputs.reserve(m.inputs_size());
  for (const auto& [name, tensor] : m.inputs()) {
    ASSIGN_OR_RETURN(InferInput in, FromTensorProto(name, tensor));
    request->inputs.push_back(std::move(in));
  }
  for (InferInput& in : request->inputs) {
    if (in.data == nullptr) in.UseOwned();
  }
  for (const std::string& name : m.output_filter())
    request->outputs.push_back({name, 0});
  return request;
}

Status ToPredictResponse(const InferResponse& r, tfs::PredictResponse* m) {
  tfs::ModelSpec* spec = m->mutable_model_spec();
  spec->set_name(r.model_name);
  spec->mutable_version()->set_value(VersionNumber(r.model_version));
  spec->set_signature_name(kDefaultSignature);
  for (const Tensor& t : r.outputs)
    RETURN_IF_ERROR(ToTensorProto(t, &(*m->mutable_outputs())[t.name]));
  return Status::Ok();
}

void RenderModelMetadata(const ModelMetadata& metadata,
                         tfs::GetModelMetadataResponse* m) {
  tfs::ModelSpec* spec = m->mutable_model_spec();
  spec->set_name(metadata.name);
  if (!metadata.versions.empty()) {
    spec->mutable_version()->set_value(VersionNumber(metadata.versions.back()));
  }
  tfs::SignatureDefMap signatures;
  tensorflow::SignatureDef& def =
      (*signatures.mutable_signature_def())[kDefaultSignature];
  def.set_method_name(kPredictMethod);
  RenderTensors(metadata.inputs, def.mutable_inputs());
  RenderTensors(metadata.outputs, def.mutable_outputs());
  (*m->mutable_metadata())["signature_def"].PackFrom(signatures);
}

StatusOr<tfs::GetModelStatusResponse> ModelStatus(
    const std::string& model, const std::string& version,
    const std::vector<ModelIndexEntry>& index) {
  tfs::GetModelStatusResponse response;
  bool known = false;
  for (const ModelIndexEntry& e : index) {
    if (e.name != model) continue;
    known = true;
    if (e.version.empty() || (!version.empty() && e.version != version))
      continue;
    tfs::ModelVersionStatus* s = response.add_model_version_status();
    s->set_version(VersionNumber(e.version));
    s->set_state(StateOf(e.state));
    if (e.state == ModelState::kUnavailable) {
      s->mutable_status()->set_error_code(tensorflow::error::UNAVAILABLE);
    }
    s->mutable_status()->set_error_message(e.reason);
  }
  if (!known) return NotFound("model '" + model + "' is not known");
  if (response.model_version_status_size() == 0) {
    return NotFound("model '" + model + "' has " +
                    (version.empty() ? "no version" : "no version " + version));
  }
  return response;
}

}  // namespace adlik::tfserving
