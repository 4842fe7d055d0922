#include "onnx_model.h"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <climits>
#include <fstream>
#include <set>
#include <sstream>

namespace adlik::compiler {
namespace {

int64_t NewestKnownOpset() {
  const auto& map =
      onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto it = map.find(onnx::ONNX_DOMAIN);
  return it == map.end() ? 0 : it->second.second;
}

}  // namespace

StatusOr<onnx::ModelProto> ReadOnnxFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("model file '" + path + "' cannot be read");
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return NotFound("model file '" + path + "': read error");
  return ParseOnnx(buffer.str(), path);
}

StatusOr<onnx::ModelProto> ParseOnnx(std::string_view bytes,
                                     std::string_view source) {
  onnx::ModelProto model;
  if (bytes.size() > static_cast<size_t>(INT_MAX) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgument(std::string(source) +
                           ": not an ONNX model (the file does not parse as "
                           "an ONNX ModelProto)");
  }
  if (!model.has_graph() || model.ir_version() <= 0 ||
      (model.graph().node_size() == 0 && model.graph().output_size() == 0)) {
    return InvalidArgument(std::string(source) +
                           ": not an ONNX model (no ir_version or no graph)");
  }
  return model;
}

StatusOr<std::string> SerializeOnnx(const onnx::ModelProto& model) {
  const size_t size = model.ByteSizeLong();
  if (size > static_cast<size_t>(INT_MAX)) {
    return InvalidArgument("the model is " + std::to_string(size >> 20) +
                           " MiB, over protobuf's 2 GiB limit (models with "
                           "external data are not supported)");
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes)) {
    return Internal("cannot serialize the ONNX model");
  }
  return bytes;
}

Status CheckOnnx(const onnx::ModelProto& model, std::string_view what,
                 std::string* warning) {
  const int64_t opset = OpsetVersion(model);
  const bool newer =
      model.ir_version() > onnx::IR_VERSION || opset > NewestKnownOpset();
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    if (newer) {
      *warning = std::string(what) + ": the ONNX checker (IR <= " +
                 std::to_string(onnx::IR_VERSION) +
                 ", opset <= " + std::to_string(NewestKnownOpset()) +
                 ") cannot judge this model (IR " +
                 std::to_string(model.ir_version()) + ", opset " +
                 std::to_string(opset) + "): " + e.what();
      return Status::Ok();
    }
    return InvalidArgument(std::string(what) +
                           ": invalid ONNX model: " + e.what());
  }
  return Status::Ok();
}

Status InferShapes(onnx::ModelProto* model) {
  try {
    onnx::ShapeInferenceOptions options(/*check_type_val=*/false,
                                        /*strict_mode_val=*/0,
                                        /*data_prop_val=*/true);
    onnx::shape_inference::InferShapes(
        *model, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("ONNX shape inference: ") + e.what());
  }
  return Status::Ok();
}

int64_t OpsetVersion(const onnx::ModelProto& model, std::string_view domain) {
  for (const auto& op : model.opset_import()) {
    if (op.domain() == domain || (domain.empty() && op.domain() == "ai.onnx")) {
      return op.version();
    }
  }
  return 0;
}

std::vector<const onnx::ValueInfoProto*> RealInputs(
    const onnx::GraphProto& graph) {
  std::set<std::string> initializers;
  for (const auto& t : graph.initializer()) initializers.insert(t.name());
  std::vector<const onnx::ValueInfoProto*> inputs;
  for (const auto& in : graph.input()) {
    if (!initializers.count(in.name())) inputs.push_back(&in);
  }
  return inputs;
}

std::vector<onnx::ValueInfoProto*> MutableRealInputs(onnx::GraphProto* graph) {
  std::set<std::string> initializers;
  for (const auto& t : graph->initializer()) initializers.insert(t.name());
  std::vector<onnx::ValueInfoProto*> inputs;
  for (auto& in : *graph->mutable_input()) {
    if (!initializers.count(in.name())) inputs.push_back(&in);
  }
  return inputs;
}

std::optional<DataType> FromOnnxType(int32_t elem_type) {
  switch (elem_type) {
    case onnx::TensorProto::BOOL:
      return DataType::kBool;
    case onnx::TensorProto::UINT8:
      return DataType::kUint8;
    case onnx::TensorProto::UINT16:
      return DataType::kUint16;
    case onnx::TensorProto::UINT32:
      return DataType::kUint32;
    case onnx::TensorProto::UINT64:
      return DataType::kUint64;
    case onnx::TensorProto::INT8:
      return DataType::kInt8;
    case onnx::TensorProto::INT16:
      return DataType::kInt16;
    case onnx::TensorProto::INT32:
      return DataType::kInt32;
    case onnx::TensorProto::INT64:
      return DataType::kInt64;
    case onnx::TensorProto::FLOAT16:
      return DataType::kFp16;
    case onnx::TensorProto::FLOAT:
      return DataType::kFp32;
    case onnx::TensorProto::DOUBLE:
      return DataType::kFp64;
    case onnx::TensorProto::STRING:
      return DataType::kBytes;
    case onnx::TensorProto::BFLOAT16:
      return DataType::kBf16;
    default:
      return std::nullopt;
  }
}

std::optional<int32_t> ToOnnxType(DataType type) {
  for (int32_t e = onnx::TensorProto::FLOAT; e <= onnx::TensorProto::BFLOAT16;
       ++e) {
    if (FromOnnxType(e) == type) return e;
  }
  return std::nullopt;
}

namespace {

StatusOr<TensorSpec> Describe(const onnx::ValueInfoProto& value,
                              std::string_view kind) {
  const std::string where = std::string(kind) + " '" + value.name() + "'";
  if (!value.type().has_tensor_type()) {
    return Unimplemented(where +
                         " is not a tensor (sequences, maps and "
                         "optionals are not supported)");
  }
  const auto& tensor = value.type().tensor_type();
  auto type = FromOnnxType(tensor.elem_type());
  if (!type) {
    return Unimplemented(where + " has ONNX element type " +
                         std::to_string(tensor.elem_type()) +
                         ", which the KServe protocol cannot carry");
  }
  if (!tensor.has_shape()) {
    return InvalidArgument(where + " has no shape in the model");
  }
  TensorSpec spec{value.name(), *type, {}};
  for (const auto& d : tensor.shape().dim()) {
    spec.shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
  }
  return spec;
}

}  // namespace

StatusOr<Signature> OnnxSignature(const onnx::ModelProto& model) {
  Signature sig;
  for (const auto* in : RealInputs(model.graph())) {
    ASSIGN_OR_RETURN(TensorSpec t, Describe(*in, "input"));
    sig.inputs.push_back(std::move(t));
  }
  for (const auto& out : model.graph().output()) {
    ASSIGN_OR_RETURN(TensorSpec t, Describe(out, "output"));
    sig.outputs.push_back(std::move(t));
  }
  return sig;
}

std::string ShapeString(const onnx::TypeProto& type) {
  if (!type.has_tensor_type() || !type.tensor_type().has_shape()) return "[?]";
  std::string s = "[";
  bool first = true;
  for (const auto& d : type.tensor_type().shape().dim()) {
    if (!first) s += ",";
    first = false;
    if (d.has_dim_value()) {
      s += std::to_string(d.dim_value());
    } else if (!d.dim_param().empty()) {
      s += d.dim_param();
    } else {
      s += "?";
    }
  }
  return s + "]";
}

}  // namespace adlik::compiler
