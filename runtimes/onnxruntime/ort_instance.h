// The execution contexts of the ONNX Runtime runtime, and the conversions
// between the SDK's tensors and ONNX Runtime's values that they share.
//
// OrtInstance runs on a CPU session: inputs wrap the request's bytes, outputs
// stay in the OrtValues ONNX Runtime allocated (no copy either way).
// OrtGpuInstance runs on a session with the CUDA (and TensorRT) execution
// provider through an Ort::IoBinding: BindInput copies each input to the
// device, outputs are bound to host memory, so inputs, intermediates and
// outputs stay on the device during the run and ONNX Runtime copies each
// output to a host buffer once, at its end; that buffer goes to the platform
// through Tensor::holder without another copy. Nothing in it is specific to
// CUDA, so it is tested on CPU sessions too. Both hand their outputs to the
// server with Batch::AdoptOutput: ONNX Runtime's buffer is the one the
// response is sent from.
//
// Thread-safety: as the SDK states for Instance: Execute is never called
// concurrently on one instance; instances sharing a session may run at once
// (Ort::Session::Run is thread-safe).
// Ownership: an instance borrows its session, which must outlive it.
#ifndef ADLIK_RUNTIMES_ONNXRUNTIME_ORT_INSTANCE_H_
#define ADLIK_RUNTIMES_ONNXRUNTIME_ORT_INSTANCE_H_

#include <onnxruntime_cxx_api.h>

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "adlik/runtime.h"
#include "onnx_element_type.h"

namespace adlik::onnxruntime {

// Makes `in` an OrtValue in host memory. Numeric tensors wrap the caller's
// bytes, which must outlive the value; BYTES tensors become ONNX string
// tensors (a copy, as ONNX Runtime stores strings its own way).
StatusOr<Ort::Value> InputValue(const TensorView& in,
                                const Ort::MemoryInfo& host);

// An output OrtValue in host memory as a platform Tensor. Numeric data stays
// in the OrtValue, which Tensor::holder keeps alive.
StatusOr<Tensor> ToTensor(const std::string& name, Ort::Value value);

// Runs `run` (returning Status) and turns ONNX Runtime's exceptions into
// Status values, so none crosses the plugin boundary.
template <typename Fn>
Status Guarded(Fn&& run) {
  try {
    return run();
  } catch (const Ort::Exception& e) {
    // ONNX Runtime says INVALID_ARGUMENT for what the inputs got wrong (an
    // index out of bounds, say): the client's error, not the server's.
    if (e.GetOrtErrorCode() == ORT_INVALID_ARGUMENT)
      return InvalidArgument(std::string("onnxruntime: ") + e.what());
    return Internal(std::string("onnxruntime: ") + e.what());
  } catch (const std::exception& e) {
    return Internal(std::string("onnxruntime runtime: ") + e.what());
  }
}

// A CPU instance: only the run options are its own; the session is the
// model's.
// What both instances share: Execute runs the batch with Run and adopts its
// outputs. Run is also what the tests call.
class OrtInstanceBase : public Instance {
 public:
  // Tensors the model declares as scalars (rank 0) that a config without
  // batching gives as dims [1], as Triton's ONNX Runtime backend allows: the
  // client sends and receives shape [1], the session gets and gives a scalar.
  struct Scalars {
    std::vector<std::string> inputs;   // rank 0 in the model
    std::vector<std::string> outputs;  // rank 0 in the model, [1] in the config
  };
  void set_scalars(Scalars scalars) { scalars_ = std::move(scalars); }

  Status Execute(Batch& batch) final;
  // Runs `inputs`; on OK `outputs` holds `output_names`, owning their bytes.
  virtual Status Run(std::span<const TensorView> inputs,
                     std::span<const std::string> output_names,
                     std::vector<Tensor>* outputs) = 0;

 private:
  Scalars scalars_;
};

class OrtInstance : public OrtInstanceBase {
 public:
  explicit OrtInstance(Ort::Session* session);

  Status Run(std::span<const TensorView> inputs,
             std::span<const std::string> output_names,
             std::vector<Tensor>* outputs) override;

 private:
  Status RunUnguarded(std::span<const TensorView> inputs,
                      std::span<const std::string> output_names,
                      std::vector<Tensor>* outputs);

  Ort::Session* const session_;  // not owned
  Ort::MemoryInfo memory_info_;
  Ort::RunOptions run_options_;
  // Reused across calls to avoid per-request allocations.
  std::vector<std::string> name_storage_;
  std::vector<const char*> input_names_;
  std::vector<Ort::Value> input_values_;
  std::vector<const char*> output_cnames_;
};

class OrtGpuInstance : public OrtInstanceBase {
 public:
  explicit OrtGpuInstance(Ort::Session* session);

  Status Run(std::span<const TensorView> inputs,
             std::span<const std::string> output_names,
             std::vector<Tensor>* outputs) override;

 private:
  Status RunUnguarded(std::span<const TensorView> inputs,
                      std::span<const std::string> output_names,
                      std::vector<Tensor>* outputs);

  Ort::Session* const session_;  // not owned
  Ort::IoBinding binding_;
  Ort::MemoryInfo host_;
  Ort::RunOptions run_options_;
};

}  // namespace adlik::onnxruntime

#endif  // ADLIK_RUNTIMES_ONNXRUNTIME_ORT_INSTANCE_H_
