// Tensors as the platform hands them to a runtime and takes them back.
//
// TensorView: an input, borrowed. The bytes belong to the request (or to the
// batch buffer the scheduler merged requests into) and stay valid for the
// duration of the call that receives the view.
//
// Tensor: an output, owned through `holder`. A runtime may point `data` into
// its engine's own output buffer and put whatever keeps that buffer alive into
// `holder`, so outputs reach the wire without a copy.
//
// Layout: row-major, no padding, little-endian; BOOL is one byte; BYTES is the
// serialized form (4-byte little-endian length + bytes, per element).
//
// Thread-safety: plain values; not synchronized.
#ifndef ADLIK_TENSOR_H_
#define ADLIK_TENSOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adlik/data_type.h"

namespace adlik {

// Product of the dimensions (1 for a scalar shape []), or nullopt when a
// dimension is negative or the product does not fit in int64_t. Use it on
// every shape that comes from outside before computing a size from it.
inline std::optional<int64_t> CheckedElementCount(
    std::span<const int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) return std::nullopt;
  }
  return n;
}

// Bytes of a tensor of `shape` whose elements take `element_size` bytes each,
// or nullopt when CheckedElementCount refuses the shape or the size does not
// fit in size_t. Use it before sizing anything from a shape from outside.
inline std::optional<size_t> CheckedByteSize(std::span<const int64_t> shape,
                                             size_t element_size) {
  const std::optional<int64_t> count = CheckedElementCount(shape);
  size_t bytes = 0;
  if (!count || __builtin_mul_overflow(static_cast<uint64_t>(*count),
                                       uint64_t{element_size}, &bytes)) {
    return std::nullopt;
  }
  return bytes;
}

// Product of the dimensions of a shape already checked with
// CheckedElementCount (or made by the platform): every dimension >= 0 and
// the product fits in int64_t.
inline int64_t ElementCount(std::span<const int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// A tensor as declared by a config or by an engine file. `shape` is the full
// shape the engine sees, batch dimension included where there is one; -1 is a
// dimension of any size.
struct TensorSpec {
  std::string name;
  DataType type = DataType::kInvalid;
  std::vector<int64_t> shape;
};

// The inputs and outputs an engine file declares.
struct Signature {
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
};

struct TensorView {
  std::string_view name;
  DataType type = DataType::kInvalid;
  std::span<const int64_t> shape;
  const char* data = nullptr;
  size_t byte_size = 0;
};

struct Tensor {
  std::string name;
  DataType type = DataType::kInvalid;
  std::vector<int64_t> shape;
  const char* data = nullptr;
  size_t byte_size = 0;
  std::shared_ptr<const void> holder;  // keeps `data` alive

  TensorView view() const { return {name, type, shape, data, byte_size}; }

  // A tensor that owns `bytes`.
  static Tensor FromBytes(std::string name, DataType type,
                          std::vector<int64_t> shape, std::string bytes) {
    auto owned = std::make_shared<const std::string>(std::move(bytes));
    Tensor t{std::move(name), type,          std::move(shape),
             owned->data(),   owned->size(), nullptr};
    t.holder = std::move(owned);
    return t;
  }
};

}  // namespace adlik

#endif  // ADLIK_TENSOR_H_
