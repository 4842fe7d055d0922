#include "runtime_host/runtime_plugin.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "adlik/data_type.h"
#include "base/logging.h"

// The handles of adlik/runtime_api.h, as the server defines them.
struct AdlikError {
  adlik::Status status;
};
struct AdlikRuntime {
  std::string name;
  uint32_t thread_budget = 1;
};
struct AdlikModel {
  const adlik::host::ModelSpec* spec = nullptr;
  adlik::Signature signature;  // what the engine declared (model_add_tensor)
};
struct AdlikInstance {
  adlik::host::InstanceSpec spec;
  bool runtime_memory = false;  // the plugin exports AdlikRuntimeMemory*
  AdlikMemoryType input_memory = ADLIK_MEMORY_CPU;
  int32_t input_device = 0;
};

namespace adlik::plugin_internal {

// A buffer in a runtime's own memory.
struct DeviceBuffer {
  void* data = nullptr;
  size_t capacity = 0;
  AdlikMemoryType type = ADLIK_MEMORY_CPU;
  int32_t device = 0;
};

// An instance's buffers in its runtime's memory (API 2.2), one per input and
// one per output slot, kept from batch to batch and grown when a batch needs
// more. Thread-safety: used by one Execute at a time (the instance's).
class DeviceMemory {
 public:
  DeviceMemory(const RuntimePlugin::Functions& fns, void* runtime_state)
      : fns_(fns), runtime_state_(runtime_state) {}
  ~DeviceMemory() {
    for (auto* pool : {&inputs, &outputs}) {
      for (DeviceBuffer& b : *pool) Release(b);
    }
  }
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;

  // The buffer of `slot` in `pool`, at least `bytes` long, in `type` memory
  // of `device`.
  StatusOr<void*> Get(std::vector<DeviceBuffer>& pool, size_t slot,
                      AdlikMemoryType type, int32_t device, size_t bytes);
  Status Copy(void* dst, AdlikMemoryType dst_type, int32_t dst_device,
              const void* src, AdlikMemoryType src_type, int32_t src_device,
              size_t bytes);

  std::vector<DeviceBuffer> inputs;
  std::vector<DeviceBuffer> outputs;

 private:
  void Release(DeviceBuffer& b) {
    if (b.data != nullptr)
      fns_.memory_free(runtime_state_, b.type, b.device, b.data);
    b = DeviceBuffer();
  }

  const RuntimePlugin::Functions fns_;
  void* const runtime_state_;
};

// Where an input of the batch is, when not where the request left it.
struct PlacedInput {
  const void* data = nullptr;
  AdlikMemoryType type = ADLIK_MEMORY_CPU;
  int32_t device = 0;
};

// An output the runtime writes in its memory, copied out after Execute.
struct DeviceOutput {
  const void* data = nullptr;
  AdlikMemoryType type = ADLIK_MEMORY_CPU;
  int32_t device = 0;
  char* host = nullptr;  // the response's buffer
  size_t byte_size = 0;
};

}  // namespace adlik::plugin_internal

struct AdlikBatch {
  const adlik::host::Batch* batch = nullptr;
  adlik::host::BatchResult* result = nullptr;
  // Set when the plugin manages memory (2.2).
  adlik::plugin_internal::DeviceMemory* memory = nullptr;
  // One per input when the instance wants its inputs in its memory.
  std::vector<adlik::plugin_internal::PlacedInput> placed_inputs;
  std::vector<adlik::plugin_internal::DeviceOutput> device_outputs;
};

// One request's answering, taken over by the runtime (response_begin) until
// its final response_send.
struct AdlikResponder {
  std::shared_ptr<adlik::host::Responder> target;
  std::vector<adlik::Tensor> outputs;  // allocated since the last send
};

