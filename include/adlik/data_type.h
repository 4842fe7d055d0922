// Tensor element types: the KServe v2 set, with both of its spellings.
//
// The protocol says "FP32"; config.pbtxt says "TYPE_FP32" (and "TYPE_STRING"
// for what the protocol calls "BYTES"). A BYTES tensor travels serialized: each
// element is a 4-byte little-endian length followed by that many bytes
// (see bytes_tensor.h).
//
// VisitDataType turns a DataType known only at run time into a type known at
// compile time, so that code written once as a template handles every type
// (see its comment below).
//
// Thread-safety: pure functions over constants.
#ifndef ADLIK_DATA_TYPE_H_
#define ADLIK_DATA_TYPE_H_

#include <array>
#include <cstddef>
#include <cstdint>
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
// The entry of `t`, or kInvalid's stand-in. (An index, not a pointer: GCC
// cannot compare a global's address in a constant expression under ASan.)
inline constexpr Entry kInvalidEntry{DataType::kInvalid, "INVALID",
                                     "TYPE_INVALID", 0};
constexpr const Entry& Find(DataType t) {
  for (size_t i = 0; i < kEntries.size(); ++i)
    if (kEntries[i].type == t) return kEntries[i];
  return kInvalidEntry;
}
}  // namespace data_type_internal

// "FP32", "BYTES"; "INVALID" for kInvalid.
constexpr std::string_view DataTypeName(DataType t) {
  return data_type_internal::Find(t).protocol_name;
}

// "TYPE_FP32", "TYPE_STRING"; "TYPE_INVALID" for kInvalid.
constexpr std::string_view DataTypeConfigName(DataType t) {
  return data_type_internal::Find(t).config_name;
}

// Bytes per element; 0 for BYTES (variable) and kInvalid.
constexpr size_t DataTypeSize(DataType t) {
  return data_type_internal::Find(t).size;
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

// One FP16 (IEEE binary16) or BF16 (bfloat16) element: its 16 bits. C++ has
// no arithmetic type for them; src/base/half.h converts them to and from
// float. Distinct types, so that a template never takes them for UINT16.
struct Fp16 {
  uint16_t bits;
};
struct Bf16 {
  uint16_t bits;
};

namespace data_type_internal {
template <DataType D>
struct ElementOf {
  using type = void;  // kInvalid
};
// clang-format off
template <> struct ElementOf<DataType::kBool> { using type = bool; };
template <> struct ElementOf<DataType::kUint8> { using type = uint8_t; };
template <> struct ElementOf<DataType::kUint16> { using type = uint16_t; };
template <> struct ElementOf<DataType::kUint32> { using type = uint32_t; };
template <> struct ElementOf<DataType::kUint64> { using type = uint64_t; };
template <> struct ElementOf<DataType::kInt8> { using type = int8_t; };
template <> struct ElementOf<DataType::kInt16> { using type = int16_t; };
template <> struct ElementOf<DataType::kInt32> { using type = int32_t; };
template <> struct ElementOf<DataType::kInt64> { using type = int64_t; };
template <> struct ElementOf<DataType::kFp16> { using type = Fp16; };
template <> struct ElementOf<DataType::kFp32> { using type = float; };
template <> struct ElementOf<DataType::kFp64> { using type = double; };
template <> struct ElementOf<DataType::kBytes> { using type = std::string_view; };
template <> struct ElementOf<DataType::kBf16> { using type = Bf16; };
// clang-format on
}  // namespace data_type_internal

// A DataType as a type: what VisitDataType passes.
//   kType    the DataType
//   Element  the C++ type of one element: bool (one byte, 0 or 1), the
//            fixed-width integers, float, double, Fp16, Bf16;
//            std::string_view for BYTES (an element of varying size, see
//            bytes_tensor.h); void for kInvalid
//   kSize    bytes per element (DataTypeSize: 0 for BYTES and kInvalid)
//   kName    the protocol's name (DataTypeName)
template <DataType D>
struct DataTypeTag {
  static constexpr DataType kType = D;
  using Element = typename data_type_internal::ElementOf<D>::type;
  static constexpr size_t kSize = DataTypeSize(D);
  static constexpr std::string_view kName = DataTypeName(D);
};

// Calls f(DataTypeTag<type>{}) and returns what it returns: every
// instantiation must return the same type. kInvalid, and any value outside
// the enum, calls f(DataTypeTag<DataType::kInvalid>{}) (Element void), so a
// visitor that branches on Element with `if constexpr` and ends in a final
// `else` handles it there. Dispatch once per tensor and loop inside `f`:
//
//   Status s = VisitDataType(type, [&](auto tag) -> Status {
//     using T = typename decltype(tag)::Element;
//     if constexpr (std::is_arithmetic_v<T>) { ... a loop over T ... }
//     else return InvalidArgument(...);
//   });
template <typename F>
constexpr decltype(auto) VisitDataType(DataType type, F&& f) {
  switch (type) {
    case DataType::kBool:
      return f(DataTypeTag<DataType::kBool>{});
    case DataType::kUint8:
      return f(DataTypeTag<DataType::kUint8>{});
    case DataType::kUint16:
      return f(DataTypeTag<DataType::kUint16>{});
    case DataType::kUint32:
      return f(DataTypeTag<DataType::kUint32>{});
    case DataType::kUint64:
      return f(DataTypeTag<DataType::kUint64>{});
    case DataType::kInt8:
      return f(DataTypeTag<DataType::kInt8>{});
    case DataType::kInt16:
      return f(DataTypeTag<DataType::kInt16>{});
    case DataType::kInt32:
      return f(DataTypeTag<DataType::kInt32>{});
    case DataType::kInt64:
      return f(DataTypeTag<DataType::kInt64>{});
    case DataType::kFp16:
      return f(DataTypeTag<DataType::kFp16>{});
    case DataType::kFp32:
      return f(DataTypeTag<DataType::kFp32>{});
    case DataType::kFp64:
      return f(DataTypeTag<DataType::kFp64>{});
    case DataType::kBytes:
      return f(DataTypeTag<DataType::kBytes>{});
    case DataType::kBf16:
      return f(DataTypeTag<DataType::kBf16>{});
    default:
      return f(DataTypeTag<DataType::kInvalid>{});
  }
}

}  // namespace adlik

#endif  // ADLIK_DATA_TYPE_H_
