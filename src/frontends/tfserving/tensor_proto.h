// TensorFlow's TensorProto and DataType against the server core's tensors:
// what the TensorFlow Serving and the original Adlik front ends share (both
// carry tensorflow.TensorProto).
//
// An input is read from tensor_content in place (the InferInput points into
// the message, which must outlive the request) or, when tensor_content is
// empty, from the typed field of its dtype (float_val, int_val, string_val,
// ...), converted into the input's `owned` bytes; `data` is then left null
// for the caller to point at `owned` (UseOwned) once the input is in its
// final place (moving a short string moves its bytes). An output is written as
// tensor_content, BYTES outputs as string_val.
//
// Thread-safety: pure functions.
#ifndef ADLIK_FRONTENDS_TFSERVING_TENSOR_PROTO_H_
#define ADLIK_FRONTENDS_TFSERVING_TENSOR_PROTO_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adlik/data_type.h"
#include "adlik/status.h"
#include "adlik/tensor.h"
#include "base/infer_request.h"
#include "tensorflow/core/framework/tensor.pb.h"
#include "tensorflow/core/framework/types.pb.h"

namespace adlik::tfserving {

// The core's type of a TensorFlow dtype; nullopt for one it has none of
// (complex, quantized, resource, variant).
std::optional<DataType> FromTfType(tensorflow::DataType type);
// TensorFlow's dtype of a core type (DT_INVALID for kInvalid).
tensorflow::DataType ToTfType(DataType type);

// `proto` as the input `name`. INVALID_ARGUMENT naming the input for a dtype
// that is missing or not supported, an unknown rank or a negative dimension,
// tensor_content whose size is not the shape's, a typed field with a count
// other than the shape's, or an integer out of the dtype's range.
// `implied_shape`: the shape of a proto without tensor_shape (else a
// scalar's, []).
StatusOr<InferInput> FromTensorProto(
    std::string_view name, const tensorflow::TensorProto& proto,
    const std::vector<int64_t>* implied_shape = nullptr);

// `tensor` into `proto` (cleared first).
Status ToTensorProto(const Tensor& tensor, tensorflow::TensorProto* proto);

}  // namespace adlik::tfserving

#endif  // ADLIK_FRONTENDS_TFSERVING_TENSOR_PROTO_H_