namespace adlik {
namespace {

using host::Batch;
using host::BatchResult;
using plugin_internal::DeviceBuffer;
using plugin_internal::DeviceMemory;

// Takes a plugin's error; OK for NULL.
Status Take(AdlikError* error) {
  if (error == nullptr) return Status::Ok();
  Status s = std::move(error->status);
  delete error;
  if (s.ok()) s = Internal("the runtime returned an error with no code");
  return s;
}

AdlikError* MakeError(const Status& s) {
  return s.ok() ? nullptr : new AdlikError{s};
}

bool ValidMemory(AdlikMemoryType t) {
  return t == ADLIK_MEMORY_CPU || t == ADLIK_MEMORY_CPU_PINNED ||
         t == ADLIK_MEMORY_GPU || t == ADLIK_MEMORY_VENDOR;
}

}  // namespace

StatusOr<void*> DeviceMemory::Get(std::vector<DeviceBuffer>& pool, size_t slot,
                                  AdlikMemoryType type, int32_t device,
                                  size_t bytes) {
  if (pool.size() <= slot) pool.resize(slot + 1);
  DeviceBuffer& b = pool[slot];
  if (b.data != nullptr && b.type == type && b.device == device &&
      b.capacity >= bytes) {
    return b.data;
  }
  Release(b);
  void* data = nullptr;
  const size_t size = std::max<size_t>(bytes, 1);
  RETURN_IF_ERROR(
      Take(fns_.memory_allocate(runtime_state_, type, device, size, &data))
          .WithPrefix("AdlikRuntimeMemoryAllocate(" + std::to_string(size) +
                      " bytes, memory type " + std::to_string(type) +
                      ", device " + std::to_string(device) + ")"));
  if (data == nullptr) {
    return Internal("AdlikRuntimeMemoryAllocate returned no buffer");
  }
  b = {data, size, type, device};
  return data;
}

Status DeviceMemory::Copy(void* dst, AdlikMemoryType dst_type,
                          int32_t dst_device, const void* src,
                          AdlikMemoryType src_type, int32_t src_device,
                          size_t bytes) {
  if (bytes == 0) return Status::Ok();
  return Take(fns_.memory_copy(runtime_state_, dst, dst_type, dst_device, src,
                               src_type, src_device, bytes))
      .WithPrefix("AdlikRuntimeMemoryCopy");
}

namespace {

// --- Errors ----------------------------------------------------------------
AdlikError* ErrorNew(AdlikErrorCode code, const char* message) {
  const int c = static_cast<int>(code);
  const StatusCode sc =
      c >= static_cast<int>(StatusCode::kCancelled) &&
              c <= static_cast<int>(StatusCode::kResourceExhausted)
          ? static_cast<StatusCode>(c)
          : StatusCode::kUnknown;
  return new AdlikError{Status(sc, message != nullptr ? message : "")};
}
AdlikErrorCode ErrorCode(const AdlikError* e) {
  return static_cast<AdlikErrorCode>(e->status.code());
}
const char* ErrorMessage(const AdlikError* e) {
  return e->status.message().c_str();
}
void ErrorDelete(AdlikError* e) { delete e; }

void Log(AdlikLogLevel level, const char* file, int line, const char* message) {
  const LogLevel ours = level == ADLIK_LOG_ERROR     ? LogLevel::kError
                        : level == ADLIK_LOG_WARNING ? LogLevel::kWarning
                                                     : LogLevel::kInfo;
  if (!LogEnabled(ours)) return;
  LogMessage m(ours, __FILE__, __LINE__);
  if (file != nullptr && *file != '\0') m.At(file, line);
  m << (message != nullptr ? message : "");
}

void* HostAlloc(size_t size) {
  constexpr size_t kAlign = 64;
  if (size > SIZE_MAX - kAlign) return nullptr;
  return std::aligned_alloc(
      kAlign, (std::max<size_t>(size, 1) + kAlign - 1) / kAlign * kAlign);
}
void HostFree(void* p) { std::free(p); }

uint32_t ThreadBudget(const AdlikRuntime* r) { return r->thread_budget; }

// --- Model -----------------------------------------------------------------
const char* ModelName(const AdlikModel* m) { return m->spec->name.c_str(); }
int64_t ModelVersion(const AdlikModel* m) { return m->spec->version; }
const char* ModelVersionPath(const AdlikModel* m) {
  return m->spec->version_path.c_str();
}
const char* ModelFilePath(const AdlikModel* m) {
  return m->spec->model_path.c_str();
}
int32_t ModelMaxBatchSize(const AdlikModel* m) {
  return m->spec->max_batch_size;
}
const char* ModelParameter(const AdlikModel* m, uint32_t i,
                           const char** value) {
  const auto& params = m->spec->parameters;
  if (i >= params.size()) return nullptr;
  if (value != nullptr) *value = params[i].second.c_str();
  return params[i].first.c_str();
}
const char* DescribeSpec(const std::vector<TensorSpec>& specs, uint32_t i,
                         AdlikDataType* type, const int64_t** shape,
                         uint32_t* rank) {
  if (i >= specs.size()) return nullptr;
  const TensorSpec& t = specs[i];
  if (type != nullptr) *type = static_cast<AdlikDataType>(t.type);
  if (shape != nullptr) *shape = t.shape.data();
  if (rank != nullptr) *rank = static_cast<uint32_t>(t.shape.size());
  return t.name.c_str();
}
const char* ModelDeclaredTensor(const AdlikModel* m, int is_output, uint32_t i,
                                AdlikDataType* type, const int64_t** shape,
                                uint32_t* rank) {
  const Signature& d = m->spec->declared;
  return DescribeSpec(is_output ? d.outputs : d.inputs, i, type, shape, rank);
}

bool ValidType(AdlikDataType t) {
  return DataTypeSize(static_cast<DataType>(t)) > 0 || t == ADLIK_TYPE_BYTES;
}

AdlikError* ModelAddTensor(AdlikModel* m, int is_output, const char* name,
                           AdlikDataType type, const int64_t* shape,
                           uint32_t rank) {
  const char* kind = is_output ? "output" : "input";
  if (name == nullptr || *name == '\0') {
    return MakeError(InvalidArgument(std::string("model_add_tensor: an ") +
                                     kind + " has no name"));
  }
  const std::string where = std::string(kind) + " '" + name + "': ";
  if (!ValidType(type)) {
    return MakeError(InvalidArgument(where + "datatype " +
                                     std::to_string(static_cast<int>(type)) +
                                     " is not an AdlikDataType"));
  }
  if (rank > 0 && shape == nullptr) {
    return MakeError(InvalidArgument(where + "rank " + std::to_string(rank) +
                                     " but no shape"));
  }
  TensorSpec spec{name, static_cast<DataType>(type), {shape, shape + rank}};
  for (int64_t d : spec.shape) {
    if (d < -1) {
      return MakeError(
          InvalidArgument(where + "dimension " + std::to_string(d) +
                          " (a dimension is >= 0, or -1 for any size)"));
    }
  }
  auto& list = is_output ? m->signature.outputs : m->signature.inputs;
  for (const TensorSpec& t : list) {
    if (t.name == spec.name) {
      return MakeError(InvalidArgument(where + "declared twice"));
    }
  }
  list.push_back(std::move(spec));
  return nullptr;
}

// --- Instance --------------------------------------------------------------
const char* InstanceName(const AdlikInstance* i) {
  return i->spec.name.c_str();
}
AdlikDeviceKind InstanceDevice(const AdlikInstance* i, int32_t* device_id) {
  if (device_id != nullptr) *device_id = i->spec.device_id;
  switch (i->spec.kind) {
    case host::DeviceKind::kGpu:
      return ADLIK_DEVICE_GPU;
    case host::DeviceKind::kVendor:
      return ADLIK_DEVICE_VENDOR;
    default:
      return ADLIK_DEVICE_CPU;
  }
}

// --- Batch -----------------------------------------------------------------
uint32_t BatchRequestCount(const AdlikBatch* b) {
  return static_cast<uint32_t>(b->batch->request_rows.size());
}
int64_t BatchRequestRows(const AdlikBatch* b, uint32_t i) {
  return i < b->batch->request_rows.size() ? b->batch->request_rows[i] : 0;
}
const char* BatchInput(const AdlikBatch* b, uint32_t i, AdlikDataType* type,
                       const int64_t** shape, uint32_t* rank, const void** data,
                       size_t* byte_size, AdlikMemoryType* memory_type,
                       int32_t* device_id) {
  if (i >= b->batch->inputs.size()) return nullptr;
  const TensorView& v = b->batch->inputs[i];
  if (type != nullptr) *type = static_cast<AdlikDataType>(v.type);
  if (shape != nullptr) *shape = v.shape.data();
  if (rank != nullptr) *rank = static_cast<uint32_t>(v.shape.size());
  plugin_internal::PlacedInput where{v.data, ADLIK_MEMORY_CPU, 0};
  if (!b->placed_inputs.empty()) where = b->placed_inputs[i];
  if (data != nullptr) *data = where.data;
  if (byte_size != nullptr) *byte_size = v.byte_size;
  if (memory_type != nullptr) *memory_type = where.type;
  if (device_id != nullptr) *device_id = where.device;
  // The view's name is a string_view into a std::string the scheduler owns,
  // so it is NUL-terminated.
  return v.name.data();
}
const char* BatchRequestedOutput(const AdlikBatch* b, uint32_t i) {
  if (i >= b->batch->output_names.size()) return nullptr;
  return b->batch->output_names[i].c_str();
}

// Checks an output's description; returns its element count.
StatusOr<int64_t> CheckOutput(const std::vector<Tensor>& outputs,
                              const char* name, AdlikDataType type,
                              const int64_t* shape, uint32_t rank) {
  if (name == nullptr || *name == '\0') {
    return InvalidArgument("an output has no name");
  }
  const std::string where = std::string("output '") + name + "': ";
  if (!ValidType(type)) {
    return InvalidArgument(where + "datatype " +
                           std::to_string(static_cast<int>(type)) +
                           " is not an AdlikDataType");
  }
  if (rank > 0 && shape == nullptr) {
    return InvalidArgument(where + "rank " + std::to_string(rank) +
                           " but no shape");
  }
  auto count = CheckedElementCount(std::span<const int64_t>(shape, rank));
  if (!count) {
    return InvalidArgument(where +
                           "a dimension is negative or the shape "
                           "is too large");
  }
  for (const Tensor& t : outputs) {
    if (t.name == name) return InvalidArgument(where + "produced twice");
  }
  return *count;
}

// A host buffer for output `name`, added to `outputs`: one of `placed` (the
// buffers the request asked for) when it is there and large enough, else the
// server's own.
Status AllocateOutput(std::vector<Tensor>* outputs, const char* name,
                      AdlikDataType type, const int64_t* shape, uint32_t rank,
                      void** buffer,
                      std::span<const host::OutputBuffer> placed = {}) {
  RETURN_IF_ERROR(CheckOutput(*outputs, name, type, shape, rank).status());
  if (type == ADLIK_TYPE_BYTES) {
    return InvalidArgument(std::string("output '") + name +
                           "': a BYTES output has no size known in advance; "
                           "use output_adopt");
  }
  if (buffer == nullptr) return InvalidArgument("`buffer` is NULL");
  const std::optional<size_t> bytes =
      CheckedByteSize(std::span<const int64_t>(shape, rank),
                      DataTypeSize(static_cast<DataType>(type)));
  if (!bytes) {
    return InvalidArgument(std::string("output '") + name +
                           "': its byte size does not fit in 64 bits");
  }
  Tensor t;
  t.name = name;
  t.type = static_cast<DataType>(type);
  t.shape.assign(shape, shape + rank);
  t.byte_size = *bytes;
  auto asked = std::find_if(placed.begin(), placed.end(),
                            [&](const host::OutputBuffer& b) {
                              return b.name == name && b.byte_size >= *bytes;
                            });
  if (asked != placed.end()) {
    t.data = asked->data;  // the request's holder keeps it valid
  } else {
    // Uninitialised: the runtime writes every byte.
    std::shared_ptr<char[]> storage(new char[std::max<size_t>(*bytes, 1)]);
    t.data = storage.get();
    t.holder = std::move(storage);
  }
  *buffer = const_cast<char*>(t.data);
  outputs->push_back(std::move(t));
  return Status::Ok();
}

AdlikError* OutputAllocate(AdlikBatch* b, const char* name, AdlikDataType type,
                           const int64_t* shape, uint32_t rank,
                           AdlikMemoryType memory_type, int32_t device_id,
                           void** buffer, AdlikMemoryType* placed) {
  if (!ValidMemory(memory_type)) {
    return MakeError(
        InvalidArgument(std::string("output_allocate: output '") +
                        (name != nullptr ? name : "") + "': memory type " +
                        std::to_string(static_cast<int>(memory_type)) +
                        " is not an AdlikMemoryType"));
  }
  // An output computed in the runtime's memory is copied out into the
  // server's buffer, which may then be the request's.
  Status s = AllocateOutput(&b->result->outputs, name, type, shape, rank,
                            buffer, b->batch->output_buffers);
  if (!s.ok()) return MakeError(s.WithPrefix("output_allocate"));
  AdlikMemoryType where = ADLIK_MEMORY_CPU;
  if (memory_type != ADLIK_MEMORY_CPU && b->memory != nullptr) {
    // In the runtime's memory; copied into the host buffer after Execute.
    const Tensor& t = b->result->outputs.back();
    auto device = b->memory->Get(b->memory->outputs, b->device_outputs.size(),
                                 memory_type, device_id, t.byte_size);
    if (!device.ok()) {
      b->result->outputs.pop_back();
      return MakeError(device.status().WithPrefix(
          std::string("output_allocate: output '") + name + "'"));
    }
    b->device_outputs.push_back({*device, memory_type, device_id,
                                 const_cast<char*>(t.data), t.byte_size});
    *buffer = *device;
    where = memory_type;
  }
  if (placed != nullptr) *placed = where;
  return nullptr;
}

AdlikError* OutputAdopt(AdlikBatch* b, const char* name, AdlikDataType type,
                        const int64_t* shape, uint32_t rank, const void* data,
                        size_t byte_size, AdlikReleaseFn release,
                        void* context) {
  // Whatever happens, `release` is called exactly once.
  std::shared_ptr<void> holder(context, [release](void* c) {
    if (release != nullptr) release(c);
  });
  auto count = CheckOutput(b->result->outputs, name, type, shape, rank);
  if (!count.ok()) return MakeError(count.status().WithPrefix("output_adopt"));
  const size_t element = DataTypeSize(static_cast<DataType>(type));
  if (type != ADLIK_TYPE_BYTES &&
      CheckedByteSize(std::span<const int64_t>(shape, rank), element) !=
          byte_size) {
    return MakeError(InvalidArgument(
        std::string("output_adopt: output '") + name +
        "': " + std::to_string(byte_size) + " bytes for a shape of " +
        std::to_string(*count) + " elements of " + std::to_string(element)));
  }
  if (data == nullptr && byte_size > 0) {
    return MakeError(InvalidArgument(std::string("output_adopt: output '") +
                                     name + "': no data"));
  }
  Tensor t;
  t.name = name;
  t.type = static_cast<DataType>(type);
  t.shape.assign(shape, shape + rank);
  t.data = static_cast<const char*>(data);
  t.byte_size = byte_size;
  t.holder = std::move(holder);
  b->result->outputs.push_back(std::move(t));
  return nullptr;
}

void BatchFailRequest(AdlikBatch* b, uint32_t request, AdlikError* error) {
  Status s = Take(error);
  if (s.ok()) return;
  const size_t n = b->batch->request_rows.size();
  if (request >= n) {
    LOG(WARNING) << "batch_fail_request: request " << request
                 << " is not in a batch of " << n << ": " << s.ToString();
    return;
  }
  b->result->request_errors.resize(n);
  b->result->request_errors[request] = std::move(s);
}

// --- Decoupled responses --------------------------------------------------
AdlikError* ResponseBegin(AdlikBatch* b, uint32_t request,
                          AdlikResponder** responder) {
  if (responder == nullptr) {
    return MakeError(InvalidArgument("response_begin: `responder` is NULL"));
  }
  *responder = nullptr;
  const size_t n = b->batch->request_rows.size();
  if (b->batch->responders.empty()) {
    return MakeError(InvalidArgument(
        "response_begin: the model is not decoupled (its config has no "
        "model_transaction_policy { decoupled: true }); answer through the "
        "batch's outputs"));
  }
  if (request >= n) {
    return MakeError(
        InvalidArgument("response_begin: request " + std::to_string(request) +
                        " is not in a batch of " + std::to_string(n)));
  }
  std::vector<char>& taken = b->result->taken_over;
  taken.resize(n);
  if (taken[request]) {
    return MakeError(InvalidArgument("response_begin: request " +
                                     std::to_string(request) +
                                     " is answered through a responder "
                                     "already"));
  }
  taken[request] = 1;
  *responder = new AdlikResponder{b->batch->responders[request], {}};
  return nullptr;
}

AdlikError* ResponseOutputAllocate(AdlikResponder* r, const char* name,
                                   AdlikDataType type, const int64_t* shape,
                                   uint32_t rank, void** buffer) {
  if (r == nullptr) {
    return MakeError(
        InvalidArgument("response_output_allocate: `responder` is NULL"));
  }
  Status s = AllocateOutput(&r->outputs, name, type, shape, rank, buffer);
  return MakeError(s.WithPrefix("response_output_allocate"));
}

AdlikError* ResponseSend(AdlikResponder* r, uint32_t flags, AdlikError* error) {
  Status s = Take(error);
  if (r == nullptr) {
    return MakeError(InvalidArgument("response_send: `responder` is NULL"));
  }
  if ((flags & ~ADLIK_RESPONSE_FINAL) != 0) {
    return MakeError(InvalidArgument(
        "response_send: unknown flags " + std::to_string(flags) +
        " (only ADLIK_RESPONSE_FINAL is defined); nothing was sent"));
  }
  const bool final = (flags & ADLIK_RESPONSE_FINAL) != 0;
  std::optional<StatusOr<std::vector<Tensor>>> response;
  if (!s.ok()) {
    response = std::move(s);
  } else if (!r->outputs.empty() || !final) {
    response = std::move(r->outputs);
  }
  r->outputs.clear();
  Status sent = r->target->Send(std::move(response), final);
  if (final) delete r;
  return MakeError(sent.WithPrefix("response_send"));
}

AdlikError* InstanceSetInputMemory(AdlikInstance* i, AdlikMemoryType type,
                                   int32_t device_id) {
  if (!ValidMemory(type)) {
    return MakeError(InvalidArgument("instance_set_input_memory: memory type " +
                                     std::to_string(static_cast<int>(type)) +
                                     " is not an AdlikMemoryType"));
  }
  if (type != ADLIK_MEMORY_CPU && !i->runtime_memory) {
    return MakeError(InvalidArgument(
        "instance_set_input_memory: memory type " +
        std::to_string(static_cast<int>(type)) +
        " is the runtime's own memory, and this runtime does not export "
        "AdlikRuntimeMemoryAllocate, AdlikRuntimeMemoryFree and "
        "AdlikRuntimeMemoryCopy (runtime API 2.2)"));
  }
  i->input_memory = type;
  i->input_device = device_id;
  return nullptr;
}

constexpr AdlikServerApi kApi = {
    sizeof(AdlikServerApi),
    ADLIK_RUNTIME_API_VERSION_MAJOR,
    ADLIK_RUNTIME_API_VERSION_MINOR,
    ErrorNew,
    ErrorCode,
    ErrorMessage,
    ErrorDelete,
    Log,
    HostAlloc,
    HostFree,
    ThreadBudget,
    ModelName,
    ModelVersion,
    ModelVersionPath,
    ModelFilePath,
    ModelMaxBatchSize,
    ModelParameter,
    ModelDeclaredTensor,
    ModelAddTensor,
    InstanceName,
    InstanceDevice,
    BatchRequestCount,
    BatchRequestRows,
    BatchInput,
    BatchRequestedOutput,
    OutputAllocate,
    OutputAdopt,
    BatchFailRequest,
    ResponseBegin,
    ResponseOutputAllocate,
    ResponseSend,
    InstanceSetInputMemory,
};

// --- The adapters ----------------------------------------------------------

class PluginInstance : public host::Instance {
 public:
  PluginInstance(const RuntimePlugin::Functions& fns, void* runtime_state,
                 std::string where, std::unique_ptr<AdlikInstance> handle,
                 void* state)
      : fns_(fns),
        where_(std::move(where)),
        handle_(std::move(handle)),
        state_(state) {
    if (handle_->runtime_memory) {
      memory_ = std::make_unique<DeviceMemory>(fns, runtime_state);
    }
  }
  ~PluginInstance() override { fns_.instance_fini(state_); }

