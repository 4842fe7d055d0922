// ONNX tensor element types <-> the platform's DataType, for the ONNX Runtime
// plugin.
//
// Thread-safety: pure functions.
#ifndef ADLIK_RUNTIMES_ONNXRUNTIME_ONNX_ELEMENT_TYPE_H_
#define ADLIK_RUNTIMES_ONNXRUNTIME_ONNX_ELEMENT_TYPE_H_

#include <onnxruntime_c_api.h>

#include <array>
#include <optional>
#include <utility>

#include "adlik/data_type.h"

namespace adlik::onnxruntime {

inline constexpr std::array<std::pair<ONNXTensorElementDataType, DataType>, 14>
    kOnnxElementTypes = {{
        {ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL, DataType::kBool},
        {ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8, DataType::kUint8},
        {ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16, DataType::kUint16},
        {ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32, DataType::kUint32},
        {ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64, DataType::kUint64},
        {ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8, DataType::kInt8},
        {ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16, DataType::kInt16},
        {ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32, DataType::kInt32},
        {ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64, DataType::kInt64},
        {ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, DataType::kFp16},
        {ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, DataType::kFp32},
        {ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE, DataType::kFp64},
        {ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING, DataType::kBytes},
        {ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16, DataType::kBf16},
    }};

// nullopt for an ONNX type the KServe protocol cannot carry (complex, fp8,
// ...).
inline std::optional<DataType> FromOnnx(ONNXTensorElementDataType t) {
  for (const auto& [onnx, type] : kOnnxElementTypes)
    if (onnx == t) return type;
  return std::nullopt;
}

// ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED for kInvalid.
inline ONNXTensorElementDataType ToOnnx(DataType t) {
  for (const auto& [onnx, type] : kOnnxElementTypes)
    if (type == t) return onnx;
  return ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
}

}  // namespace adlik::onnxruntime

#endif  // ADLIK_RUNTIMES_ONNXRUNTIME_ONNX_ELEMENT_TYPE_H_
