// Tensor element types: the KServe v2 set, with both of its spellings.
//
// The protocol says "FP32"; config.pbtxt says "TYPE_FP32" (and "TYPE_STRING"
// for what the protocol calls "BYTES"). A BYTES tensor travels serialized: each
// element is a 4-byte little-endian length followed by that many bytes
// (see bytes_tensor.h).
//
// Thread-safety: pure functions over constants.
#ifndef ADLIK_DATA_TYPE_H_
#define ADLIK_DATA_TYPE_H_

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace adlik {

// Values are those of Triton's model_config.proto DataType enum.
enum class DataType {
  kInvalid = 0,
  kBool = 1,
  kUint8 = 2,
  kUint16 = 3,
  kUint32 = 4,
  kUint64 = 5,
  kInt8 = 6,
  kInt16 = 7,
  kInt32 = 8,
  kInt64 = 9,
  kFp16 = 10,
  kFp32 = 11,
  kFp64 = 12,
  kBytes = 13,
  kBf16 = 14,
};

namespace data_type_internal {
struct Entry {
  DataType type;
  std::string_view protocol_name;  // KServe v2: "FP32"
  std::string_view config_name;    // config.pbtxt: "TYPE_FP32"
  size_t size;                     // bytes per element; 0 = variable (BYTES)
};
inline constexpr std::array<Entry, 14> kEntries = {{
    {DataType::kBool, "BOOL", "TYPE_BOOL", 1},
    {DataType::kUint8, "UINT8", "TYPE_UINT8", 1},
    {DataType::kUint16, "UINT16", "TYPE_UINT16", 2},
    {DataType::kUint32, "UINT32", "TYPE_UINT32", 4},
    {DataType::kUint64, "UINT64", "TYPE_UINT64", 8},
    {DataType::kInt8, "INT8", "TYPE_INT8", 1},
    {DataType::kInt16, "INT16", "TYPE_INT16", 2},
    {DataType::kInt32, "INT32", "TYPE_INT32", 4},
    {DataType::kInt64, "INT64", "TYPE_INT64", 8},
    {DataType::kFp16, "FP16", "TYPE_FP16", 2},
    {DataType::kFp32, "FP32", "TYPE_FP32", 4},
    {DataType::kFp64, "FP64", "TYPE_FP64", 8},
    {DataType::kBytes, "BYTES", "TYPE_STRING", 0},
    {DataType::kBf16, "BF16", "TYPE_BF16", 2},
}};
constexpr const Entry* Find(DataType t) {
  for (const Entry& e : kEntries)
    if (e.type == t) return &e;
  return nullptr;
}
}  // namespace data_type_internal

// "FP32", "BYTES"; "INVALID" for kInvalid.
constexpr std::string_view DataTypeName(DataType t) {
  const auto* e = data_type_internal::Find(t);
  return e ? e->protocol_name : "INVALID";
}

// "TYPE_FP32", "TYPE_STRING"; "TYPE_INVALID" for kInvalid.
constexpr std::string_view DataTypeConfigName(DataType t) {
  const auto* e = data_type_internal::Find(t);
  return e ? e->config_name : "TYPE_INVALID";
}

// Bytes per element; 0 for BYTES (variable) and kInvalid.
constexpr size_t DataTypeSize(DataType t) {
  const auto* e = data_type_internal::Find(t);
  return e ? e->size : 0;
}

// Accepts either spelling ("FP32", "TYPE_FP32", "BYTES", "TYPE_STRING").
// Case-sensitive, as the protocol is.
constexpr std::optional<DataType> ParseDataType(std::string_view name) {
  for (const auto& e : data_type_internal::kEntries) {
    if (name == e.protocol_name || name == e.config_name) return e.type;
  }
  if (name == "TYPE_BYTES") return DataType::kBytes;
  return std::nullopt;
}

}  // namespace adlik

#endif  // ADLIK_DATA_TYPE_H_
