// The C++ runtime SDK: a header-only layer over the C API (runtime_api.h) for
// runtimes written in C++.
//
// A runtime implements three short classes and names them once:
//
//   1. Runtime::LoadModel    - here is a model version folder and its config:
//                              load the engine file (once; weights are shared).
//   2. Model::CreateInstance - make an execution context on a device (CPU,
//                              GPU n, or a vendor device). The server makes
//                              `instance_group.count` of them per device.
//   3. Instance::Execute     - run one batch of requests: inputs merged into
//                              contiguous buffers in, outputs out.
//
//   ADLIK_DEFINE_RUNTIME(MyRuntime, "mine", "model.mine", "mine_platform")
//
// in one .cc of the plugin writes the C entry points. Everything crossing the
// plugin boundary is C: the plugin may use any compiler and standard library,
// and exceptions never cross it: every call into these classes is wrapped, and
// an exception becomes an INTERNAL error naming the call.
//
// Build the plugin with -fvisibility=hidden (AdlikSDK::sdk also links with an
// export map that keeps only the Adlik* entry points).
//
// Thread-safety: LoadModel and Model methods may be called from any thread at
// once; Execute is never called concurrently on one Instance; different
// Instances execute concurrently. Log() may be called from any thread.
// Ownership: the server owns the Runtime, the Models and the Instances (held
// through the C handles) and destroys Instances before their Model and Models
// before the Runtime.
#ifndef ADLIK_RUNTIME_H_
#define ADLIK_RUNTIME_H_

#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adlik/data_type.h"
#include "adlik/runtime_api.h"
#include "adlik/status.h"
#include "adlik/tensor.h"

namespace adlik {

// What Runtime::Init receives.
struct RuntimeSpec {
  // The threads all of this runtime's compute should use together (the
  // server's --cores). Size one process-wide pool from it, not one per model.
  uint32_t thread_budget = 1;
};

// What LoadModel receives, all from the repository and config.pbtxt.
struct ModelSpec {
  std::string name;
  int64_t version = 0;
  std::string version_path;  // REPO/NAME/VERSION
  std::string model_path;    // REPO/NAME/VERSION/<default_model_filename>
  // 0: the model takes no batch dimension. > 0: every input and output has a
  // leading batch dimension of at most this size.
  int max_batch_size = 0;
  // The config's `parameters { key: "..." value { string_value: "..." } }`,
  // sorted by key.
  std::vector<std::pair<std::string, std::string>> parameters;
  // The inputs and outputs config.pbtxt declares (batch dimension, -1,
  // included); empty where the config leaves them to the engine.
  Signature declared;

  // The parameter `key`, or "" when the config does not set it.
  std::string Parameter(std::string_view key) const {
    for (const auto& [k, v] : parameters)
      if (k == key) return v;
    return "";
  }
};

enum class DeviceKind { kCpu, kGpu, kVendor };

struct InstanceSpec {
  std::string name;  // "<model>_<group>_<index>", for logs
  DeviceKind kind = DeviceKind::kCpu;
  int device_id = 0;  // GPU or vendor device ordinal
};

namespace runtime_internal {
// The server's API table, set by AdlikRuntimeInit. One per plugin: this
// header is compiled into each plugin with hidden visibility.
inline const AdlikServerApi*& Api() {
  static const AdlikServerApi* api = nullptr;
  return api;
}
inline AdlikError* ToError(const Status& s) {
  if (s.ok()) return nullptr;
  return Api()->error_new(static_cast<AdlikErrorCode>(s.code()),
                          s.message().c_str());
}
inline Status FromError(AdlikError* e) {
  if (e == nullptr) return Status::Ok();
  Status s(static_cast<StatusCode>(Api()->error_code(e)),
           Api()->error_message(e));
  Api()->error_delete(e);
  return s;
}
}  // namespace runtime_internal

// Writes `message` into the server's log.
inline void Log(AdlikLogLevel level, const std::string& message,
                const char* file = "", int line = 0) {
  if (const AdlikServerApi* api = runtime_internal::Api())
    api->log(level, file, line, message.c_str());
}

// The answering of one request of a decoupled model (config:
// model_transaction_policy { decoupled: true }), taken over with
// Batch::BeginResponse: 0..n responses, then the final flag. Usable from any
// thread, after Execute has returned too, one call at a time. Movable; one
// destroyed before its final Send sends the final flag alone, so a request is
// always ended. The last one must be done before the Instance is destroyed.
class Responder {
 public:
  Responder() = default;
  Responder(Responder&& other) noexcept
      : api_(other.api_), r_(std::exchange(other.r_, nullptr)) {}
  Responder& operator=(Responder&& other) noexcept {
    if (this != &other) {
      End();
      api_ = other.api_;
      r_ = std::exchange(other.r_, nullptr);
    }
    return *this;
  }
  ~Responder() { End(); }