  Status Execute(const Batch& batch, BatchResult* result) override {
    AdlikBatch b;
    b.batch = &batch;
    b.result = result;
    b.memory = memory_.get();
    if (handle_->input_memory != ADLIK_MEMORY_CPU) {
      RETURN_IF_ERROR(PlaceInputs(batch, &b).WithPrefix(where_));
    }
    RETURN_IF_ERROR(Take(fns_.execute(state_, &b)).WithPrefix(where_));
    for (const plugin_internal::DeviceOutput& o : b.device_outputs) {
      RETURN_IF_ERROR(memory_
                          ->Copy(o.host, ADLIK_MEMORY_CPU, 0, o.data, o.type,
                                 o.device, o.byte_size)
                          .WithPrefix(where_ + ": an output"));
    }
    return Status::Ok();
  }

 private:
  // Copies each input (but BYTES) into this instance's buffer for it in the
  // runtime's memory.
  Status PlaceInputs(const Batch& batch, AdlikBatch* b) {
    b->placed_inputs.resize(batch.inputs.size());
    for (size_t i = 0; i < batch.inputs.size(); ++i) {
      const TensorView& v = batch.inputs[i];
      plugin_internal::PlacedInput& p = b->placed_inputs[i];
      p = {v.data, ADLIK_MEMORY_CPU, 0};
      if (v.type == DataType::kBytes) continue;
      const std::string what = "input '" + std::string(v.name) + "'";
      StatusOr<void*> buffer =
          memory_->Get(memory_->inputs, i, handle_->input_memory,
                       handle_->input_device, v.byte_size);
      if (!buffer.ok()) return buffer.status().WithPrefix(what);
      void* data = *buffer;
      RETURN_IF_ERROR(memory_
                          ->Copy(data, handle_->input_memory,
                                 handle_->input_device, v.data,
                                 ADLIK_MEMORY_CPU, 0, v.byte_size)
                          .WithPrefix(what));
      p = {data, handle_->input_memory, handle_->input_device};
    }
    return Status::Ok();
  }

