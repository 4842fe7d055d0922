#include "frontends/tfserving/tfs_json.h"

#include <absl/strings/escaping.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstring>
#include <type_traits>

#include "adlik/bytes_tensor.h"
#include "base/half.h"
#include "base/shape_string.h"
#include "frontends/kserve/tensor_json.h"
#include "frontends/tfserving/tfs_protocol.h"

namespace adlik::tfserving {
namespace {

using rapidjson::Value;
using Writer = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>,
                                 rapidjson::UTF8<>, rapidjson::CrtAllocator,
                                 rapidjson::kWriteNanAndInfFlag>;

bool IsB64(const Value& v) {
  return v.IsObject() && v.MemberCount() == 1 && v.HasMember("b64");
}

// An object of named tensors, not a {"b64": ...} value.
bool IsNamed(const Value& v) { return v.IsObject() && !IsB64(v); }

// The shape of `v` as its first elements nest.
std::vector<int64_t> ShapeOf(const Value* v) {
  std::vector<int64_t> shape;
  while (v->IsArray()) {
    shape.push_back(v->Size());
    if (v->Empty()) break;
    v = &(*v)[0];
  }
  return shape;
}

// OK when `v` nests exactly as `shape` from `depth` on.
Status CheckShape(const Value& v, const std::vector<int64_t>& shape,
                  size_t depth, const std::string& where) {
  if (depth == shape.size()) {
    if (v.IsArray()) {
      return InvalidArgument(where +
                             ": the lists are not rectangular "
                             "(one is deeper than the first)");
    }
    return Status::Ok();
  }
  if (!v.IsArray() || static_cast<int64_t>(v.Size()) != shape[depth]) {
    return InvalidArgument(where + ": the lists are not rectangular (the " +
                           "first has shape " + ShapeString(shape) + ")");
  }
  for (const Value& e : v.GetArray())
    RETURN_IF_ERROR(CheckShape(e, shape, depth + 1, where));
  return Status::Ok();
}

// Appends the leaves of `v` (already checked rectangular) as BYTES elements.
Status AppendBytes(const Value& v, const std::string& where, std::string* out) {
  if (v.IsArray()) {
    for (const Value& e : v.GetArray())
      RETURN_IF_ERROR(AppendBytes(e, where, out));
    return Status::Ok();
  }
  if (v.IsString()) {
    AppendBytesElement({v.GetString(), v.GetStringLength()}, out);
    return Status::Ok();
  }
  if (IsB64(v)) {
    const Value& b64 = v["b64"];
    std::string decoded;
    if (!b64.IsString() ||
        !absl::Base64Unescape({b64.GetString(), b64.GetStringLength()},
                              &decoded)) {
      return InvalidArgument(where +
                             ": {\"b64\": ...} does not hold valid "
                             "base64 text");
    }
    AppendBytesElement(decoded, out);
    return Status::Ok();
  }
  return InvalidArgument(where +
                         ": a BYTES element must be a string or "
                         "{\"b64\": BASE64}");
}

// Appends `v`, one value of shape `shape`, as elements of `type`.
Status AppendValue(const Value& v, DataType type,
                   const std::vector<int64_t>& shape, const std::string& where,
                   std::string* out) {
  RETURN_IF_ERROR(CheckShape(v, shape, 0, where));
  if (type == DataType::kBytes) return AppendBytes(v, where, out);
  Status s = kserve::DecodeTensorData(v, type, shape, out);
  return s.ok() ? s : s.WithPrefix(where);
}

StatusOr<const TensorMetadata*> FindInput(const ModelMetadata& metadata,
                                          std::string_view name) {
  std::string names;
  for (const TensorMetadata& t : metadata.inputs) {
    if (t.name == name) return &t;
    names += (names.empty() ? "'" : ", '") + t.name + "'";
  }
  return InvalidArgument("model '" + metadata.name + "' has no input '" +
                         std::string(name) + "' (its inputs: " + names + ")");
}

StatusOr<const TensorMetadata*> OnlyInput(const ModelMetadata& metadata) {
  if (metadata.inputs.size() != 1) {
    return InvalidArgument(
        "model '" + metadata.name + "' has " +
        std::to_string(metadata.inputs.size()) +
        " inputs: give each by name (an object of named inputs)");
  }
  return &metadata.inputs[0];
}

InferInput MakeInput(const TensorMetadata& t, std::vector<int64_t> shape) {
  InferInput in;
  in.name = t.name;
  in.type = t.type;
  in.shape = std::move(shape);
  return in;
}

// The row format: "instances".
Status ParseRows(const Value& rows, const ModelMetadata& metadata,
                 InferRequest* request) {
  if (!rows.IsArray() || rows.Empty()) {
    return InvalidArgument(
        "'instances' must be a non-empty list, one entry "
        "per batch row");
  }
  const int64_t n = rows.Size();
  if (!IsNamed(rows[0])) {
    ASSIGN_OR_RETURN(const TensorMetadata* t, OnlyInput(metadata));
    const std::string where = "'instances' (input '" + t->name + "')";
    std::vector<int64_t> shape = ShapeOf(&rows);
    InferInput in = MakeInput(*t, shape);
    RETURN_IF_ERROR(AppendValue(rows, t->type, shape, where, &in.owned));
    request->inputs.push_back(std::move(in));
    return Status::Ok();
  }
  const Value& first = rows[0];
  for (auto m = first.MemberBegin(); m != first.MemberEnd(); ++m) {
    const std::string name(m->name.GetString(), m->name.GetStringLength());
    ASSIGN_OR_RETURN(const TensorMetadata* t, FindInput(metadata, name));
    const std::vector<int64_t> row_shape = ShapeOf(&m->value);
    std::vector<int64_t> shape{n};
    shape.insert(shape.end(), row_shape.begin(), row_shape.end());
    InferInput in = MakeInput(*t, std::move(shape));
    for (int64_t i = 0; i < n; ++i) {
      const std::string where =
          "'instances'[" + std::to_string(i) + "] input '" + name + "'";
      const Value& row = rows[i];
      if (!IsNamed(row) || row.MemberCount() != first.MemberCount()) {
        return InvalidArgument("'instances'[" + std::to_string(i) +
                               "]: every row must name the same inputs as "
                               "the first");
      }
      auto value = row.FindMember(m->name);
      if (value == row.MemberEnd()) {
        return InvalidArgument(where +
                               " is missing (every row must name "
                               "the same inputs as the first)");
      }
      RETURN_IF_ERROR(
          AppendValue(value->value, t->type, row_shape, where, &in.owned));
    }
    request->inputs.push_back(std::move(in));
  }
  return Status::Ok();
}

// The columnar format: "inputs".
Status ParseColumns(const Value& inputs, const ModelMetadata& metadata,
                    InferRequest* request) {
  auto add = [&](const TensorMetadata& t, const Value& v) -> Status {
    std::vector<int64_t> shape = ShapeOf(&v);
    InferInput in = MakeInput(t, shape);
    RETURN_IF_ERROR(AppendValue(v, t.type, shape,
                                "'inputs' input '" + t.name + "'", &in.owned));
    request->inputs.push_back(std::move(in));
    return Status::Ok();
  };
  if (!IsNamed(inputs)) {
    ASSIGN_OR_RETURN(const TensorMetadata* t, OnlyInput(metadata));
    return add(*t, inputs);
  }
  for (auto m = inputs.MemberBegin(); m != inputs.MemberEnd(); ++m) {
    ASSIGN_OR_RETURN(
        const TensorMetadata* t,
        FindInput(metadata, {m->name.GetString(), m->name.GetStringLength()}));
    RETURN_IF_ERROR(add(*t, m->value));
  }
  return Status::Ok();
}

// Whether `s` is valid UTF-8 (JSON strings must be).
bool IsUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80         ? 1
                     : (c >> 5) == 6  ? 2
                     : (c >> 4) == 14 ? 3
                     : (c >> 3) == 30 ? 4
                                      : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n;
  }
  return true;
}

