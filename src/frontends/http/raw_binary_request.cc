#include "frontends/http/raw_binary_request.h"

#include <cstdint>
#include <limits>
#include <vector>

#include "adlik/bytes_tensor.h"
#include "base/shape_string.h"

namespace adlik::http {

StatusOr<std::unique_ptr<InferRequest>> ParseRawBinaryRequest(
    const inference::ModelConfig& config, std::string body) {
  const std::string what =
      "a raw binary request (Inference-Header-Content-Length: 0)";
  if (config.input_size() != 1) {
    return InvalidArgument(what + " needs a model with exactly one input; '" +
                           config.name() + "' has " +
                           std::to_string(config.input_size()));
  }
  const inference::ModelInput& spec = config.input(0);
  const std::string where = what + ", input '" + spec.name() + "'";
  const std::vector<int64_t> dims(spec.dims().begin(), spec.dims().end());
  auto req = std::make_unique<InferRequest>();
  InferInput& in = req->inputs.emplace_back();
  in.name = spec.name();
  in.type = static_cast<DataType>(spec.data_type());
  if (config.max_batch_size() > 0) in.shape.push_back(1);
  const size_t batch_dims = in.shape.size();
  in.shape.insert(in.shape.end(), spec.dims().begin(), spec.dims().end());

  if (in.type == DataType::kBytes) {
    for (size_t i = batch_dims; i < in.shape.size(); ++i) {
      if (in.shape[i] != 1 && in.shape[i] != -1) {
        return InvalidArgument(where +
                               ": a BYTES input must have the shape "
                               "[1] to be sent raw; its dims are " +
                               ShapeString(dims));
      }
      in.shape[i] = 1;
    }
    if (body.size() > std::numeric_limits<uint32_t>::max()) {
      return InvalidArgument(where +
                             ": a BYTES element holds at most 2^32-1 "
                             "bytes, the body has " +
                             std::to_string(body.size()));
    }
    AppendBytesElement(body, &in.owned);
    in.UseOwned();
    return req;
  }

  int variable = -1;
  std::vector<int64_t> fixed;
  for (size_t i = batch_dims; i < in.shape.size(); ++i) {
    if (in.shape[i] != -1) {
      fixed.push_back(in.shape[i]);
    } else if (variable != -1) {
      return InvalidArgument(
          where + ": its dims " + ShapeString(dims) +
          " have more than one variable dimension, so the shape cannot be "
          "deduced from the body's size");
    } else {
      variable = static_cast<int>(i);
    }
  }
  if (variable != -1) {
    const std::optional<size_t> unit =
        CheckedByteSize(fixed, DataTypeSize(in.type));
    if (!unit || *unit == 0 || body.size() % *unit != 0) {
      return InvalidArgument(
          where + ": " + std::to_string(body.size()) +
          " bytes are not a whole number of " +
          (unit ? std::to_string(*unit) : std::string("(too many)")) +
          "-byte rows of dims " + ShapeString(dims) + " of " +
          std::string(DataTypeName(in.type)));
    }
    in.shape[variable] = static_cast<int64_t>(body.size() / *unit);
  }
  // A fixed shape is checked against the body's size by the validator.
  auto holder = std::make_shared<std::string>(std::move(body));
  in.data = holder->data();
  in.byte_size = holder->size();
  req->keepalive = std::move(holder);
  return req;
}

}  // namespace adlik::http