  // Whether the request is still open (no final Send yet).
  bool open() const { return r_ != nullptr; }

  // A host buffer of the output's size for the next response. Not for BYTES.
  StatusOr<char*> AllocateOutput(const std::string& name, DataType type,
                                 std::span<const int64_t> shape) {
    if (r_ == nullptr) return InvalidArgument("the response was ended already");
    void* buffer = nullptr;
    Status s = runtime_internal::FromError(api_->response_output_allocate(
        r_, name.c_str(), static_cast<AdlikDataType>(type), shape.data(),
        static_cast<uint32_t>(shape.size()), &buffer));
    if (!s.ok()) return s;
    return static_cast<char*>(buffer);
  }

  // Sends the outputs allocated since the last Send as one response; `final`
  // ends the request (with nothing allocated: the final flag alone).
  // CANCELLED means the client has gone: stop, and end with Send(true).
  Status Send(bool final) { return SendStatus(Status::Ok(), final); }

  // Sends `error` as the request's error (and no outputs).
  Status SendError(const Status& error, bool final) {
    return SendStatus(
        error.ok() ? Internal("SendError with an OK status") : error, final);
  }

 private:
  friend class Batch;
  Responder(const AdlikServerApi* api, AdlikResponder* r) : api_(api), r_(r) {}

  Status SendStatus(const Status& error, bool final) {
    if (r_ == nullptr) return InvalidArgument("the response was ended already");
    AdlikResponder* r = r_;
    if (final) r_ = nullptr;  // the server frees it
    return runtime_internal::FromError(
        api_->response_send(r, final ? ADLIK_RESPONSE_FINAL : 0u,
                            runtime_internal::ToError(error)));
  }
  void End() {
    if (r_ != nullptr) Send(true).IgnoreError();
  }

  const AdlikServerApi* api_ = nullptr;
  AdlikResponder* r_ = nullptr;
};

// One batch of requests, during Instance::Execute.
//
// Inputs: every input the model takes, in any order, each over the whole
// batch (batch dimension first when max_batch_size > 0), borrowed until
// Execute returns; in host memory, with no alignment guarantee.
// Outputs: a runtime produces each of output_names() over the whole batch,
// either into a buffer the server allocates where the response goes
// (AllocateOutput: write the result there, no copy after) or by handing over
// a Tensor its engine already holds (AdoptOutput: the server keeps
// Tensor::holder until the response is sent, no copy either).
// Requests: request i owns rows [sum of request_rows before i, + its rows);
// FailRequest answers one request with an error and the others normally;
// BeginResponse (decoupled models) hands one request's answering to a
// Responder.
class Batch {
 public:
  Batch(const AdlikServerApi* api, AdlikBatch* batch) : api_(api), b_(batch) {
    for (uint32_t i = 0;; ++i) {
      AdlikDataType type;
      const int64_t* shape = nullptr;
      uint32_t rank = 0;
      const void* data = nullptr;
      size_t bytes = 0;
      const char* name = api->batch_input(b_, i, &type, &shape, &rank, &data,
                                          &bytes, nullptr, nullptr);
      if (name == nullptr) break;
      inputs_.push_back({name,
                         static_cast<DataType>(type),
                         {shape, rank},
                         static_cast<const char*>(data),
                         bytes});
    }
    for (uint32_t i = 0;; ++i) {
      const char* name = api->batch_requested_output(b_, i);
      if (name == nullptr) break;
      output_names_.emplace_back(name);
    }
  }
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  std::span<const TensorView> inputs() const { return inputs_; }
  std::span<const std::string> output_names() const { return output_names_; }
  size_t request_count() const { return api_->batch_request_count(b_); }
  int64_t request_rows(size_t request) const {
    return api_->batch_request_rows(b_, static_cast<uint32_t>(request));
  }