// Writes elements [begin, begin + product(shape)) of `t` as nested lists.
void WriteValue(Writer& w, const Tensor& t,
                const std::vector<std::string_view>& strings,
                std::span<const int64_t> shape, int64_t begin) {
  if (!shape.empty()) {
    const int64_t stride = ElementCount(shape.subspan(1));
    w.StartArray();
    for (int64_t i = 0; i < shape[0]; ++i)
      WriteValue(w, t, strings, shape.subspan(1), begin + i * stride);
    w.EndArray();
    return;
  }
  VisitDataType(t.type, [&](auto tag) {
    using T = typename decltype(tag)::Element;
    if constexpr (std::is_same_v<T, std::string_view>) {
      const std::string_view s = strings[begin];
      if (t.name.ends_with("_bytes") || !IsUtf8(s)) {
        w.StartObject();
        w.Key("b64");
        std::string b64;
        absl::Base64Escape(absl::string_view(s.data(), s.size()), &b64);
        w.String(b64.data(), b64.size());
        w.EndObject();
      } else {
        w.String(s.data(), s.size());
      }
    } else if constexpr (std::is_same_v<T, bool>) {
      w.Bool(t.data[begin] != 0);
    } else if constexpr (!std::is_void_v<T>) {
      T v;
      std::memcpy(&v, t.data + begin * sizeof(T), sizeof(T));
      if constexpr (kIsHalfType<T>) {
        w.Double(ToFloat(v));
      } else if constexpr (std::is_floating_point_v<T>) {
        w.Double(v);
      } else if constexpr (std::is_same_v<T, uint64_t>) {
        w.Uint64(v);
      } else if constexpr (std::is_unsigned_v<T>) {
        w.Uint(v);
      } else if constexpr (std::is_same_v<T, int64_t>) {
        w.Int64(v);
      } else {
        w.Int(v);
      }
    } else {
      w.Null();
    }
  });
}

}  // namespace

