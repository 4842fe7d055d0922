#include "frontends/tfserving/tensor_proto.h"

#include <cstring>
#include <limits>
#include <type_traits>

#include "adlik/bytes_tensor.h"
#include "base/shape_string.h"

namespace adlik::tfserving {
namespace {

constexpr std::pair<tensorflow::DataType, DataType> kTypes[] = {
    {tensorflow::DT_FLOAT, DataType::kFp32},
    {tensorflow::DT_DOUBLE, DataType::kFp64},
    {tensorflow::DT_INT32, DataType::kInt32},
    {tensorflow::DT_UINT8, DataType::kUint8},
    {tensorflow::DT_INT16, DataType::kInt16},
    {tensorflow::DT_INT8, DataType::kInt8},
    {tensorflow::DT_STRING, DataType::kBytes},
    {tensorflow::DT_INT64, DataType::kInt64},
    {tensorflow::DT_BOOL, DataType::kBool},
    {tensorflow::DT_BFLOAT16, DataType::kBf16},
    {tensorflow::DT_UINT16, DataType::kUint16},
    {tensorflow::DT_HALF, DataType::kFp16},
    {tensorflow::DT_UINT32, DataType::kUint32},
    {tensorflow::DT_UINT64, DataType::kUint64},
};

// Appends the `values` as elements of type T, each checked against T's range.
template <typename T, typename Values>
Status Pack(const Values& values, const std::string& where, std::string* out) {
  out->resize(values.size() * sizeof(T));
  char* p = out->data();
  for (const auto v : values) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      using V = std::remove_cv_t<decltype(v)>;
      if (!std::in_range<T>(
              static_cast<
                  std::conditional_t<std::is_signed_v<V>, int64_t, uint64_t>>(
                  v))) {
        return InvalidArgument(where + ": value " + std::to_string(v) +
                               " is out of the dtype's range");
      }
    }
    const T t = static_cast<T>(v);
    std::memcpy(p, &t, sizeof(T));
    p += sizeof(T);
  }
  return Status::Ok();
}

// The typed field of `type` packed into `out`; its element count in `count`.
Status PackTyped(DataType type, const tensorflow::TensorProto& proto,
                 const std::string& where, std::string* out, int64_t* count) {
  switch (type) {
    case DataType::kFp32:
      *count = proto.float_val_size();
      return Pack<float>(proto.float_val(), where, out);
    case DataType::kFp64:
      *count = proto.double_val_size();
      return Pack<double>(proto.double_val(), where, out);
    case DataType::kInt32:
      *count = proto.int_val_size();
      return Pack<int32_t>(proto.int_val(), where, out);
    case DataType::kInt16:
      *count = proto.int_val_size();
      return Pack<int16_t>(proto.int_val(), where, out);
    case DataType::kInt8:
      *count = proto.int_val_size();
      return Pack<int8_t>(proto.int_val(), where, out);
    case DataType::kUint8:
      *count = proto.int_val_size();
      return Pack<uint8_t>(proto.int_val(), where, out);
    case DataType::kUint16:
      *count = proto.int_val_size();
      return Pack<uint16_t>(proto.int_val(), where, out);
    case DataType::kFp16:
    case DataType::kBf16:
      *count = proto.half_val_size();
      return Pack<uint16_t>(proto.half_val(), where, out);
    case DataType::kInt64:
      *count = proto.int64_val_size();
      return Pack<int64_t>(proto.int64_val(), where, out);
    case DataType::kUint32:
      *count = proto.uint32_val_size();
      return Pack<uint32_t>(proto.uint32_val(), where, out);
    case DataType::kUint64:
      *count = proto.uint64_val_size();
      return Pack<uint64_t>(proto.uint64_val(), where, out);
    case DataType::kBool:
      *count = proto.bool_val_size();
      return Pack<bool>(proto.bool_val(), where, out);
    case DataType::kBytes:
      *count = proto.string_val_size();
      out->clear();
      for (const std::string& s : proto.string_val())
        AppendBytesElement(s, out);
      return Status::Ok();
    case DataType::kInvalid:
      break;
  }
  return InvalidArgument(where + ": no dtype");
}

}  // namespace