  const RuntimePlugin::Functions fns_;
  const std::string where_;
  const std::unique_ptr<AdlikInstance> handle_;
  void* const state_;
  std::unique_ptr<DeviceMemory> memory_;  // null: host memory only
};

class PluginModel : public host::Model {
 public:
  PluginModel(const RuntimePlugin::Functions& fns, void* runtime_state,
              std::string runtime, std::unique_ptr<host::ModelSpec> spec,
              std::unique_ptr<AdlikModel> handle, void* state)
      : fns_(fns),
        runtime_state_(runtime_state),
        runtime_(std::move(runtime)),
        spec_(std::move(spec)),
        handle_(std::move(handle)),
        state_(state) {}
  ~PluginModel() override { fns_.model_fini(state_); }

  Signature signature() const override { return handle_->signature; }

  StatusOr<std::unique_ptr<host::Instance>> CreateInstance(
      const host::InstanceSpec& spec) override {
    auto handle = std::make_unique<AdlikInstance>();
    handle->spec = spec;
    handle->input_device = spec.device_id;
    handle->runtime_memory = fns_.memory_copy != nullptr;
    void* state = nullptr;
    RETURN_IF_ERROR(Take(fns_.instance_init(state_, handle.get(), &state))
                        .WithPrefix("runtime '" + runtime_ + "': instance '" +
                                    spec.name + "'"));
    return std::unique_ptr<host::Instance>(
        new PluginInstance(fns_, runtime_state_, "runtime '" + runtime_ + "'",
                           std::move(handle), state));
  }

