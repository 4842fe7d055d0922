// The runtime SDK: what an inference engine implements to be served.
//
// A runtime does the compute and nothing else. The platform owns the model
// repository, versions, configuration, request validation, queueing, dynamic
// batching, instances, protocols, statistics and metrics. A runtime answers
// three questions:
//
//   1. Runtime::LoadModel   - here is a model version folder and its config:
//                             load the engine file (once; weights are shared).
//   2. Model::CreateInstance - make an execution context on a device (CPU,
//                             GPU n, or a vendor device). The platform makes
//                             `instance_group.count` of them per device.
//   3. Instance::Execute    - run one batch: inputs merged into contiguous
//                             buffers in, outputs out.
//
// A runtime is built as its own shared library, `libadlik_runtime_<name>.so`,
// that exports the two C entry points declared at the bottom of this file
// (write ADLIK_DEFINE_RUNTIME(MyRuntime) once in one .cc). The server finds it
// in --runtime_dir by the name the model's config asks for (`backend`, or the
// `platform` mapped to a runtime name) and checks kRuntimeAbiVersion before
// using it. See docs/adding-a-runtime.md and runtimes/example/.
//
// Errors cross the boundary as Status values. A runtime must not let an
// exception escape any of these calls.
//
// Because the contract is C++ classes, a plugin must be compiled with a
// compiler and standard library ABI-compatible with the server's (GCC or Clang
// with libstdc++, C++20). kRuntimeAbiVersion changes whenever anything in the
// SDK headers changes layout or meaning.
#ifndef ADLIK_RUNTIME_H_
#define ADLIK_RUNTIME_H_

#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "adlik/data_type.h"
#include "adlik/status.h"
#include "adlik/tensor.h"

namespace adlik {

inline constexpr int kRuntimeAbiVersion = 1;

// A tensor as declared by a config or by an engine file. `shape` is the full
// shape the engine sees, batch dimension included where there is one; -1 is a
// dimension of any size.
struct TensorSpec {
  std::string name;
  DataType type = DataType::kInvalid;
  std::vector<int64_t> shape;
};

// The inputs and outputs an engine file declares.
struct Signature {
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
};

// What LoadModel receives. All of it comes from the repository and the
// model's config.pbtxt.
struct ModelSpec {
  std::string name;
  int64_t version = 0;
  std::string version_path;  // REPO/NAME/VERSION
  std::string model_path;    // REPO/NAME/VERSION/<default_model_filename>
  // 0: the model takes no batch dimension. > 0: every input and output has a
  // leading batch dimension of at most this size.
  int max_batch_size = 0;
  // The config's `parameters { key: "..." value { string_value: "..." } }`.
  std::vector<std::pair<std::string, std::string>> parameters;
  // Threads one execution may use inside an operator (intra) and across
  // independent operators (inter); 0 lets the runtime choose. The instances of
  // a model share the model's engine and so its thread pools. The platform
  // sets these so that the models of a server do not oversubscribe the
  // machine, unless the config's parameters say otherwise.
  int intra_op_threads = 0;
  int inter_op_threads = 0;
};

enum class DeviceKind { kCpu, kGpu, kVendor };

struct InstanceSpec {
  std::string name;  // "<model>_<group>_<index>", for logs
  DeviceKind kind = DeviceKind::kCpu;
  int device_id = 0;  // GPU or vendor device ordinal
};

// An execution context: device buffers, streams, per-thread engine state.
//
// Thread-safety: Execute is never called concurrently on one Instance;
// different Instances of a Model may execute concurrently.
class Instance {
 public:
  virtual ~Instance() = default;

  // Runs one batch.
  //
  // `inputs`: every input the model takes, in any order, each with its full
  // shape (batch dimension first when max_batch_size > 0). The bytes are
  // borrowed for the duration of the call.
  // `output_names`: the outputs to produce; the runtime may produce more.
  // `outputs`: empty on entry; on OK holds at least the requested outputs,
  // each owning its bytes through Tensor::holder.
  virtual Status Execute(std::span<const TensorView> inputs,
                         std::span<const std::string> output_names,
                         std::vector<Tensor>* outputs) = 0;
};

// One loaded version of one model: the engine and its weights, shared by all
// of its instances.
//
// Thread-safety: all methods may be called from any thread. The platform
// destroys a Model only after all of its Instances.
class Model {
 public:
  virtual ~Model() = default;

  // The inputs and outputs the engine file declares. The platform checks the
  // config against it and completes a config that leaves them out.
  virtual Signature signature() const = 0;

  // Creates an instance on the given device. A device this runtime cannot use
  // is an error naming it (for example a GPU on a machine without one).
  virtual StatusOr<std::unique_ptr<Instance>> CreateInstance(
      const InstanceSpec& spec) = 0;
};

// The engine itself.
//
// Thread-safety: LoadModel may be called concurrently (models load in
// parallel). The platform destroys the Runtime after all of its Models.
class Runtime {
 public:
  virtual ~Runtime() = default;

  // Loads spec.model_path. A missing, corrupt or unsupported file is an error
  // whose message names the file and what is wrong with it.
  virtual StatusOr<std::unique_ptr<Model>> LoadModel(const ModelSpec& spec) = 0;
};

}  // namespace adlik

// The two symbols every runtime plugin exports.
extern "C" {
// Returns the kRuntimeAbiVersion the plugin was built with.
typedef int (*AdlikRuntimeAbiVersionFn)();
// Returns a new Runtime, owned by the caller, or null on failure.
typedef adlik::Runtime* (*AdlikRuntimeCreateFn)();
}

#define ADLIK_DEFINE_RUNTIME(RuntimeClass)                            \
  extern "C" __attribute__((visibility("default"))) int               \
  AdlikRuntimeAbiVersion() {                                          \
    return ::adlik::kRuntimeAbiVersion;                               \
  }                                                                   \
  extern "C" __attribute__((visibility("default"))) ::adlik::Runtime* \
  AdlikRuntimeCreate() {                                              \
    try {                                                             \
      return new RuntimeClass();                                      \
    } catch (...) {                                                   \
      return nullptr;                                                 \
    }                                                                 \
  }

#endif  // ADLIK_RUNTIME_H_