std::optional<DataType> FromTfType(tensorflow::DataType type) {
  for (const auto& [tf, ours] : kTypes) {
    if (tf == type) return ours;
  }
  return std::nullopt;
}

tensorflow::DataType ToTfType(DataType type) {
  for (const auto& [tf, ours] : kTypes) {
    if (ours == type) return tf;
  }
  return tensorflow::DT_INVALID;
}

StatusOr<InferInput> FromTensorProto(
    std::string_view name, const tensorflow::TensorProto& proto,
    const std::vector<int64_t>* implied_shape) {
  const std::string where = "input '" + std::string(name) + "'";
  InferInput in;
  in.name = std::string(name);
  const std::optional<DataType> type = FromTfType(proto.dtype());
  if (!type) {
    const std::string dtype =
        tensorflow::DataType_IsValid(proto.dtype())
            ? tensorflow::DataType_Name(proto.dtype())
            : std::to_string(static_cast<int>(proto.dtype()));
    return InvalidArgument(where + ": dtype " + dtype +
                           (proto.dtype() == tensorflow::DT_INVALID
                                ? " (the dtype is missing)"
                                : " is not supported"));
  }
  in.type = *type;
  if (proto.tensor_shape().unknown_rank()) {
    return InvalidArgument(where + ": the tensor_shape has an unknown rank");
  }
  for (const auto& dim : proto.tensor_shape().dim()) {
    if (dim.size() < 0) {
      return InvalidArgument(where + ": dimension " +
                             std::to_string(dim.size()) +
                             " in tensor_shape is negative");
    }
    in.shape.push_back(dim.size());
  }
  if (!proto.has_tensor_shape() && implied_shape != nullptr) {
    in.shape = *implied_shape;
  }
  const std::optional<int64_t> count = CheckedElementCount(in.shape);
  if (!count) {
    return InvalidArgument(where + ": tensor_shape " + ShapeString(in.shape) +
                           " has too many elements");
  }
  const std::string dtype_name = tensorflow::DataType_Name(proto.dtype());
  if (!proto.tensor_content().empty()) {
    if (in.type == DataType::kBytes) {
      return InvalidArgument(where + ": a DT_STRING tensor carries its " +
                             "elements in string_val, not tensor_content");
    }
    const std::optional<size_t> want =
        CheckedByteSize(in.shape, DataTypeSize(in.type));
    if (!want || *want != proto.tensor_content().size()) {
      return InvalidArgument(
          where + ": tensor_content has " +
          std::to_string(proto.tensor_content().size()) + " bytes, but " +
          "tensor_shape " + ShapeString(in.shape) + " of " + dtype_name +
          " needs " + (want ? std::to_string(*want) : "more"));
    }
    in.data = proto.tensor_content().data();
    in.byte_size = proto.tensor_content().size();
    return in;
  }
  int64_t given = 0;
  RETURN_IF_ERROR(PackTyped(in.type, proto, where, &in.owned, &given));
  if (given != *count) {
    return InvalidArgument(where + ": " + std::to_string(given) +
                           " values of " + dtype_name + ", but tensor_shape " +
                           ShapeString(in.shape) + " has " +
                           std::to_string(*count) + " elements");
  }
  return in;  // data stays null: the caller points it at `owned`
}

Status ToTensorProto(const Tensor& tensor, tensorflow::TensorProto* proto) {
  proto->Clear();
  proto->set_dtype(ToTfType(tensor.type));
  for (int64_t d : tensor.shape)
    proto->mutable_tensor_shape()->add_dim()->set_size(d);
  if (tensor.type == DataType::kBytes) {
    const std::optional<int64_t> count = CheckedElementCount(tensor.shape);
    if (!count) return Internal("output '" + tensor.name + "': bad shape");
    ASSIGN_OR_RETURN(
        auto elements,
        SplitBytesElements({tensor.data, tensor.byte_size}, *count));
    for (std::string_view e : elements) proto->add_string_val(std::string(e));
    return Status::Ok();
  }
  proto->set_tensor_content(tensor.data, tensor.byte_size);
  return Status::Ok();
}

}  // namespace adlik::tfserving
