#include "passes/fix_shapes.h"

#include <set>

#include "onnx_model.h"

namespace adlik::compiler {
namespace {

std::string DimName(const onnx::TensorShapeProto::Dimension& d) {
  return d.dim_param().empty() ? "" : " ('" + d.dim_param() + "')";
}

Status FixInput(const FixShapesOptions& options, onnx::ValueInfoProto* input) {
  const std::string where = "input '" + input->name() + "'";
  if (!input->type().has_tensor_type()) {
    return Unimplemented(where +
                         " is not a tensor; only tensors can be made static");
  }
  auto* tensor = input->mutable_type()->mutable_tensor_type();
  auto given = options.input_shapes.find(input->name());
  if (given != options.input_shapes.end()) {
    const std::vector<int64_t>& dims = given->second;
    if (options.max_batch_size > 0 &&
        (dims.empty() || dims[0] != options.max_batch_size)) {
      return InvalidArgument(
          "input_shapes: " + where +
          ": the first dimension is the batch and "
          "must be max_batch_size (" +
          std::to_string(options.max_batch_size) + ")" +
          (dims.empty() ? "" : ", got " + std::to_string(dims[0])));
    }
    if (tensor->has_shape()) {
      const auto& shape = tensor->shape();
      if (shape.dim_size() != static_cast<int>(dims.size())) {
        return InvalidArgument("input_shapes: " + where + " has rank " +
                               std::to_string(shape.dim_size()) +
                               " in the model " + ShapeString(input->type()) +
                               ", " + std::to_string(dims.size()) +
                               " dimensions given");
      }
      for (int i = 0; i < shape.dim_size(); ++i) {
        if (shape.dim(i).has_dim_value() &&
            shape.dim(i).dim_value() != dims[i]) {
          return InvalidArgument("input_shapes: " + where + ": dimension " +
                                 std::to_string(i) + " is fixed to " +
                                 std::to_string(shape.dim(i).dim_value()) +
                                 " in the model " + ShapeString(input->type()) +
                                 ", " + std::to_string(dims[i]) + " given");
        }
      }
    }
    auto* shape = tensor->mutable_shape();
    shape->clear_dim();
    for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
    return Status::Ok();
  }
  if (!tensor->has_shape()) {
    return InvalidArgument(where +
                           " has no shape in the model; give its full "
                           "shape in input_shapes");
  }
  const std::string declared = ShapeString(input->type());
  auto* shape = tensor->mutable_shape();
  for (int i = 0; i < shape->dim_size(); ++i) {
    auto* d = shape->mutable_dim(i);
    if (d->has_dim_value()) continue;
    if (i == 0 && options.max_batch_size > 0) {
      d->set_dim_value(options.max_batch_size);  // clears dim_param (oneof)
      continue;
    }
    return InvalidArgument(where + " " + declared + ": dimension " +
                           std::to_string(i) + DimName(*d) +
                           " is dynamic; give the input's full shape in "
                           "input_shapes");
  }
  return Status::Ok();
}

}  // namespace

Status FixShapes(const FixShapesOptions& options, onnx::ModelProto* model) {
  auto* graph = model->mutable_graph();
  std::vector<onnx::ValueInfoProto*> inputs = MutableRealInputs(graph);
  std::string names;
  for (const auto* in : inputs)
    names += (names.empty() ? "" : ", ") + in->name();
  for (const auto& [name, dims] : options.input_shapes) {
    bool found = false;
    for (const auto* in : inputs) found = found || in->name() == name;
    if (!found) {
      return InvalidArgument(
          "input_shapes: '" + name +
          "' is not an input of the model (its inputs: " + names + ")");
    }
  }
  for (auto* input : inputs) RETURN_IF_ERROR(FixInput(options, input));

  // Re-infer the shapes the fixed inputs determine. Entries inference cannot
  // rebuild (operators libonnx does not know) are kept as they were.
  std::vector<onnx::ValueInfoProto> old_info(graph->value_info().begin(),
                                             graph->value_info().end());
  graph->clear_value_info();
  RETURN_IF_ERROR(InferShapes(model));
  std::set<std::string> inferred;
  for (const auto& v : graph->value_info()) inferred.insert(v.name());
  for (auto& v : old_info) {
    if (!inferred.count(v.name())) *graph->add_value_info() = std::move(v);
  }
  return Status::Ok();
}

}  // namespace adlik::compiler