StatusOr<PredictJson> ParsePredictJson(const rapidjson::Document& body,
                                       const ModelMetadata& metadata) {
  if (!body.IsObject()) {
    return InvalidArgument("the request body must be a JSON object");
  }
  auto signature = body.FindMember("signature_name");
  if (signature != body.MemberEnd()) {
    if (!signature->value.IsString()) {
      return InvalidArgument("'signature_name' must be a string");
    }
    RETURN_IF_ERROR(
        CheckSignature(metadata.name, signature->value.GetString()));
  }
  const auto rows = body.FindMember("instances");
  const auto columns = body.FindMember("inputs");
  const bool has_rows = rows != body.MemberEnd();
  const bool has_columns = columns != body.MemberEnd();
  if (has_rows == has_columns) {
    return InvalidArgument(
        has_rows ? "the body has both 'instances' and 'inputs': give one"
                 : "the body needs 'instances' (row format) or 'inputs' "
                   "(columnar format)");
  }
  PredictJson parsed;
  // Each input's data is pointed at its bytes once the inputs are in place.
  parsed.request = std::make_unique<InferRequest>();
  parsed.row_format = has_rows;
  if (has_rows) {
    RETURN_IF_ERROR(ParseRows(rows->value, metadata, parsed.request.get()));
  } else {
    RETURN_IF_ERROR(
        ParseColumns(columns->value, metadata, parsed.request.get()));
  }
  for (InferInput& in : parsed.request->inputs) in.UseOwned();
  return parsed;
}

StatusOr<std::string> RenderPredictJson(const InferResponse& response,
                                        bool row_format) {
  std::vector<std::vector<std::string_view>> strings(response.outputs.size());
  for (size_t i = 0; i < response.outputs.size(); ++i) {
    const Tensor& t = response.outputs[i];
    if (t.type != DataType::kBytes) continue;
    ASSIGN_OR_RETURN(strings[i], SplitBytesElements({t.data, t.byte_size},
                                                    ElementCount(t.shape)));
  }
  const bool one = response.outputs.size() == 1;
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  if (row_format) {
    int64_t rows = -1;
    for (const Tensor& t : response.outputs) {
      if (t.shape.empty() || (rows >= 0 && t.shape[0] != rows)) {
        return InvalidArgument(
            "the row format ('instances') needs every output to have the "
            "same first dimension (output '" +
            t.name + "' has shape " + ShapeString(t.shape) +
            "); use the columnar format ('inputs')");
      }
      rows = t.shape[0];
    }
    w.Key("predictions");
    w.StartArray();
    for (int64_t r = 0; r < rows; ++r) {
      if (!one) w.StartObject();
      for (size_t i = 0; i < response.outputs.size(); ++i) {
        const Tensor& t = response.outputs[i];
        if (!one) w.Key(t.name.data(), t.name.size());
        const std::span<const int64_t> row(t.shape.data() + 1,
                                           t.shape.size() - 1);
        WriteValue(w, t, strings[i], row, r * ElementCount(row));
      }
      if (!one) w.EndObject();
    }
    w.EndArray();
  } else {
    w.Key("outputs");
    if (!one) w.StartObject();
    for (size_t i = 0; i < response.outputs.size(); ++i) {
      const Tensor& t = response.outputs[i];
      if (!one) w.Key(t.name.data(), t.name.size());
      WriteValue(w, t, strings[i], t.shape, 0);
    }
    if (!one) w.EndObject();
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace adlik::tfserving