  // A host buffer of the output's size (elements x type size), owned by the
  // server. Not for BYTES outputs (adopt those).
  StatusOr<char*> AllocateOutput(const std::string& name, DataType type,
                                 std::span<const int64_t> shape) {
    void* buffer = nullptr;
    AdlikMemoryType placed = ADLIK_MEMORY_CPU;
    Status s = runtime_internal::FromError(api_->output_allocate(
        b_, name.c_str(), static_cast<AdlikDataType>(type), shape.data(),
        static_cast<uint32_t>(shape.size()), ADLIK_MEMORY_CPU, 0, &buffer,
        &placed));
    if (!s.ok()) return s;
    return static_cast<char*>(buffer);
  }

  // Hands an output the engine holds to the server without a copy.
  Status AdoptOutput(Tensor tensor) {
    auto* keep = new std::shared_ptr<const void>(std::move(tensor.holder));
    return runtime_internal::FromError(api_->output_adopt(
        b_, tensor.name.c_str(), static_cast<AdlikDataType>(tensor.type),
        tensor.shape.data(), static_cast<uint32_t>(tensor.shape.size()),
        tensor.data, tensor.byte_size, &ReleaseHolder, keep));
  }

  void FailRequest(size_t request, const Status& status) {
    api_->batch_fail_request(b_, static_cast<uint32_t>(request),
                             runtime_internal::ToError(status));
  }

  // Decoupled models: takes over the answering of request `request`, which
  // then gets no part of the batch's outputs (see Responder).
  StatusOr<Responder> BeginResponse(size_t request) {
    AdlikResponder* r = nullptr;
    Status s = runtime_internal::FromError(
        api_->response_begin(b_, static_cast<uint32_t>(request), &r));
    if (!s.ok()) return s;
    return Responder(api_, r);
  }

 private:
  static void ReleaseHolder(void* p) {
    delete static_cast<std::shared_ptr<const void>*>(p);
  }

