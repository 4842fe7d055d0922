#include "frontends/kserve/proto_json.h"

#include <charconv>
#include <cmath>
#include <string_view>

#include "base/utf8.h"

namespace adlik::kserve {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// JSON text must be UTF-8: other bytes (a model folder's name, say) are
// escaped.
void Str(JsonWriter& w, std::string_view s) {
  if (IsValidUtf8(s)) {
    w.String(s.data(), s.size());
  } else {
    const std::string escaped = EscapeInvalidUtf8(s);
    w.String(escaped.data(), escaped.size());
  }
}

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

// As protobuf's JSON: the shortest form that reads back, non-finite values
// as the strings "NaN", "Infinity", "-Infinity".
template <typename T>
void WriteFloat(JsonWriter& w, T v) {
  if (std::isnan(v)) return w.String("NaN"), void();
  if (std::isinf(v)) return w.String(v > 0 ? "Infinity" : "-Infinity"), void();
  char buffer[32];
  const auto r = std::to_chars(buffer, buffer + sizeof(buffer), v);
  w.RawValue(buffer, static_cast<size_t>(r.ptr - buffer),
             rapidjson::kNumberType);
}

// Field `f` of `m`: element `i` of a repeated field, or the singular field
// when i < 0.
void WriteValue(JsonWriter& w, const Message& m, const FieldDescriptor* f,
                int i) {
  const Reflection* r = m.GetReflection();
  const bool one = i < 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      w.Int(one ? r->GetInt32(m, f) : r->GetRepeatedInt32(m, f, i));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      w.Int64(one ? r->GetInt64(m, f) : r->GetRepeatedInt64(m, f, i));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      w.Uint(one ? r->GetUInt32(m, f) : r->GetRepeatedUInt32(m, f, i));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      w.Uint64(one ? r->GetUInt64(m, f) : r->GetRepeatedUInt64(m, f, i));
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      WriteFloat(w, one ? r->GetFloat(m, f) : r->GetRepeatedFloat(m, f, i));
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      WriteFloat(w, one ? r->GetDouble(m, f) : r->GetRepeatedDouble(m, f, i));
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      w.Bool(one ? r->GetBool(m, f) : r->GetRepeatedBool(m, f, i));
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int n =
          one ? r->GetEnumValue(m, f) : r->GetRepeatedEnumValue(m, f, i);
      if (const auto* v = f->enum_type()->FindValueByNumber(n)) {
        Str(w, v->name());
      } else {
        w.Int(n);  // a value this build does not know
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& s =
          one ? r->GetStringReference(m, f, &scratch)
              : r->GetRepeatedStringReference(m, f, i, &scratch);
      if (f->type() == FieldDescriptor::TYPE_BYTES) {
        Str(w, Base64(s));
      } else {
        Str(w, s);
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      WriteProtoJson(
          w, one ? r->GetMessage(m, f) : r->GetRepeatedMessage(m, f, i));
      break;
  }
}

// A map entry's key as a JSON object key.
std::string MapKey(const Message& entry) {
  const FieldDescriptor* f = entry.GetDescriptor()->map_key();
  const Reflection* r = entry.GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return std::to_string(r->GetInt32(entry, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return std::to_string(r->GetInt64(entry, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return std::to_string(r->GetUInt32(entry, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return std::to_string(r->GetUInt64(entry, f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return r->GetBool(entry, f) ? "true" : "false";
    default:
      return r->GetString(entry, f);
  }
}

}  // namespace

void WriteProtoJson(JsonWriter& w, const Message& message) {
  const Reflection* r = message.GetReflection();
  const auto* descriptor = message.GetDescriptor();
  w.StartObject();
  for (int k = 0; k < descriptor->field_count(); ++k) {
    const FieldDescriptor* f = descriptor->field(k);
    if (!f->is_repeated() && f->has_presence() && !r->HasField(message, f))
      continue;
    Str(w, f->name());
    if (f->is_map()) {
      w.StartObject();
      for (int i = 0; i < r->FieldSize(message, f); ++i) {
        const Message& entry = r->GetRepeatedMessage(message, f, i);
        Str(w, MapKey(entry));
        WriteValue(w, entry, entry.GetDescriptor()->map_value(), -1);
      }
      w.EndObject();
    } else if (f->is_repeated()) {
      w.StartArray();
      for (int i = 0; i < r->FieldSize(message, f); ++i)
        WriteValue(w, message, f, i);
      w.EndArray();
    } else {
      WriteValue(w, message, f, -1);
    }
  }
  w.EndObject();
}

std::string ProtoJson(const Message& message) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  WriteProtoJson(w, message);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace adlik::kserve
