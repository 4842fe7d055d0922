#include "server/request_validator.h"

#include <algorithm>

#include "adlik/bytes_tensor.h"
#include "base/shape_string.h"

namespace adlik {
namespace {

// The shape a request's tensor must have: the batch dimension (when there is
// one) then dims, -1 matching anything.
std::vector<int64_t> ExpectedShape(const inference::ModelConfig& config,
                                   const inference::ModelInput& in) {
  std::vector<int64_t> shape;
  if (config.max_batch_size() > 0) shape.push_back(-1);
  shape.insert(shape.end(), in.dims().begin(), in.dims().end());
  return shape;
}

}  // namespace

Status ValidateRequest(const inference::ModelConfig& config,
                       InferRequest* request) {
  const bool batched = config.max_batch_size() > 0;
  int64_t batch = -1;
  std::vector<bool> seen(config.input_size(), false);
  for (const InferInput& in : request->inputs) {
    const std::string where = "input '" + in.name + "'";
    int index = -1;
    for (int i = 0; i < config.input_size(); ++i) {
      if (config.input(i).name() == in.name) index = i;
    }
    if (index < 0) {
      std::string known;
      for (const auto& c : config.input())
        known += (known.empty() ? "" : ", ") + c.name();
      return InvalidArgument(where + ": model '" + config.name() +
                             "' has no such input (it has: " + known + ")");
    }
    if (seen[index]) return InvalidArgument(where + ": given more than once");
    seen[index] = true;
    const auto& spec = config.input(index);
    const auto expected_type = static_cast<DataType>(spec.data_type());
    if (in.type != expected_type) {
      return InvalidArgument(where + ": datatype " +
                             std::string(DataTypeName(in.type)) +
                             " does not match the model's " +
                             std::string(DataTypeName(expected_type)));
    }
    for (int64_t d : in.shape) {
      if (d < 0) {
        return InvalidArgument(where + ": shape " + ShapeString(in.shape) +
                               " has a negative dimension");
      }
    }
    const std::vector<int64_t> expected = ExpectedShape(config, spec);
    bool match = expected.size() == in.shape.size();
    for (size_t i = 0; match && i < expected.size(); ++i) {
      match = expected[i] == -1 || expected[i] == in.shape[i];
    }
    if (!match) {
      std::string want = ShapeString(expected);
      if (batched) want += " (batch first; -1: any size)";
      return InvalidArgument(where + ": shape " + ShapeString(in.shape) +
                             " does not match the model's " + want);
    }
    if (batched) {
      const int64_t b = in.shape[0];
      if (b < 1 || b > config.max_batch_size()) {
        return InvalidArgument(
            where + ": batch size " + std::to_string(b) + " is outside 1.." +
            std::to_string(config.max_batch_size()) + " (max_batch_size)");
      }
      if (batch != -1 && b != batch) {
        return InvalidArgument(where + ": batch size " + std::to_string(b) +
                               " differs from the other inputs' " +
                               std::to_string(batch));
      }
      batch = b;
    }
    const std::optional<int64_t> count = CheckedElementCount(in.shape);
    if (!count) {
      return InvalidArgument(where + ": shape " + ShapeString(in.shape) +
                             " has more elements than a 64-bit count holds");
    }
    if (in.type == DataType::kBytes) {
      auto elements = SplitBytesElements({in.data, in.byte_size}, *count);
      if (!elements.ok()) return elements.status().WithPrefix(where);
    } else {
      const std::optional<size_t> want =
          CheckedByteSize(in.shape, DataTypeSize(in.type));
      if (!want || in.byte_size != *want) {
        return InvalidArgument(
            where + ": " + std::to_string(in.byte_size) +
            " bytes of data, but shape " + ShapeString(in.shape) + " of " +
            std::string(DataTypeName(in.type)) + " needs " +
            (want ? std::to_string(*want) : std::string("more than 2^64")));
      }
    }
  }
  for (int i = 0; i < config.input_size(); ++i) {
    if (!seen[i] && !config.input(i).optional()) {
      return InvalidArgument("input '" + config.input(i).name() +
                             "' is missing from the request");
    }
  }
  request->batch_size = batched ? batch : 1;

  if (request->outputs.empty()) {
    for (const auto& out : config.output())
      request->outputs.push_back({out.name(), 0});
    return Status::Ok();
  }
  for (size_t i = 0; i < request->outputs.size(); ++i) {
    const RequestedOutput& out = request->outputs[i];
    auto it = std::find_if(config.output().begin(), config.output().end(),
                           [&](const auto& o) { return o.name() == out.name; });
    if (it == config.output().end()) {
      std::string known;
      for (const auto& c : config.output())
        known += (known.empty() ? "" : ", ") + c.name();
      return InvalidArgument("output '" + out.name + "': model '" +
                             config.name() +
                             "' has no such output (it has: " + known + ")");
    }
    for (size_t j = 0; j < i; ++j) {
      if (request->outputs[j].name == out.name) {
        return InvalidArgument("output '" + out.name + "': requested twice");
      }
    }
    if (out.classification > 0 && it->data_type() == inference::TYPE_STRING) {
      return InvalidArgument("output '" + out.name +
                             "': classification needs a numeric output");
    }
  }
  return Status::Ok();
}

}  // namespace adlik
