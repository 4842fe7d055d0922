#include "frontends/kserve/tensor_json.h"

#include <cstring>
#include <limits>
#include <type_traits>

#include "adlik/bytes_tensor.h"
#include "adlik/tensor.h"
#include "base/half.h"
#include "base/shape_string.h"

namespace adlik::kserve {
namespace {

using rapidjson::Value;

template <typename T>
void AppendRaw(T v, std::string* out) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

template <typename T>
bool AppendInt(const Value& v, std::string* out) {
  if (v.IsInt64()) {
    const int64_t x = v.GetInt64();
    if constexpr (std::is_signed_v<T>) {
      if (x < std::numeric_limits<T>::min() ||
          x > std::numeric_limits<T>::max())
        return false;
    } else {
      if (x < 0 || static_cast<uint64_t>(x) > std::numeric_limits<T>::max())
        return false;
    }
    AppendRaw(static_cast<T>(x), out);
    return true;
  }
  if (v.IsUint64()) {
    const uint64_t x = v.GetUint64();
    if (x > static_cast<uint64_t>(std::numeric_limits<T>::max())) return false;
    AppendRaw(static_cast<T>(x), out);
    return true;
  }
  return false;
}

// Appends one JSON element as a T (a DataTypeTag's Element); false if it is
// not a value of that type.
template <typename T>
bool AppendElement(const Value& v, std::string* out) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.IsBool()) return false;
    out->push_back(v.GetBool() ? 1 : 0);
    return true;
  } else if constexpr (std::is_integral_v<T>) {
    return AppendInt<T>(v, out);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!v.IsNumber()) return false;
    AppendRaw(static_cast<T>(v.GetDouble()), out);
    return true;
  } else if constexpr (kIsHalfType<T>) {
    if (!v.IsNumber()) return false;
    AppendRaw(FromFloat<T>(static_cast<float>(v.GetDouble())), out);
    return true;
  } else if constexpr (std::is_same_v<T, std::string_view>) {
    if (!v.IsString()) return false;
    AppendBytesElement({v.GetString(), v.GetStringLength()}, out);
    return true;
  } else {
    return false;  // kInvalid
  }
}

// Flattens `data` (nested arrays, row-major) into `out`. The depth is that
// of a parsed document (json_parse.h bounds it).
template <typename Tag>
Status AppendData(const Value& data, int64_t* count, std::string* out) {
  if (data.IsArray()) {
    for (const Value& e : data.GetArray())
      RETURN_IF_ERROR(AppendData<Tag>(e, count, out));
    return Status::Ok();
  }
  if (!AppendElement<typename Tag::Element>(data, out)) {
    return InvalidArgument(
        "element " + std::to_string(*count) + " is not a " +
        std::string(Tag::kName) + " value" +
        (data.IsNumber() ? " (or is out of its range)" : ""));
  }
  ++*count;
  return Status::Ok();
}

template <typename T>
void WriteNumber(JsonWriter& w, T v) {
  if constexpr (kIsHalfType<T>) {
    w.Double(ToFloat(v));
  } else if constexpr (std::is_floating_point_v<T>) {
    w.Double(static_cast<double>(v));
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    w.Uint64(v);
  } else if constexpr (std::is_unsigned_v<T>) {
    w.Uint(v);
  } else if constexpr (std::is_same_v<T, int64_t>) {
    w.Int64(v);
  } else {
    w.Int(v);
  }
}

}  // namespace

Status DecodeTensorData(const Value& data, DataType type,
                        std::span<const int64_t> shape, std::string* out) {
  int64_t count = 0;
  RETURN_IF_ERROR(VisitDataType(type, [&](auto tag) {
    return AppendData<decltype(tag)>(data, &count, out);
  }));
  const std::optional<int64_t> want = CheckedElementCount(shape);
  if (!want || count != *want) {
    std::string message = "shape " + ShapeString(shape);
    message += want ? " has " + std::to_string(*want) : " has too many";
    message += " elements but 'data' has " + std::to_string(count);
    return InvalidArgument(message);
  }
  return Status::Ok();
}

void WriteTensorData(JsonWriter& w, DataType type, int64_t count,
                     std::string_view bytes) {
  w.StartArray();
  VisitDataType(type, [&](auto tag) {
    using T = typename decltype(tag)::Element;
    if constexpr (std::is_same_v<T, std::string_view>) {
      auto elements = SplitBytesElements(bytes, count);
      if (elements.ok()) {
        for (std::string_view e : *elements) w.String(e.data(), e.size());
      }
    } else if constexpr (!std::is_void_v<T>) {
      const size_t n = bytes.size() / sizeof(T);
      for (size_t i = 0; i < n; ++i) {
        if constexpr (std::is_same_v<T, bool>) {
          w.Bool(bytes[i] != 0);  // any nonzero byte is true
        } else {
          T v;
          std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
          WriteNumber(w, v);
        }
      }
    }
  });
  w.EndArray();
}

}  // namespace adlik::kserve
