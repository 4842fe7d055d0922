// Which field of the KServe v2 gRPC InferTensorContents carries which
// datatype: BOOL in bool_contents; INT8, INT16, INT32 in int_contents; INT64
// in int64_contents; UINT8, UINT16, UINT32 in uint_contents; UINT64 in
// uint64_contents; FP32, FP64 in fp32_contents, fp64_contents; BYTES in
// bytes_contents. FP16 and BF16 have no field (raw contents only). Used by
// the server to read requests and by the client to read responses.
//
// Thread-safety: pure functions.
#ifndef ADLIK_FRONTENDS_GRPC_TENSOR_CONTENTS_H_
#define ADLIK_FRONTENDS_GRPC_TENSOR_CONTENTS_H_

#include <string_view>
#include <type_traits>

#include "frontends/grpc/grpc_service.pb.h"

namespace adlik::grpc_frontend {

// Whether elements of C++ type T (a DataTypeTag's Element) have a field.
template <typename T>
inline constexpr bool kHasContentsField =
    std::is_arithmetic_v<T> || std::is_same_v<T, std::string_view>;

// The field of `c` that carries elements of type T.
template <typename T>
requires kHasContentsField<T>
const auto& ContentsField(const inference::InferTensorContents& c) {
  if constexpr (std::is_same_v<T, bool>) {
    return c.bool_contents();
  } else if constexpr (std::is_same_v<T, float>) {
    return c.fp32_contents();
  } else if constexpr (std::is_same_v<T, double>) {
    return c.fp64_contents();
  } else if constexpr (std::is_same_v<T, std::string_view>) {
    return c.bytes_contents();
  } else if constexpr (std::is_signed_v<T>) {
    if constexpr (sizeof(T) == 8) {
      return c.int64_contents();
    } else {
      return c.int_contents();
    }
  } else if constexpr (sizeof(T) == 8) {
    return c.uint64_contents();
  } else {
    return c.uint_contents();
  }
}

}  // namespace adlik::grpc_frontend

#endif  // ADLIK_FRONTENDS_GRPC_TENSOR_CONTENTS_H_
