#include "frontends/kserve/kserve_json.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "base/utf8.h"
#include "frontends/kserve/json_parse.h"
#include "frontends/kserve/kserve_protocol.h"
#include "frontends/kserve/tensor_json.h"

namespace adlik::kserve {
namespace {

using rapidjson::Value;

kserve::ParameterValue ToParameter(const Value& v) {
  if (v.IsBool()) return v.GetBool();
  if (v.IsInt64()) return v.GetInt64();
  if (v.IsUint64()) return v.GetUint64();
  if (v.IsNumber()) return v.GetDouble();
  if (v.IsString()) return std::string_view(v.GetString(), v.GetStringLength());
  return std::monostate();
}

// Applies every member of `obj.parameters` through `apply` (key, value).
template <typename Apply>
Status ForEachParameter(const Value& obj, Apply apply) {
  auto p = obj.FindMember("parameters");
  if (p == obj.MemberEnd()) return Status::Ok();
  if (!p->value.IsObject())
    return InvalidArgument("'parameters' must be an object");
  for (const auto& m : p->value.GetObject()) {
    RETURN_IF_ERROR(
        apply(std::string_view(m.name.GetString(), m.name.GetStringLength()),
              ToParameter(m.value)));
  }
  return Status::Ok();
}

// Reads `parameters.<key>` of an object as the given kind.
const Value* Param(const Value& obj, const char* key) {
  auto p = obj.FindMember("parameters");
  if (p == obj.MemberEnd() || !p->value.IsObject()) return nullptr;
  auto m = p->value.FindMember(key);
  return m == p->value.MemberEnd() ? nullptr : &m->value;
}

// The tensor's shared_memory_* parameters; `what` names it.
StatusOr<std::optional<SharedMemoryRef>> SharedMemoryOf(const Value& v,
                                                        std::string_view what) {
  SharedMemoryParameters params;
  RETURN_IF_ERROR(ForEachParameter(
      v, [&](std::string_view key, const kserve::ParameterValue& value) {
        bool taken = false;
        return ApplySharedMemoryParameter(what, key, value, &params, &taken);
      }));
  return FinishSharedMemoryRef(what, params);
}

Status ParseInput(const Value& v, size_t index, const char* binary,
                  size_t binary_size, size_t* binary_offset, InferInput* in,
                  std::optional<SharedMemoryRef>* shm) {
  const std::string at = "inputs[" + std::to_string(index) + "]";
  if (!v.IsObject()) return InvalidArgument(at + ": must be an object");
  auto name = v.FindMember("name");
  if (name == v.MemberEnd() || !name->value.IsString())
    return InvalidArgument(at + ": 'name' (a string) is required");
  in->name = name->value.GetString();
  const std::string where = "input '" + in->name + "'";
  auto dt = v.FindMember("datatype");
  if (dt == v.MemberEnd() || !dt->value.IsString())
    return InvalidArgument(where + ": 'datatype' (a string) is required");
  ASSIGN_OR_RETURN(
      in->type, kserve::ParseTensorDataType(
                    in->name, std::string_view(dt->value.GetString(),
                                               dt->value.GetStringLength())));
  auto shape = v.FindMember("shape");
  if (shape == v.MemberEnd() || !shape->value.IsArray())
    return InvalidArgument(where +
                           ": 'shape' (an array of integers) is required");
  for (const Value& d : shape->value.GetArray()) {
    RETURN_IF_ERROR(
        kserve::CheckDimension(in->name, d.IsInt64() ? d.GetInt64() : -1));
    in->shape.push_back(d.GetInt64());
  }
  ASSIGN_OR_RETURN(*shm, SharedMemoryOf(v, where));
  if (*shm) {
    if (v.HasMember("data") || Param(v, "binary_data_size") != nullptr) {
      return InvalidArgument(where +
                             ": has both shared_memory_region and data "
                             "('data' or binary_data_size)");
    }
    in->byte_size = (*shm)->byte_size;
    return Status::Ok();
  }
  if (const Value* size = Param(v, "binary_data_size")) {
    if (!size->IsUint64())
      return InvalidArgument(where +
                             ": binary_data_size must be an integer >= 0");
    const uint64_t n = size->GetUint64();
    if (n > binary_size - *binary_offset) {
      return InvalidArgument(where + ": binary_data_size " + std::to_string(n) +
                             " runs past the end of the body (" +
                             std::to_string(binary_size - *binary_offset) +
                             " bytes of binary data left)");
    }
    if (v.HasMember("data"))
      return InvalidArgument(where + ": has both 'data' and binary_data_size");
    in->data = binary + *binary_offset;
    in->byte_size = n;
    *binary_offset += n;
    return Status::Ok();
  }
  auto data = v.FindMember("data");
  if (data == v.MemberEnd())
    return InvalidArgument(
        where + ": 'data' or parameters.binary_data_size is required");
  RETURN_IF_ERROR(DecodeTensorData(data->value, in->type, in->shape, &in->owned)
                      .WithPrefix(where));
  in->UseOwned();
  return Status::Ok();
}

}  // namespace

StatusOr<ParsedInferRequest> ParseInferRequest(
    std::string body, std::optional<size_t> header_length) {
  auto holder = std::make_shared<std::string>(std::move(body));
  const size_t json_length = header_length.value_or(holder->size());
  if (json_length > holder->size()) {
    return InvalidArgument("Inference-Header-Content-Length " +
                           std::to_string(json_length) +
                           " is larger than the body (" +
                           std::to_string(holder->size()) + " bytes)");
  }
  rapidjson::Document doc;
  RETURN_IF_ERROR(ParseJson(std::string_view(holder->data(), json_length),
                            "inference request", &doc));
  if (!doc.IsObject())
    return InvalidArgument("the request must be a JSON object");

  ParsedInferRequest parsed;
  parsed.request = std::make_unique<InferRequest>();
  InferRequest& req = *parsed.request;
  if (auto id = doc.FindMember("id"); id != doc.MemberEnd()) {
    if (!id->value.IsString()) return InvalidArgument("'id' must be a string");
    req.id = id->value.GetString();
  }
  if (const Value* b = Param(doc, "binary_data_output")) {
    if (!b->IsBool())
      return InvalidArgument("parameters.binary_data_output must be a boolean");
    parsed.binary_by_default = b->GetBool();
  }
  RETURN_IF_ERROR(ForEachParameter(
      doc, [&req](std::string_view key, const kserve::ParameterValue& v) {
        return kserve::ApplyRequestParameter(key, v, &req);
      }));

  auto inputs = doc.FindMember("inputs");
  if (inputs == doc.MemberEnd() || !inputs->value.IsArray())
    return InvalidArgument("'inputs' (an array) is required");
  const char* binary = holder->data() + json_length;
  const size_t binary_size = holder->size() - json_length;
  size_t offset = 0;
  req.inputs.resize(inputs->value.Size());
  parsed.shm.inputs.resize(inputs->value.Size());
  for (rapidjson::SizeType i = 0; i < inputs->value.Size(); ++i) {
    RETURN_IF_ERROR(ParseInput(inputs->value[i], i, binary, binary_size,
                               &offset, &req.inputs[i], &parsed.shm.inputs[i]));
  }
  if (offset != binary_size) {
    return InvalidArgument(
        "the body has " + std::to_string(binary_size) +
        " bytes of binary data after the JSON header, but the inputs "
        "declare " +
        std::to_string(offset) + " (binary_data_size)");
  }
  if (auto outputs = doc.FindMember("outputs"); outputs != doc.MemberEnd()) {
    if (!outputs->value.IsArray())
      return InvalidArgument("'outputs' must be an array");
    for (const Value& o : outputs->value.GetArray()) {
      auto name = o.IsObject() ? o.FindMember("name") : o.MemberEnd();
      if (!o.IsObject() || name == o.MemberEnd() || !name->value.IsString())
        return InvalidArgument("each of 'outputs' needs a 'name' (a string)");
      RequestedOutput out{name->value.GetString(), 0};
      bool binary_out = parsed.binary_by_default;
      if (const Value* b = Param(o, "binary_data")) {
        if (!b->IsBool())
          return InvalidArgument("output '" + out.name +
                                 "': binary_data must be a boolean");
        binary_out = b->GetBool();
      }
      RETURN_IF_ERROR(ForEachParameter(
          o, [&out](std::string_view key, const kserve::ParameterValue& v) {
            return kserve::ApplyOutputParameter(key, v, &out);
          }));
      ASSIGN_OR_RETURN(auto shm,
                       SharedMemoryOf(o, "output '" + out.name + "'"));
      if (shm) binary_out = false;
      parsed.shm.outputs.push_back(std::move(shm));
      req.outputs.push_back(std::move(out));
      parsed.binary_outputs.push_back(binary_out);
    }
  }
  req.keepalive = std::move(holder);
  return parsed;
}

RenderedResponse RenderInferResponse(
    const InferResponse& response, const std::vector<bool>& binary,
    const std::vector<std::optional<SharedMemoryRef>>& shm) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("model_name");
  w.String(response.model_name.data(), response.model_name.size());
  w.Key("model_version");
  w.String(response.model_version.data(), response.model_version.size());
  if (!response.id.empty()) {
    w.Key("id");
    w.String(response.id.data(), response.id.size());
  }
  w.Key("outputs");
  w.StartArray();
  size_t binary_total = 0;
  for (size_t i = 0; i < response.outputs.size(); ++i) {
    const Tensor& t = response.outputs[i];
    w.StartObject();
    w.Key("name");
    w.String(t.name.data(), t.name.size());
    w.Key("datatype");
    const std::string_view dt = DataTypeName(t.type);
    w.String(dt.data(), dt.size());
    w.Key("shape");
    w.StartArray();
    for (int64_t d : t.shape) w.Int64(d);
    w.EndArray();
    if (i < shm.size() && shm[i]) {
      // No data and no parameters, as Triton answers: its clients read an
      // output's "parameters" as binary data.
    } else if (i < binary.size() && binary[i]) {
      w.Key("parameters");
      w.StartObject();
      w.Key("binary_data_size");
      w.Uint64(t.byte_size);
      w.EndObject();
      binary_total += t.byte_size;
    } else {
      w.Key("data");
      WriteTensorData(w, t.type, ElementCount(t.shape), {t.data, t.byte_size});
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  RenderedResponse r;
  r.body.reserve(buffer.GetSize() + binary_total);
  r.body.assign(buffer.GetString(), buffer.GetSize());
  if (binary_total > 0 ||
      std::find(binary.begin(), binary.end(), true) != binary.end()) {
    r.header_length = r.body.size();
    for (size_t i = 0; i < response.outputs.size(); ++i) {
      if (i < binary.size() && binary[i])
        r.body.append(response.outputs[i].data, response.outputs[i].byte_size);
    }
  }
  return r;
}

std::string ErrorJson(std::string_view message) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("error");
  if (IsValidUtf8(message)) {
    w.String(message.data(), message.size());
  } else {
    const std::string escaped = EscapeInvalidUtf8(message);
    w.String(escaped.data(), escaped.size());
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace adlik::kserve
