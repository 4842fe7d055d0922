// The values a KServe v2 client sends and receives, shared by the HTTP and
// gRPC clients (inference_client.h).
//
//   InferInput     a tensor to send. Its bytes are borrowed: they must stay
//                  valid until Infer returns. Layout as in adlik/tensor.h:
//                  row-major, little-endian, BYTES serialized (4-byte length
//                  + bytes per element).
//   InferResult    the answer. It owns the response it was decoded from;
//                  each InferOutput's `data` is a view into it, valid for the
//                  life of the InferResult (no copy of output bytes).
//   ModelMetadata  the model's declared inputs and outputs.
//
// Thread-safety: plain values; not synchronized.
#ifndef ADLIK_CLIENT_INFER_TYPES_H_
#define ADLIK_CLIENT_INFER_TYPES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adlik/data_type.h"

namespace adlik::client {

struct InferInput {
  std::string name;
  DataType type = DataType::kInvalid;
  std::vector<int64_t> shape;  // full shape, batch dimension first if any
  std::string_view data;       // borrowed; ElementCount(shape) elements
};

struct InferOutput {
  std::string name;
  DataType type = DataType::kInvalid;
  std::vector<int64_t> shape;
  std::string_view data;  // a view into the owning InferResult
};

// What to ask for besides the inputs.
struct InferOptions {
  std::string model_version;  // empty: the server's choice (latest)
  std::string request_id;     // echoed back in InferResult::id
  // The outputs to return; empty: all of the model's outputs.
  std::vector<std::string> outputs;
  // Server-side timeout in microseconds (the `timeout` request parameter);
  // 0: none.
  int64_t timeout_us = 0;
};

// Copies share the response bytes (views stay valid in every copy).
struct InferResult {
  std::string model_name;
  std::string model_version;
  std::string id;
  std::vector<InferOutput> outputs;
  // Keeps what the outputs' views point into alive (the response body or
  // message, or buffers decoded from it).
  std::vector<std::shared_ptr<const void>> storage;

  // The output called `name`, or null.
  const InferOutput* Find(std::string_view name) const {
    for (const InferOutput& o : outputs)
      if (o.name == name) return &o;
    return nullptr;
  }
};

struct TensorMetadata {
  std::string name;
  std::string datatype;        // "FP32", "BYTES", ...
  std::vector<int64_t> shape;  // -1: any size (the batch dimension included)
};

struct ModelMetadata {
  std::string name;
  std::vector<std::string> versions;
  std::string platform;
  std::vector<TensorMetadata> inputs;
  std::vector<TensorMetadata> outputs;
};

}  // namespace adlik::client

#endif  // ADLIK_CLIENT_INFER_TYPES_H_
