// ONNX model helpers shared by the passes: reading, writing, checking and
// shape inference over Debian's libonnx (1.12), and the signature a model
// declares.
//
// libonnx throws; these functions catch and return Status. libonnx 1.12 knows
// IR version 8 and opset 17: for a model newer than that the checker is
// skipped (with a warning) and ONNX Runtime, which loads the model in the
// numeric check, validates it instead.
//
// Thread-safety: pure functions; the ModelProto arguments are the caller's.
#ifndef ADLIK_COMPILER_ONNX_MODEL_H_
#define ADLIK_COMPILER_ONNX_MODEL_H_

#include <onnx/onnx_pb.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adlik/data_type.h"
#include "adlik/status.h"
#include "adlik/tensor.h"

namespace adlik::compiler {

// Reads an ONNX file. NOT_FOUND when it cannot be read; INVALID_ARGUMENT when
// it is not an ONNX model.
StatusOr<onnx::ModelProto> ReadOnnxFile(const std::string& path);

// Parses serialized ONNX. `source` names it in messages.
StatusOr<onnx::ModelProto> ParseOnnx(std::string_view bytes,
                                     std::string_view source);

// Serializes a model (INVALID_ARGUMENT above protobuf's 2 GiB limit).
StatusOr<std::string> SerializeOnnx(const onnx::ModelProto& model);

// Runs the ONNX checker. Returns OK with `*warning` set when the model is
// newer than libonnx and the checker could not judge it.
Status CheckOnnx(const onnx::ModelProto& model, std::string_view what,
                 std::string* warning);

// Runs ONNX shape inference, filling value_info and refining the declared
// output shapes. Node-level inference failures are not errors.
Status InferShapes(onnx::ModelProto* model);

// The model's opset for `domain` ("" is the default ONNX domain); 0 if the
// model does not import it.
int64_t OpsetVersion(const onnx::ModelProto& model,
                     std::string_view domain = "");

// The graph inputs that are not initializers, in order.
std::vector<const onnx::ValueInfoProto*> RealInputs(
    const onnx::GraphProto& graph);
std::vector<onnx::ValueInfoProto*> MutableRealInputs(onnx::GraphProto* graph);

// DataType of an ONNX TensorProto element type; nullopt when the KServe
// protocol cannot carry it.
std::optional<DataType> FromOnnxType(int32_t elem_type);
// The inverse: the TensorProto element type of `type` (the same numbers as
// ONNX Runtime's ONNXTensorElementDataType), or nullopt.
std::optional<int32_t> ToOnnxType(DataType type);

// The inputs and outputs the model declares, shapes with -1 for dynamic
// dimensions. Refuses tensors with no type or no shape, and non-tensors.
StatusOr<Signature> OnnxSignature(const onnx::ModelProto& model);

// "[batch,3,224,224]" for a declared shape, "[?]" when it has none.
std::string ShapeString(const onnx::TypeProto& type);

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_ONNX_MODEL_H_
