#include "frontends/grpc/grpc_infer_request.h"

#include <limits>
#include <optional>
#include <string>

#include "adlik/bytes_tensor.h"
#include "frontends/grpc/tensor_contents.h"
#include "frontends/kserve/kserve_protocol.h"

namespace adlik::grpc_frontend {
namespace {

template <typename T, typename Field>
Status Narrow(const Field& values, const std::string& where, std::string* out) {
  out->resize(values.size() * sizeof(T));
  T* dst = reinterpret_cast<T*>(out->data());
  for (int i = 0; i < values.size(); ++i) {
    const auto v = values[i];
    if (v < std::numeric_limits<T>::min() ||
        v > std::numeric_limits<T>::max()) {
      return InvalidArgument(where + ": element " + std::to_string(i) + " (" +
                             std::to_string(v) + ") is out of range");
    }
    dst[i] = static_cast<T>(v);
  }
  return Status::Ok();
}

template <typename Field>
void Borrow(const Field& values, InferInput* in) {
  in->data = reinterpret_cast<const char*>(values.data());
  in->byte_size = values.size() * sizeof(values[0]);
}

// Typed contents to the tensor's bytes: the protocol's native widths are
// read in place, narrower types converted.
Status FromContents(const inference::InferTensorContents& c, InferInput* in) {
  const std::string where = "input '" + in->name + "'";
  return VisitDataType(in->type, [&](auto tag) -> Status {
    using T = typename decltype(tag)::Element;
    if constexpr (!kHasContentsField<T>) {
      return InvalidArgument(
          where + ": " + std::string(decltype(tag)::kName) +
          " has no typed contents field; send it in raw_input_contents");
    } else {
      const auto& field = ContentsField<T>(c);
      if constexpr (std::is_same_v<T, std::string_view>) {
        for (const std::string& e : field) AppendBytesElement(e, &in->owned);
      } else if constexpr (sizeof(field[0]) == sizeof(T)) {
        Borrow(field, in);
        return Status::Ok();
      } else {
        RETURN_IF_ERROR(Narrow<T>(field, where, &in->owned));
      }
      in->UseOwned();
      return Status::Ok();
    }
  });
}

kserve::ParameterValue ToParameter(const inference::InferParameter& p) {
  switch (p.parameter_choice_case()) {
    case inference::InferParameter::kBoolParam:
      return p.bool_param();
    case inference::InferParameter::kInt64Param:
      return p.int64_param();
    case inference::InferParameter::kUint64Param:
      return p.uint64_param();
    case inference::InferParameter::kDoubleParam:
      return p.double_param();
    case inference::InferParameter::kStringParam:
      return std::string_view(p.string_param());
    default:
      return std::monostate();
  }
}

}  // namespace

// The tensor's shared_memory_* parameters; `what` names it.
template <typename Params>
StatusOr<std::optional<kserve::SharedMemoryRef>> SharedMemoryOf(
    const Params& parameters, const std::string& what) {
  kserve::SharedMemoryParameters params;
  for (const auto& [key, p] : parameters) {
    bool taken = false;
    RETURN_IF_ERROR(kserve::ApplySharedMemoryParameter(
        what, key, ToParameter(p), &params, &taken));
  }
  return kserve::FinishSharedMemoryRef(what, params);
}

StatusOr<std::unique_ptr<InferRequest>> FromProto(
    const inference::ModelInferRequest& m, kserve::SharedMemoryRefs* shm) {
  auto req = std::make_unique<InferRequest>();
  req->model_name = m.model_name();
  RETURN_IF_ERROR(kserve::CheckModelVersion(m.model_version()));
  req->model_version = m.model_version();
  req->id = m.id();
  for (const auto& [key, p] : m.parameters()) {
    RETURN_IF_ERROR(
        kserve::ApplyRequestParameter(key, ToParameter(p), req.get()));
  }
  shm->inputs.assign(m.inputs_size(), std::nullopt);
  int in_shm = 0;
  for (int i = 0; i < m.inputs_size(); ++i) {
    ASSIGN_OR_RETURN(shm->inputs[i],
                     SharedMemoryOf(m.inputs(i).parameters(),
                                    "input '" + m.inputs(i).name() + "'"));
    if (shm->inputs[i]) ++in_shm;
  }
  const bool raw = m.raw_input_contents_size() > 0;
  if (raw && m.raw_input_contents_size() != m.inputs_size() - in_shm) {
    return InvalidArgument(
        "raw_input_contents has " +
        std::to_string(m.raw_input_contents_size()) +
        " entries but there are " + std::to_string(m.inputs_size() - in_shm) +
        " inputs" + (in_shm > 0 ? " not in shared memory" : ""));
  }
  int next_raw = 0;
  req->inputs.resize(m.inputs_size());
  for (int i = 0; i < m.inputs_size(); ++i) {
    const auto& t = m.inputs(i);
    InferInput& in = req->inputs[i];
    in.name = t.name();
    ASSIGN_OR_RETURN(in.type,
                     kserve::ParseTensorDataType(t.name(), t.datatype()));
    for (int64_t d : t.shape()) {
      RETURN_IF_ERROR(kserve::CheckDimension(t.name(), d));
      in.shape.push_back(d);
    }
    if (shm->inputs[i]) {
      if (t.has_contents()) {
        return InvalidArgument("input '" + t.name() +
                               "': has both shared_memory_region and contents");
      }
      in.byte_size = shm->inputs[i]->byte_size;
    } else if (raw) {
      if (t.has_contents()) {
        return InvalidArgument(
            "input '" + t.name() +
            "': contents given together with raw_input_contents");
      }
      in.data = m.raw_input_contents(next_raw).data();
      in.byte_size = m.raw_input_contents(next_raw).size();
      ++next_raw;
    } else {
      RETURN_IF_ERROR(FromContents(t.contents(), &in));
    }
  }
  for (const auto& o : m.outputs()) {
    RequestedOutput out{o.name(), 0};
    for (const auto& [key, p] : o.parameters()) {
      RETURN_IF_ERROR(kserve::ApplyOutputParameter(key, ToParameter(p), &out));
    }
    ASSIGN_OR_RETURN(auto where, SharedMemoryOf(o.parameters(),
                                                "output '" + o.name() + "'"));
    shm->outputs.push_back(std::move(where));
    req->outputs.push_back(std::move(out));
  }
  return req;
}

void ToProto(const InferResponse& r, inference::ModelInferResponse* m,
             const std::vector<std::optional<kserve::SharedMemoryRef>>& shm) {
  m->set_model_name(r.model_name);
  m->set_model_version(r.model_version);
  m->set_id(r.id);
  for (size_t i = 0; i < r.outputs.size(); ++i) {
    const Tensor& t = r.outputs[i];
    auto* out = m->add_outputs();
    out->set_name(t.name);
    out->set_datatype(std::string(DataTypeName(t.type)));
    for (int64_t d : t.shape) out->add_shape(d);
    std::string* raw = m->add_raw_output_contents();
    if (i < shm.size() && shm[i]) {
      auto& params = *out->mutable_parameters();
      params["shared_memory_region"].set_string_param(shm[i]->region);
      params["shared_memory_offset"].set_uint64_param(shm[i]->offset);
      params["shared_memory_byte_size"].set_uint64_param(shm[i]->byte_size);
    } else {
      raw->assign(t.data, t.byte_size);
    }
  }
}

}  // namespace adlik::grpc_frontend