  const AdlikServerApi* const api_;
  AdlikBatch* const b_;
  std::vector<TensorView> inputs_;
  std::vector<std::string> output_names_;
};

// An execution context: device buffers, streams, per-thread engine state.
class Instance {
 public:
  virtual ~Instance() = default;
  // Runs one batch. A non-OK status fails every request not failed already.
  virtual Status Execute(Batch& batch) = 0;
};

// One loaded version of one model: the engine and its weights, shared by all
// of its instances.
class Model {
 public:
  virtual ~Model() = default;
  // The inputs and outputs the engine file declares. The server checks the
  // config against it and completes a config that leaves them out.
  virtual Signature signature() const = 0;
  // A device this runtime cannot use is an error naming it.
  virtual StatusOr<std::unique_ptr<Instance>> CreateInstance(
      const InstanceSpec& spec) = 0;
};

// The engine itself, one per process.
class Runtime {
 public:
  virtual ~Runtime() = default;
  // Process-wide engine setup (a driver handle, a thread pool).
  virtual Status Init(const RuntimeSpec& spec) { return Status::Ok(); }
  // A missing, corrupt or unsupported file is an error whose message names
  // the file and what is wrong with it.
  virtual StatusOr<std::unique_ptr<Model>> LoadModel(const ModelSpec& spec) = 0;
};

// ---------------------------------------------------------------------------
// The adapters ADLIK_DEFINE_RUNTIME's entry points call.
namespace runtime_internal {

// Runs `fn` (returning Status); an exception becomes an error naming `call`.
template <typename Fn>
AdlikError* Guard(const char* call, Fn&& fn) noexcept {
  try {
    return ToError(fn());
  } catch (const std::exception& e) {
    return ToError(Internal(std::string(call) + ": " + e.what()));
  } catch (...) {
    return ToError(Internal(std::string(call) + ": unknown exception"));
  }
}

template <typename T>
void Destroy(T* p) noexcept {
  try {
    delete p;
  } catch (...) {
    Log(ADLIK_LOG_ERROR, "an exception escaped a destructor", __FILE__,
        __LINE__);
  }
}

template <typename RuntimeClass>
AdlikError* RuntimeInit(const AdlikServerApi* api, AdlikRuntime* handle,
                        void** state) noexcept {
  Api() = api;
  return Guard("Runtime::Init", [&]() -> Status {
    auto runtime = std::make_unique<RuntimeClass>();
    RuntimeSpec spec;
    spec.thread_budget = api->runtime_thread_budget(handle);
    ADLIK_RETURN_IF_ERROR(runtime->Init(spec));
    *state = static_cast<Runtime*>(runtime.release());
    return Status::Ok();
  });
}

inline std::vector<TensorSpec> DeclaredTensors(const AdlikModel* m,
                                               int is_output) {
  std::vector<TensorSpec> list;
  for (uint32_t i = 0;; ++i) {
    AdlikDataType type;
    const int64_t* shape = nullptr;
    uint32_t rank = 0;
    const char* name =
        Api()->model_declared_tensor(m, is_output, i, &type, &shape, &rank);
    if (name == nullptr) break;
    list.push_back({name, static_cast<DataType>(type), {shape, shape + rank}});
  }
  return list;
}

inline AdlikError* ModelInit(void* runtime_state, AdlikModel* handle,
                             void** state) noexcept {
  return Guard("Runtime::LoadModel", [&]() -> Status {
    const AdlikServerApi* api = Api();
    ModelSpec spec;
    spec.name = api->model_name(handle);
    spec.version = api->model_version(handle);
    spec.version_path = api->model_version_path(handle);
    spec.model_path = api->model_file_path(handle);
    spec.max_batch_size = api->model_max_batch_size(handle);
    for (uint32_t i = 0;; ++i) {
      const char* value = nullptr;
      const char* key = api->model_parameter(handle, i, &value);
      if (key == nullptr) break;
      spec.parameters.emplace_back(key, value != nullptr ? value : "");
    }
    spec.declared.inputs = DeclaredTensors(handle, 0);
    spec.declared.outputs = DeclaredTensors(handle, 1);
    ADLIK_ASSIGN_OR_RETURN(
        std::unique_ptr<Model> model,
        static_cast<Runtime*>(runtime_state)->LoadModel(spec));
    const Signature sig = model->signature();
    for (int out = 0; out < 2; ++out) {
      for (const TensorSpec& t : out ? sig.outputs : sig.inputs) {
        ADLIK_RETURN_IF_ERROR(FromError(api->model_add_tensor(
            handle, out, t.name.c_str(), static_cast<AdlikDataType>(t.type),
            t.shape.data(), static_cast<uint32_t>(t.shape.size()))));
      }
    }
    *state = model.release();
    return Status::Ok();
  });
}

inline AdlikError* InstanceInit(void* model_state, AdlikInstance* handle,
                                void** state) noexcept {
  return Guard("Model::CreateInstance", [&]() -> Status {
    InstanceSpec spec;
    spec.name = Api()->instance_name(handle);
    int32_t device = 0;
    switch (Api()->instance_device(handle, &device)) {
      case ADLIK_DEVICE_GPU:
        spec.kind = DeviceKind::kGpu;
        break;
      case ADLIK_DEVICE_VENDOR:
        spec.kind = DeviceKind::kVendor;
        break;
      default:
        spec.kind = DeviceKind::kCpu;
    }
    spec.device_id = device;
    ADLIK_ASSIGN_OR_RETURN(
        std::unique_ptr<Instance> instance,
        static_cast<Model*>(model_state)->CreateInstance(spec));
    *state = instance.release();
    return Status::Ok();
  });
}

inline AdlikError* Execute(void* instance_state, AdlikBatch* batch) noexcept {
  return Guard("Instance::Execute", [&]() -> Status {
    Batch b(Api(), batch);
    return static_cast<Instance*>(instance_state)->Execute(b);
  });
}

}  // namespace runtime_internal
}  // namespace adlik

