#include "frontends/grpc/grpc_infer_request.h"

#include <limits>
#include <optional>
#include <string>

#include "adlik/bytes_tensor.h"

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
  switch (in->type) {
    case DataType::kBool:
      Borrow(c.bool_contents(), in);
      return Status::Ok();
    case DataType::kInt32:
      Borrow(c.int_contents(), in);
      return Status::Ok();
    case DataType::kInt64:
      Borrow(c.int64_contents(), in);
      return Status::Ok();
    case DataType::kUint32:
      Borrow(c.uint_contents(), in);
      return Status::Ok();
    case DataType::kUint64:
      Borrow(c.uint64_contents(), in);
      return Status::Ok();
    case DataType::kFp32:
      Borrow(c.fp32_contents(), in);
      return Status::Ok();
    case DataType::kFp64:
      Borrow(c.fp64_contents(), in);
      return Status::Ok();
    case DataType::kInt8:
      RETURN_IF_ERROR(Narrow<int8_t>(c.int_contents(), where, &in->owned));
      break;
    case DataType::kInt16:
      RETURN_IF_ERROR(Narrow<int16_t>(c.int_contents(), where, &in->owned));
      break;
    case DataType::kUint8:
      RETURN_IF_ERROR(Narrow<uint8_t>(c.uint_contents(), where, &in->owned));
      break;
    case DataType::kUint16:
      RETURN_IF_ERROR(Narrow<uint16_t>(c.uint_contents(), where, &in->owned));
      break;
    case DataType::kBytes:
      for (const std::string& e : c.bytes_contents())
        AppendBytesElement(e, &in->owned);
      break;
    default:
      return InvalidArgument(
          where + ": " + std::string(DataTypeName(in->type)) +
          " has no typed contents field; send it in raw_input_contents");
  }
  in->UseOwned();
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<InferRequest>> FromProto(
    const inference::ModelInferRequest& m) {
  auto req = std::make_unique<InferRequest>();
  req->model_name = m.model_name();
  req->model_version = m.model_version();
  req->id = m.id();
  // Clients send these as int64 or uint64 (tritonclient: uint64).
  auto non_negative =
      [](const inference::InferParameter& p) -> std::optional<uint64_t> {
    if (p.parameter_choice_case() == inference::InferParameter::kUint64Param)
      return p.uint64_param();
    if (p.parameter_choice_case() == inference::InferParameter::kInt64Param &&
        p.int64_param() >= 0)
      return static_cast<uint64_t>(p.int64_param());
    return std::nullopt;
  };
  for (const auto& [key, p] : m.parameters()) {
    if (key == "priority") {
      auto v = non_negative(p);
      if (!v)
        return InvalidArgument("parameter 'priority' must be an integer >= 0");
      req->priority = static_cast<int64_t>(*v);
    } else if (key == "timeout") {
      auto v = non_negative(p);
      if (!v)
        return InvalidArgument(
            "parameter 'timeout' must be an integer >= 0 (microseconds)");
      req->timeout_us = *v;
    }
  }
  const bool raw = m.raw_input_contents_size() > 0;
  if (raw && m.raw_input_contents_size() != m.inputs_size()) {
    return InvalidArgument("raw_input_contents has " +
                           std::to_string(m.raw_input_contents_size()) +
                           " entries but there are " +
                           std::to_string(m.inputs_size()) + " inputs");
  }
  req->inputs.resize(m.inputs_size());
  for (int i = 0; i < m.inputs_size(); ++i) {
    const auto& t = m.inputs(i);
    InferInput& in = req->inputs[i];
    in.name = t.name();
    auto type = ParseDataType(t.datatype());
    if (!type || t.datatype().starts_with("TYPE_")) {
      return InvalidArgument("input '" + t.name() + "': unknown datatype '" +
                             t.datatype() + "'");
    }
    in.type = *type;
    for (int64_t d : t.shape()) {
      if (d < 0)
        return InvalidArgument("input '" + t.name() +
                               "': shape entries must be >= 0");
      in.shape.push_back(d);
    }
    if (raw) {
      if (t.has_contents()) {
        return InvalidArgument(
            "input '" + t.name() +
            "': contents given together with raw_input_contents");
      }
      in.data = m.raw_input_contents(i).data();
      in.byte_size = m.raw_input_contents(i).size();
    } else {
      RETURN_IF_ERROR(FromContents(t.contents(), &in));
    }
  }
  for (const auto& o : m.outputs()) {
    RequestedOutput out{o.name(), 0};
    if (auto it = o.parameters().find("classification");
        it != o.parameters().end()) {
      if (it->second.parameter_choice_case() !=
              inference::InferParameter::kInt64Param ||
          it->second.int64_param() < 1)
        return InvalidArgument("output '" + o.name() +
                               "': classification must be an int64 >= 1");
      out.classification = static_cast<uint32_t>(it->second.int64_param());
    }
    req->outputs.push_back(std::move(out));
  }
  return req;
}

}  // namespace adlik::grpc_frontend