 private:
  const RuntimePlugin::Functions fns_;
  void* const runtime_state_;
  const std::string runtime_;
  const std::unique_ptr<host::ModelSpec> spec_;  // the handle points into it
  const std::unique_ptr<AdlikModel> handle_;
  void* const state_;
};

template <typename Fn>
bool Lookup(void* lib, const char* name, Fn* fn, std::string* missing) {
  *fn = reinterpret_cast<Fn>(dlsym(lib, name));
  if (*fn == nullptr)
    *missing += (missing->empty() ? "" : ", ") + std::string(name);
  return *fn != nullptr;
}

std::string Version(uint32_t major, uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

}  // namespace

const AdlikServerApi& RuntimePlugin::ServerApi() { return kApi; }

StatusOr<std::unique_ptr<RuntimePlugin>> RuntimePlugin::Open(
    const std::string& path, uint32_t thread_budget) {
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* e = dlerror();
    return Unavailable("cannot load " + path + ": " + (e ? e : "?"));
  }
  std::unique_ptr<RuntimePlugin> p(new RuntimePlugin());
  p->path_ = path;
  decltype(&AdlikRuntimeApiVersion) version = nullptr;
  decltype(&AdlikRuntimeDescribe) describe = nullptr;
  std::string missing;
  Lookup(lib, "AdlikRuntimeApiVersion", &version, &missing);
  if (version == nullptr) {
    return Unavailable(path +
                       " is not an Adlik runtime plugin: it does not export "
                       "AdlikRuntimeApiVersion (adlik/runtime_api.h)");
  }
  uint32_t major = 0, minor = 0;
  version(&major, &minor);
  if (major != ADLIK_RUNTIME_API_VERSION_MAJOR ||
      minor > ADLIK_RUNTIME_API_VERSION_MINOR) {
    return Unavailable(
        path + " was built for runtime API " + Version(major, minor) +
        ", this server speaks " +
        Version(ADLIK_RUNTIME_API_VERSION_MAJOR,
                ADLIK_RUNTIME_API_VERSION_MINOR) +
        (major != ADLIK_RUNTIME_API_VERSION_MAJOR
             ? " (another major): rebuild the plugin against this SDK"
             : " (a plugin of a newer minor needs a newer server)"));
  }
  Functions& f = p->fns_;
  Lookup(lib, "AdlikRuntimeDescribe", &describe, &missing);
  Lookup(lib, "AdlikRuntimeInit", &f.runtime_init, &missing);
  Lookup(lib, "AdlikRuntimeFini", &f.runtime_fini, &missing);
  Lookup(lib, "AdlikModelInit", &f.model_init, &missing);
  Lookup(lib, "AdlikModelFini", &f.model_fini, &missing);
  Lookup(lib, "AdlikInstanceInit", &f.instance_init, &missing);
  Lookup(lib, "AdlikInstanceFini", &f.instance_fini, &missing);
  Lookup(lib, "AdlikInstanceExecute", &f.execute, &missing);
  if (!missing.empty()) {
    return Unavailable(path + " (runtime API " + Version(major, minor) +
                       ") does not export " + missing);
  }
  if (minor >= 2) {  // optional: memory the runtime manages
    std::string lacks;
    const int found =
        Lookup(lib, "AdlikRuntimeMemoryAllocate", &f.memory_allocate, &lacks) +
        Lookup(lib, "AdlikRuntimeMemoryFree", &f.memory_free, &lacks) +
        Lookup(lib, "AdlikRuntimeMemoryCopy", &f.memory_copy, &lacks);
    if (found != 0 && found != 3) {
      return Unavailable(path +
                         " exports some of the AdlikRuntimeMemory* entry "
                         "points, which go together, but not " +
                         lacks);
    }
  }
  AdlikRuntimeInfo info{};
  info.size = sizeof(info);
  describe(&info);
  RuntimeInfo& i = p->info_;
  i.api_major = major;
  i.api_minor = minor;
  if (info.name != nullptr) i.name = info.name;
  if (info.default_model_filename != nullptr)
    i.default_model_filename = info.default_model_filename;
  for (const char* const* pl = info.platforms; pl != nullptr && *pl != nullptr;
       ++pl) {
    i.platforms.emplace_back(*pl);
  }
  // The file's NAME is the runtime's name (a runtime dir may hold a plugin
  // under another name); a plugin that calls itself otherwise is told.
  std::string stem = path.substr(path.rfind('/') + 1);
  if (stem.starts_with("libadlik_runtime_") && stem.ends_with(".so")) {
    stem = stem.substr(17, stem.size() - 20);
    if (i.name != stem) {
      LOG(WARNING) << path << " describes itself as runtime '" << i.name
                   << "'; it is served as '" << stem << "', its file's name";
      i.name = stem;
    }
  }
  if (i.name.empty()) {
    return Unavailable(path + ": AdlikRuntimeDescribe gives no name");
  }
  if (i.default_model_filename.empty() ||
      i.default_model_filename.find('/') != std::string::npos) {
    return Unavailable(path +
                       ": AdlikRuntimeDescribe gives no plain "
                       "default_model_filename");
  }
  p->handle_ = std::make_unique<AdlikRuntime>();
  p->handle_->name = i.name;
  p->handle_->thread_budget = std::max<uint32_t>(1, thread_budget);
  return p;
}

RuntimePlugin::~RuntimePlugin() {
  if (init_done_) fns_.runtime_fini(state_);
}

Status RuntimePlugin::Init() {
  std::call_once(init_once_, [this] {
    init_status_ = Take(fns_.runtime_init(&kApi, handle_.get(), &state_))
                       .WithPrefix("runtime '" + info_.name + "': " + path_ +
                                   ": AdlikRuntimeInit");
    init_done_ = init_status_.ok();
    if (init_done_) {
      LOG(INFO) << "runtime '" << info_.name << "' initialized (API "
                << Version(info_.api_major, info_.api_minor) << ")";
    }
  });
  return init_status_;
}

StatusOr<std::unique_ptr<host::Model>> RuntimePlugin::LoadModel(
    const host::ModelSpec& spec) {
  RETURN_IF_ERROR(Init());
  auto owned_spec = std::make_unique<host::ModelSpec>(spec);
  auto handle = std::make_unique<AdlikModel>();
  handle->spec = owned_spec.get();
  void* state = nullptr;
  RETURN_IF_ERROR(Take(fns_.model_init(state_, handle.get(), &state))
                      .WithPrefix("runtime '" + info_.name + "'"));
  return std::unique_ptr<host::Model>(
      new PluginModel(fns_, state_, info_.name, std::move(owned_spec),
                      std::move(handle), state));
}

}  // namespace adlik
