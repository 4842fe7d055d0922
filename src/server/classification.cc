#include "server/classification.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <numeric>

#include "adlik/bytes_tensor.h"
#include "base/half.h"

namespace adlik {
namespace {

template <typename T>
double Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return static_cast<double>(v);
}

StatusOr<double> Element(DataType type, const char* p) {
  switch (type) {
    case DataType::kBool:
      return static_cast<double>(*p != 0);
    case DataType::kUint8:
      return Load<uint8_t>(p);
    case DataType::kUint16:
      return Load<uint16_t>(p);
    case DataType::kUint32:
      return Load<uint32_t>(p);
    case DataType::kUint64:
      return Load<uint64_t>(p);
    case DataType::kInt8:
      return Load<int8_t>(p);
    case DataType::kInt16:
      return Load<int16_t>(p);
    case DataType::kInt32:
      return Load<int32_t>(p);
    case DataType::kInt64:
      return Load<int64_t>(p);
    case DataType::kFp32:
      return Load<float>(p);
    case DataType::kFp64:
      return Load<double>(p);
    case DataType::kFp16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      return static_cast<double>(HalfToFloat(h));
    }
    case DataType::kBf16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      return static_cast<double>(Bf16ToFloat(h));
    }
    default:
      return InvalidArgument("classification needs a numeric output");
  }
}

}  // namespace

StatusOr<Tensor> Classify(const Tensor& output, uint32_t k, bool batched,
                          const std::vector<std::string>& labels) {
  const size_t size = DataTypeSize(output.type);
  if (size == 0) {
    return InvalidArgument("output '" + output.name +
                           "': classification needs a numeric output");
  }
  const int64_t total = ElementCount(output.shape);
  const int64_t rows = batched && !output.shape.empty() ? output.shape[0] : 1;
  const int64_t per_row = rows > 0 ? total / rows : 0;
  const int64_t top = std::min<int64_t>(k, per_row);
  std::string serialized;
  std::vector<double> values(per_row);
  std::vector<int64_t> order(per_row);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < per_row; ++i) {
      ASSIGN_OR_RETURN(
          values[i],
          Element(output.type, output.data + (r * per_row + i) * size));
    }
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + top, order.end(),
                      [&](int64_t a, int64_t b) {
                        return values[a] > values[b] ||
                               (values[a] == values[b] && a < b);
                      });
    for (int64_t i = 0; i < top; ++i) {
      const int64_t idx = order[i];
      std::string entry =
          std::to_string(values[idx]) + ":" + std::to_string(idx);
      if (idx < static_cast<int64_t>(labels.size())) entry += ":" + labels[idx];
      AppendBytesElement(entry, &serialized);
    }
  }
  std::vector<int64_t> shape;
  if (batched) shape.push_back(rows);
  shape.push_back(top);
  return Tensor::FromBytes(output.name, DataType::kBytes, std::move(shape),
                           std::move(serialized));
}

}  // namespace adlik
