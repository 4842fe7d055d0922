// A model loaded in ONNX Runtime from memory: its signature as ONNX Runtime
// reports it (what adlik_serving will see), running it on host tensors, and
// writing its optimised graph to a file.
//
// ONNX Runtime is initialised once per process (its versioned C API is
// checked: a library older than the headers is an error, not a crash). ORT
// types stay inside ort_model.cc, the only file that includes its headers.
//
// Thread-safety: Create is thread-safe; Run may be called from several
// threads at once (ONNX Runtime sessions allow it).
#ifndef ADLIK_COMPILER_ORT_MODEL_H_
#define ADLIK_COMPILER_ORT_MODEL_H_

#include <memory>
#include <string>
#include <vector>

#include "adlik/status.h"
#include "adlik/tensor.h"

namespace adlik::compiler {

// A dense tensor in host memory (numeric types only).
struct HostTensor {
  std::string name;
  DataType type = DataType::kInvalid;
  std::vector<int64_t> shape;
  std::vector<char> data;  // ElementCount(shape) * DataTypeSize(type) bytes
};

class OrtModel {
 public:
  struct Options {
    // disable, basic, extended or all.
    std::string optimization_level = "all";
    // Non-empty: ONNX Runtime writes the optimised model to this file while
    // creating the session.
    std::string optimized_model_path;
    int intra_op_threads = 0;  // 0: ONNX Runtime's default
  };

  // Loads a serialized ONNX model. INVALID_ARGUMENT when ONNX Runtime refuses
  // it (the message is ONNX Runtime's).
  static StatusOr<std::unique_ptr<OrtModel>> Create(
      const std::string& model_bytes, const Options& options);
  ~OrtModel();
  OrtModel(const OrtModel&) = delete;
  OrtModel& operator=(const OrtModel&) = delete;

  // Inputs and outputs, -1 for dynamic dimensions.
  const Signature& signature() const { return signature_; }

  // Runs the model. Inputs are matched by name; returns the named outputs in
  // the order asked.
  StatusOr<std::vector<HostTensor>> Run(
      const std::vector<HostTensor>& inputs,
      const std::vector<std::string>& outputs);

 private:
  struct Impl;
  OrtModel(std::unique_ptr<Impl> impl, Signature signature);

  std::unique_ptr<Impl> impl_;
  Signature signature_;
};

// The version of the ONNX Runtime library in use ("1.29.0").
std::string OrtVersion();

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_ORT_MODEL_H_