// Writes the C entry points of a runtime plugin whose Runtime class is
// `RuntimeClass` (default-constructible), named `runtime_name` (the NAME of
// libadlik_runtime_NAME.so), loading `model_file` when a config names none,
// and serving the config `platform` names that follow (none, or several; the
// first is the one reported in model metadata).
#define ADLIK_DEFINE_RUNTIME(RuntimeClass, runtime_name, model_file, ...)      \
  extern "C" {                                                                 \
  ADLIK_EXPORT void AdlikRuntimeApiVersion(uint32_t* major, uint32_t* minor) { \
    *major = ADLIK_RUNTIME_API_VERSION_MAJOR;                                  \
    *minor = ADLIK_RUNTIME_API_VERSION_MINOR;                                  \
  }                                                                            \
  ADLIK_EXPORT void AdlikRuntimeDescribe(AdlikRuntimeInfo* info) {             \
    static const char* const platforms[] = {                                   \
        __VA_ARGS__ __VA_OPT__(, ) nullptr};                                   \
    info->name = runtime_name;                                                 \
    info->platforms = platforms;                                               \
    info->default_model_filename = model_file;                                 \
  }                                                                            \
  ADLIK_EXPORT AdlikError* AdlikRuntimeInit(const AdlikServerApi* api,         \
                                            AdlikRuntime* runtime,             \
                                            void** state) {                    \
    return ::adlik::runtime_internal::RuntimeInit<RuntimeClass>(api, runtime,  \
                                                                state);        \
  }                                                                            \
  ADLIK_EXPORT void AdlikRuntimeFini(void* state) {                            \
    ::adlik::runtime_internal::Destroy(static_cast<::adlik::Runtime*>(state)); \
  }                                                                            \
  ADLIK_EXPORT AdlikError* AdlikModelInit(void* runtime_state,                 \
                                          AdlikModel* model, void** state) {   \
    return ::adlik::runtime_internal::ModelInit(runtime_state, model, state);  \
  }                                                                            \
  ADLIK_EXPORT void AdlikModelFini(void* state) {                              \
    ::adlik::runtime_internal::Destroy(static_cast<::adlik::Model*>(state));   \
  }                                                                            \
  ADLIK_EXPORT AdlikError* AdlikInstanceInit(void* model_state,                \
                                             AdlikInstance* instance,          \
                                             void** state) {                   \
    return ::adlik::runtime_internal::InstanceInit(model_state, instance,      \
                                                   state);                     \
  }                                                                            \
  ADLIK_EXPORT void AdlikInstanceFini(void* state) {                           \
    ::adlik::runtime_internal::Destroy(                                        \
        static_cast<::adlik::Instance*>(state));                               \
  }                                                                            \
  ADLIK_EXPORT AdlikError* AdlikInstanceExecute(void* state,                   \
                                                AdlikBatch* batch) {           \
    return ::adlik::runtime_internal::Execute(state, batch);                   \
  }                                                                            \
  }

#endif  // ADLIK_RUNTIME_H_
