// What the server's model lifecycle and scheduler see of a runtime: a Runtime
// loads Models, a Model makes Instances, an Instance executes batches.
//
// RuntimePlugin (runtime_plugin.h) implements these over a plugin's C API
// (adlik/runtime_api.h); tests implement them directly. Nothing here crosses
// a shared-library boundary.
#ifndef ADLIK_RUNTIME_HOST_ENGINE_H_
#define ADLIK_RUNTIME_HOST_ENGINE_H_

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adlik/status.h"
#include "adlik/tensor.h"

namespace adlik::host {

// What Runtime::LoadModel receives, all from the repository and config.pbtxt.
struct ModelSpec {
  std::string name;
  int64_t version = 0;
  std::string version_path;  // REPO/NAME/VERSION
  std::string model_path;    // REPO/NAME/VERSION/<default_model_filename>
  int max_batch_size = 0;    // 0: no batch dimension
  // The config's `parameters`, sorted by key.
  std::vector<std::pair<std::string, std::string>> parameters;
  // The config's declared inputs and outputs (batch dimension included).
  Signature declared;
};

enum class DeviceKind { kCpu, kGpu, kVendor };

struct InstanceSpec {
  std::string name;  // "<model>_<group>_<index>", for logs
  DeviceKind kind = DeviceKind::kCpu;
  int device_id = 0;  // GPU or vendor device ordinal
};

// Where the responses of one request of a decoupled model go once the runtime
// has taken over its answering (Batch::responders): 0..n responses, then the
// final flag, with the last response or alone.
//
// Thread-safety: any thread, one call at a time; nothing after the final one.
class Responder {
 public:
  virtual ~Responder() = default;
  // Sends one response (the outputs, or the request's error), or with
  // std::nullopt and `final` the final flag alone. Returns CANCELLED, and
  // sends nothing, once the client has gone (the runtime may stop; it still
  // ends the request with a final call).
  virtual Status Send(std::optional<StatusOr<std::vector<Tensor>>> response,
                      bool final) = 0;
};

// A buffer an output should be written to (see RequestedOutput::buffer).
struct OutputBuffer {
  std::string_view name;
  char* data = nullptr;
  size_t byte_size = 0;
};

// One batch: the requests' inputs merged along the batch dimension (or one
// request's own buffers), borrowed for the call. Input names must be
// NUL-terminated (views of std::strings or literals): plugins read them as C
// strings.
struct Batch {
  std::span<const TensorView> inputs;
  std::span<const std::string> output_names;  // what some request asked for
  std::span<const int64_t> request_rows;      // rows of each request, in order
  // A decoupled model's batch: one per request, for the runtime to take over
  // the answering of that request. Empty for any other model.
  std::span<const std::shared_ptr<Responder>> responders;
  // Outputs a runtime that allocates through the server places there when
  // they fit (only for a batch of one request).
  std::span<const OutputBuffer> output_buffers;
};

struct BatchResult {
  std::vector<Tensor> outputs;  // over the whole batch
  // One per request when the runtime failed some requests alone (an OK entry
  // is answered from `outputs`); empty when none was.
  std::vector<Status> request_errors;
  // One per request when the runtime took over the answering of some
  // (through Batch::responders): those are answered by their Responder alone,
  // whatever Execute returns. Empty when it took over none.
  std::vector<char> taken_over;
};

// Thread-safety: Execute is never called concurrently on one Instance.
class Instance {
 public:
  virtual ~Instance() = default;
  // A non-OK status fails every request of the batch.
  virtual Status Execute(const Batch& batch, BatchResult* result) = 0;
};

// Thread-safety: any thread. Destroyed only after all of its Instances.
class Model {
 public:
  virtual ~Model() = default;
  virtual Signature signature() const = 0;
  virtual StatusOr<std::unique_ptr<Instance>> CreateInstance(
      const InstanceSpec& spec) = 0;
};

// Thread-safety: LoadModel may be called concurrently. Destroyed only after
// all of its Models.
class Runtime {
 public:
  virtual ~Runtime() = default;
  virtual StatusOr<std::unique_ptr<Model>> LoadModel(const ModelSpec& spec) = 0;
};

// Runs `inputs` as a batch of one request whose rows are the first dimension
// of the first input (tests, and the bare benchmark). A request failed alone
// is the returned error.
inline Status ExecuteOne(Instance& instance, std::span<const TensorView> inputs,
                         std::span<const std::string> output_names,
                         std::vector<Tensor>* outputs) {
  const int64_t rows =
      !inputs.empty() && !inputs[0].shape.empty() ? inputs[0].shape[0] : 1;
  BatchResult result;
  Status s =
      instance.Execute({inputs, output_names, {&rows, 1}, {}, {}}, &result);
  if (s.ok() && !result.request_errors.empty()) s = result.request_errors[0];
  *outputs = std::move(result.outputs);
  return s;
}

}  // namespace adlik::host

#endif  // ADLIK_RUNTIME_HOST_ENGINE_H_
