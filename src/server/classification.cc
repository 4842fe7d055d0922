#include "server/classification.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "adlik/bytes_tensor.h"
#include "base/half.h"

namespace adlik {
namespace {

// The elements of `data` as doubles; `n` of them, of type `type`.
Status LoadValues(DataType type, const char* data, size_t n,
                  std::vector<double>* values) {
  return VisitDataType(type, [&](auto tag) -> Status {
    using T = typename decltype(tag)::Element;
    if constexpr (std::is_same_v<T, bool>) {
      for (size_t i = 0; i < n; ++i) (*values)[i] = data[i] != 0;
    } else if constexpr (std::is_arithmetic_v<T> || kIsHalfType<T>) {
      for (size_t i = 0; i < n; ++i) {
        T v;
        std::memcpy(&v, data + i * sizeof(T), sizeof(T));
        if constexpr (kIsHalfType<T>) {
          (*values)[i] = ToFloat(v);
        } else {
          (*values)[i] = static_cast<double>(v);
        }
      }
    } else {
      return InvalidArgument("classification needs a numeric output");
    }
    return Status::Ok();
  });
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
    RETURN_IF_ERROR(LoadValues(output.type, output.data + r * per_row * size,
                               static_cast<size_t>(per_row), &values));
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
