// A test plugin for a runtime that computes on a device of its own
// (libadlik_runtime_testing_device.so), written against the C API alone
// (adlik/runtime_api.h, API 2.2) as a vendor's plugin for an accelerator
// would be. The "device" is simulated: its memory is host memory that only
// this plugin hands out and keeps a record of, so that every check a real
// device would make (is this pointer device memory? is this copy within a
// buffer?) is made here, and the server's placement can be verified.
//
// Model (whatever the file): FP32 "x" [-1, 4] -> "y" = x + 1, computed in
// device memory only. Each instance asks for its inputs in device memory
// (instance_set_input_memory) and allocates its output there.
//
// Built twice: as itself, and with ADLIK_TESTING_NO_MEMORY_COPY as
// libadlik_runtime_testing_device_partial.so, which lacks
// AdlikRuntimeMemoryCopy and must be refused.
//
// AdlikTestingDeviceCounters reports the copies made each way and the device
// buffers alive, for src/runtime_host/runtime_registry_test.cc.
//
// Thread-safety: the device's record is guarded by a mutex; instances hold no
// mutable state.
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <string>

#include "adlik/runtime_api.h"

namespace {

const AdlikServerApi* api = nullptr;

// The simulated device's memory: buffers by address, with their size.
struct Device {
  std::mutex mu;
  std::map<const char*, size_t> buffers;
  uint64_t to_device = 0, to_host = 0;

  // Whether [p, p + n) lies in one device buffer.
  bool Holds(const void* p, size_t n) {
    const char* c = static_cast<const char*>(p);
    std::lock_guard<std::mutex> lock(mu);
    auto it = buffers.upper_bound(c);
    if (it == buffers.begin()) return false;
    --it;
    return c >= it->first && c + n <= it->first + it->second;
  }
};
Device device;

AdlikError* Error(AdlikErrorCode code, const std::string& message) {
  return api->error_new(code, ("testing_device: " + message).c_str());
}

struct Model {
  int32_t max_batch_size = 0;
};

struct Instance {
  int32_t device_id = 0;
};

}  // namespace

