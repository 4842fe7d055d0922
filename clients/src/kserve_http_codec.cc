#include "kserve_http_codec.h"

#include <google/protobuf/util/json_util.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <vector>

#include "adlik/bytes_tensor.h"
#include "adlik/tensor.h"
#include "frontends/kserve/json_parse.h"
#include "frontends/kserve/tensor_json.h"

namespace adlik::client::http_codec {
namespace {

using rapidjson::Value;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void String(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

Status CheckInput(const InferInput& in) {
  for (int64_t d : in.shape) {
    if (d < 0) {
      return InvalidArgument("input '" + in.name +
                             "': shape has a negative dimension");
    }
  }
  const int64_t count = ElementCount(in.shape);
  if (in.type == DataType::kBytes) {
    return SplitBytesElements(in.data, count)
        .status()
        .WithPrefix("input '" + in.name + "'");
  }
  const size_t size = DataTypeSize(in.type);
  if (size == 0) {
    return InvalidArgument("input '" + in.name + "': invalid data type");
  }
  if (in.data.size() != static_cast<size_t>(count) * size) {
    return InvalidArgument("input '" + in.name + "': shape and type need " +
                           std::to_string(count * size) + " bytes, got " +
                           std::to_string(in.data.size()));
  }
  return Status::Ok();
}

const Value* Member(const Value& v, const char* name) {
  if (!v.IsObject()) return nullptr;
  auto it = v.FindMember(name);
  return it == v.MemberEnd() ? nullptr : &it->value;
}

std::string StringMember(const Value& v, const char* name) {
  const Value* m = Member(v, name);
  return m && m->IsString() ? std::string(m->GetString(), m->GetStringLength())
                            : std::string();
}

StatusOr<std::vector<int64_t>> Shape(const Value& v, const std::string& where) {
  const Value* shape = Member(v, "shape");
  if (!shape || !shape->IsArray()) {
    return InvalidArgument(where + ": no 'shape' array");
  }
  std::vector<int64_t> dims;
  for (const Value& d : shape->GetArray()) {
    if (!d.IsInt64()) return InvalidArgument(where + ": shape is not integers");
    dims.push_back(d.GetInt64());
  }
  return dims;
}

StatusOr<rapidjson::Document> Parse(std::string_view json) {
  rapidjson::Document doc;
  RETURN_IF_ERROR(kserve::ParseJson(json, "response", &doc));
  return doc;
}

StatusOr<std::vector<TensorMetadata>> Tensors(const Value& doc,
                                              const char* key) {
  std::vector<TensorMetadata> out;
  const Value* list = Member(doc, key);
  if (!list) return out;
  if (!list->IsArray())
    return InvalidArgument(std::string("'") + key + "' is not an array");
  for (const Value& t : list->GetArray()) {
    TensorMetadata m;
    m.name = StringMember(t, "name");
    m.datatype = StringMember(t, "datatype");
    ASSIGN_OR_RETURN(m.shape, Shape(t, std::string(key) + " '" + m.name + "'"));
    out.push_back(std::move(m));
  }
  return out;
}

bool Unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (Unreserved(c)) {
      out.push_back(c);
    } else {
      const auto u = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace

StatusOr<std::string> EncodeInferHeader(std::span<const InferInput> inputs,
                                        const InferOptions& options) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  if (!options.request_id.empty()) {
    w.Key("id");
    String(w, options.request_id);
  }
  w.Key("parameters");
  w.StartObject();
  w.Key("binary_data_output");
  w.Bool(true);
  if (options.timeout_us > 0) {
    w.Key("timeout");
    w.Int64(options.timeout_us);
  }
  w.EndObject();
  w.Key("inputs");
  w.StartArray();
  for (const InferInput& in : inputs) {
    RETURN_IF_ERROR(CheckInput(in));
    w.StartObject();
    w.Key("name");
    String(w, in.name);
    w.Key("shape");
    w.StartArray();
    for (int64_t d : in.shape) w.Int64(d);
    w.EndArray();
    w.Key("datatype");
    String(w, DataTypeName(in.type));
    w.Key("parameters");
    w.StartObject();
    w.Key("binary_data_size");
    w.Uint64(in.data.size());
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  if (!options.outputs.empty()) {
    w.Key("outputs");
    w.StartArray();
    for (const std::string& name : options.outputs) {
      w.StartObject();
      w.Key("name");
      String(w, name);
      w.Key("parameters");
      w.StartObject();
      w.Key("binary_data");
      w.Bool(true);
      w.EndObject();
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

Status DecodeInferResponse(std::shared_ptr<const std::string> body,
                           std::optional<size_t> header_length,
                           InferResult* result) {
  const std::string_view all(*body);
  const size_t json_size = header_length.value_or(all.size());
  if (json_size > all.size()) {
    return InvalidArgument("Inference-Header-Content-Length " +
                           std::to_string(json_size) + " exceeds the body (" +
                           std::to_string(all.size()) + " bytes)");
  }
  ASSIGN_OR_RETURN(rapidjson::Document doc, Parse(all.substr(0, json_size)));
  if (!doc.IsObject()) return InvalidArgument("response is not a JSON object");
  *result = InferResult();
  result->model_name = StringMember(doc, "model_name");
  result->model_version = StringMember(doc, "model_version");
  result->id = StringMember(doc, "id");
  const Value* outputs = Member(doc, "outputs");
  if (!outputs || !outputs->IsArray()) {
    return InvalidArgument("response has no 'outputs' array");
  }
  size_t offset = json_size;
  for (const Value& o : outputs->GetArray()) {
    InferOutput out;
    out.name = StringMember(o, "name");
    const std::string where = "output '" + out.name + "'";
    const std::string datatype = StringMember(o, "datatype");
    auto type = ParseDataType(datatype);
    if (!type)
      return InvalidArgument(where + ": unknown datatype '" + datatype + "'");
    out.type = *type;
    ASSIGN_OR_RETURN(out.shape, Shape(o, where));
    for (int64_t d : out.shape) {
      if (d < 0) return InvalidArgument(where + ": negative dimension");
    }
    const int64_t count = ElementCount(out.shape);
    const Value* params = Member(o, "parameters");
    const Value* binary =
        params ? Member(*params, "binary_data_size") : nullptr;
    if (binary) {
      if (!binary->IsUint64()) {
        return InvalidArgument(where + ": binary_data_size is not a size");
      }
      const uint64_t size = binary->GetUint64();
      if (size > all.size() - offset) {
        return InvalidArgument(where + ": binary_data_size " +
                               std::to_string(size) + " runs past the body");
      }
      out.data = all.substr(offset, size);
      offset += size;
    } else {
      const Value* data = Member(o, "data");
      if (!data)
        return InvalidArgument(where + ": neither data nor binary_data_size");
      std::string bytes;
      RETURN_IF_ERROR(
          kserve::DecodeTensorData(*data, out.type, out.shape, &bytes)
              .WithPrefix(where));
      auto owned = std::make_shared<const std::string>(std::move(bytes));
      out.data = *owned;
      result->storage.push_back(std::move(owned));
    }
    if (out.type != DataType::kBytes &&
        out.data.size() !=
            static_cast<size_t>(count) * DataTypeSize(out.type)) {
      return InvalidArgument(where + ": " + std::to_string(out.data.size()) +
                             " bytes for " + std::to_string(count) + " " +
                             datatype + " elements");
    }
    result->outputs.push_back(std::move(out));
  }
  result->storage.push_back(std::move(body));
  return Status::Ok();
}

Status ErrorFromResponse(int http_status, std::string_view body) {
  std::string message(body);
  rapidjson::Document doc;
  if (kserve::ParseJson(body, "error", &doc).ok() && doc.IsObject()) {
    std::string error = StringMember(doc, "error");
    if (!error.empty()) message = std::move(error);
  }
  if (message.empty()) message = "HTTP status " + std::to_string(http_status);
  StatusCode code;
  switch (http_status) {
    case 400:
      code = StatusCode::kInvalidArgument;
      break;
    case 404:
      code = StatusCode::kNotFound;
      break;
    case 409:
      code = StatusCode::kAlreadyExists;
      break;
    case 413:
      code = StatusCode::kResourceExhausted;
      break;
    case 429:
      code = StatusCode::kUnavailable;
      break;
    case 499:
      code = StatusCode::kCancelled;
      break;
    case 500:
      code = StatusCode::kInternal;
      break;
    case 501:
      code = StatusCode::kUnimplemented;
      break;
    case 503:
      code = StatusCode::kUnavailable;
      break;
    case 504:
      code = StatusCode::kDeadlineExceeded;
      break;
    default:
      code = http_status >= 400 && http_status < 500
                 ? StatusCode::kInvalidArgument
                 : StatusCode::kUnknown;
  }
  return Status(code, std::move(message));
}

StatusOr<ModelMetadata> DecodeModelMetadata(std::string_view json) {
  ASSIGN_OR_RETURN(rapidjson::Document doc, Parse(json));
  if (!doc.IsObject())
    return InvalidArgument("model metadata is not a JSON object");
  ModelMetadata m;
  m.name = StringMember(doc, "name");
  m.platform = StringMember(doc, "platform");
  if (const Value* versions = Member(doc, "versions");
      versions && versions->IsArray()) {
    for (const Value& v : versions->GetArray()) {
      if (v.IsString())
        m.versions.emplace_back(v.GetString(), v.GetStringLength());
    }
  }
  ASSIGN_OR_RETURN(m.inputs, Tensors(doc, "inputs"));
  ASSIGN_OR_RETURN(m.outputs, Tensors(doc, "outputs"));
  return m;
}

StatusOr<inference::ModelConfig> DecodeModelConfig(std::string_view json) {
  // Triton wraps the config as {"config": {...}} in some versions; accept both.
  ASSIGN_OR_RETURN(rapidjson::Document doc, Parse(json));
  std::string text(json);
  if (const Value* inner = Member(doc, "config"); inner && inner->IsObject()) {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    inner->Accept(w);
    text.assign(buffer.GetString(), buffer.GetSize());
  }
  inference::ModelConfig config;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto s = google::protobuf::util::JsonStringToMessage(text, &config, options);
  if (!s.ok()) return InvalidArgument("model config: " + s.ToString());
  return config;
}

std::string ModelPath(std::string_view model, std::string_view version,
                      std::string_view suffix) {
  std::string path = "/v2/models/" + PercentEncode(model);
  if (!version.empty()) path += "/versions/" + PercentEncode(version);
  if (!suffix.empty()) {
    path += '/';
    path += suffix;
  }
  return path;
}

}  // namespace adlik::client::http_codec