extern "C" {

ADLIK_EXPORT void AdlikRuntimeApiVersion(uint32_t* major, uint32_t* minor) {
  *major = ADLIK_RUNTIME_API_VERSION_MAJOR;
  *minor = ADLIK_RUNTIME_API_VERSION_MINOR;
}

ADLIK_EXPORT void AdlikRuntimeDescribe(AdlikRuntimeInfo* info) {
  info->name = "testing_device";
  info->platforms = nullptr;
  info->default_model_filename = "model.bin";
}

ADLIK_EXPORT AdlikError* AdlikRuntimeInit(const AdlikServerApi* server,
                                          AdlikRuntime*, void** state) {
  api = server;
  *state = nullptr;
  return nullptr;
}
ADLIK_EXPORT void AdlikRuntimeFini(void*) {}

ADLIK_EXPORT AdlikError* AdlikRuntimeMemoryAllocate(void*, AdlikMemoryType type,
                                                    int32_t, size_t byte_size,
                                                    void** buffer) {
  if (type != ADLIK_MEMORY_VENDOR) {
    return Error(ADLIK_ERROR_INVALID_ARGUMENT, "MemoryAllocate: memory type " +
                                                   std::to_string(type) +
                                                   " is not this device's");
  }
  char* p = static_cast<char*>(std::malloc(byte_size));
  if (p == nullptr) return Error(ADLIK_ERROR_RESOURCE_EXHAUSTED, "no memory");
  std::memset(p, 0xA5, byte_size);  // what a fresh device buffer holds
  std::lock_guard<std::mutex> lock(device.mu);
  device.buffers[p] = byte_size;
  *buffer = p;
  return nullptr;
}

ADLIK_EXPORT void AdlikRuntimeMemoryFree(void*, AdlikMemoryType, int32_t,
                                         void* buffer) {
  {
    std::lock_guard<std::mutex> lock(device.mu);
    if (device.buffers.erase(static_cast<const char*>(buffer)) == 0) {
      std::abort();  // freeing what the device never gave out
    }
  }
  std::free(buffer);
}

#ifndef ADLIK_TESTING_NO_MEMORY_COPY
ADLIK_EXPORT AdlikError* AdlikRuntimeMemoryCopy(void*, void* dst,
                                                AdlikMemoryType dst_type,
                                                int32_t, const void* src,
                                                AdlikMemoryType src_type,
                                                int32_t, size_t byte_size) {
  const bool in = dst_type == ADLIK_MEMORY_VENDOR;
  const bool out = src_type == ADLIK_MEMORY_VENDOR;
  if (in == out || (in ? src_type : dst_type) != ADLIK_MEMORY_CPU) {
    return Error(ADLIK_ERROR_INVALID_ARGUMENT,
                 "MemoryCopy: copies between host and device only");
  }
  if (!device.Holds(in ? dst : src, byte_size) ||
      device.Holds(in ? src : dst, 1)) {
    return Error(ADLIK_ERROR_INVALID_ARGUMENT,
                 "MemoryCopy: a pointer is not where its memory type says");
  }
  std::memcpy(dst, src, byte_size);
  std::lock_guard<std::mutex> lock(device.mu);
  ++(in ? device.to_device : device.to_host);
  return nullptr;
}
#endif

// Copies made host -> device and device -> host, and device buffers alive.
ADLIK_EXPORT void AdlikTestingDeviceCounters(uint64_t* to_device,
                                             uint64_t* to_host,
                                             uint64_t* buffers) {
  std::lock_guard<std::mutex> lock(device.mu);
  *to_device = device.to_device;
  *to_host = device.to_host;
  *buffers = device.buffers.size();
}

ADLIK_EXPORT AdlikError* AdlikModelInit(void*, AdlikModel* model,
                                        void** state) {
  const char* path = api->model_file_path(model);
  if (!std::ifstream(path)) {
    return Error(ADLIK_ERROR_NOT_FOUND, std::string("cannot open ") + path);
  }
  const int64_t shape[2] = {-1, 4};
  AdlikError* e =
      api->model_add_tensor(model, 0, "x", ADLIK_TYPE_FP32, shape, 2);
  if (e == nullptr)
    e = api->model_add_tensor(model, 1, "y", ADLIK_TYPE_FP32, shape, 2);
  if (e != nullptr) return e;
  *state = new Model{api->model_max_batch_size(model)};
  return nullptr;
}
ADLIK_EXPORT void AdlikModelFini(void* state) {
  delete static_cast<Model*>(state);
}

ADLIK_EXPORT AdlikError* AdlikInstanceInit(void*, AdlikInstance* instance,
                                           void** state) {
  int32_t id = 0;
  api->instance_device(instance, &id);
  AdlikError* e =
      api->instance_set_input_memory(instance, ADLIK_MEMORY_VENDOR, id);
  if (e != nullptr) return e;
  *state = new Instance{id};
  return nullptr;
}
ADLIK_EXPORT void AdlikInstanceFini(void* state) {
  delete static_cast<Instance*>(state);
}

ADLIK_EXPORT AdlikError* AdlikInstanceExecute(void* state, AdlikBatch* batch) {
  const Instance& instance = *static_cast<Instance*>(state);
  AdlikDataType type;
  const int64_t* shape = nullptr;
  uint32_t rank = 0;
  const void* x = nullptr;
  size_t bytes = 0;
  AdlikMemoryType memory;
  int32_t device_id = -1;
  const char* name = api->batch_input(batch, 0, &type, &shape, &rank, &x,
                                      &bytes, &memory, &device_id);
  if (name == nullptr || std::strcmp(name, "x") != 0 ||
      type != ADLIK_TYPE_FP32) {
    return Error(ADLIK_ERROR_INVALID_ARGUMENT, "expected FP32 input 'x'");
  }
  if (memory != ADLIK_MEMORY_VENDOR || device_id != instance.device_id ||
      !device.Holds(x, bytes)) {
    return Error(ADLIK_ERROR_INTERNAL,
                 "input 'x' is not in this device's memory (memory type " +
                     std::to_string(memory) + ")");
  }
  void* y = nullptr;
  AdlikMemoryType placed = ADLIK_MEMORY_CPU;
  AdlikError* e = api->output_allocate(batch, "y", ADLIK_TYPE_FP32, shape, rank,
                                       ADLIK_MEMORY_VENDOR, instance.device_id,
                                       &y, &placed);
  if (e != nullptr) return e;
  if (placed != ADLIK_MEMORY_VENDOR || !device.Holds(y, bytes)) {
    return Error(ADLIK_ERROR_INTERNAL, "output 'y' is not in device memory");
  }
  // The "kernel": y = x + 1, device memory to device memory.
  const size_t n = bytes / sizeof(float);
  for (size_t i = 0; i < n; ++i) {
    float v;
    std::memcpy(&v, static_cast<const char*>(x) + i * sizeof(float),
                sizeof(float));
    v += 1;
    std::memcpy(static_cast<char*>(y) + i * sizeof(float), &v, sizeof(float));
  }
  return nullptr;
}

}  // extern "C"
