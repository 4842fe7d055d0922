/*
 * The runtime API: the whole contract between adlik_serving and a runtime
 * plugin, in C99, so that a plugin may be built with any compiler and any
 * standard library (or none).
 *
 * A runtime does the compute and nothing else. The server owns the model
 * repository, versions, configuration, request validation, queueing, dynamic
 * batching, instances, protocols, statistics and the buffers tensors live in.
 *
 * A runtime is the shared library `libadlik_runtime_<name>.so` in the server's
 * --runtime_dir. It links nothing of the server: everything it may ask of the
 * server is in the AdlikServerApi table handed to AdlikRuntimeInit. It exports
 * the functions of "Entry points" below (and no other symbol: build with
 * -fvisibility=hidden and mark them ADLIK_EXPORT).
 *
 * Lifetime, each level created and destroyed by the server:
 *
 *   AdlikRuntimeInit      once, when the first model that needs it loads
 *     AdlikModelInit      once per model version: load the engine file
 *       AdlikInstanceInit once per execution context (device, stream)
 *         AdlikInstanceExecute   one batch of requests
 *       AdlikInstanceFini
 *     AdlikModelFini      after all of the model's instances
 *   AdlikRuntimeFini      at shutdown, after all of its models
 *
 * Each level's Init returns the plugin's own state through `void** state`;
 * the server hands that pointer back to every later call on that level.
 *
 * Thread-safety: AdlikModelInit may run concurrently for different models,
 * and the Init/Fini of different instances concurrently. Execute is never
 * called concurrently on one instance; different instances execute
 * concurrently. Every AdlikServerApi function may be called from any thread.
 *
 * Errors: a call that fails returns an AdlikError made with api->error_new;
 * NULL means success. The server takes ownership of an error returned to it.
 * An error the server returns to the plugin belongs to the plugin, which
 * frees it with api->error_delete (or returns it, handing it back).
 *
 * Versions: ADLIK_RUNTIME_API_VERSION_MAJOR changes only when something
 * existing changes meaning or layout; the server refuses a plugin of another
 * major. A minor adds members at the end of AdlikServerApi and optional entry
 * points; the server accepts a plugin of its own or an older minor, and a
 * plugin may use only the members its minor knows (api->size tells how many
 * the server has).
 *   2.0  this contract.
 *   2.1  decoupled responses: api->response_* (send 0..n responses per
 *        request, then a final flag, from any thread).
 *   2.2  memory a runtime manages (a device's): the optional entry points
 *        AdlikRuntimeMemory*, api->instance_set_input_memory, and
 *        output_allocate honouring a memory type other than CPU.
 */
#ifndef ADLIK_RUNTIME_API_H_
#define ADLIK_RUNTIME_API_H_

#include <stddef.h>
#include <stdint.h>

#define ADLIK_RUNTIME_API_VERSION_MAJOR 2
#define ADLIK_RUNTIME_API_VERSION_MINOR 2

#if defined(__GNUC__) || defined(__clang__)
#define ADLIK_EXPORT __attribute__((visibility("default")))
#else
#define ADLIK_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes: the KServe/Triton set (the values of adlik::StatusCode). */
typedef enum AdlikErrorCode {
  ADLIK_ERROR_CANCELLED = 1,
  ADLIK_ERROR_UNKNOWN = 2,
  ADLIK_ERROR_INVALID_ARGUMENT = 3,
  ADLIK_ERROR_DEADLINE_EXCEEDED = 4,
  ADLIK_ERROR_NOT_FOUND = 5,
  ADLIK_ERROR_ALREADY_EXISTS = 6,
  ADLIK_ERROR_UNAVAILABLE = 7,
  ADLIK_ERROR_INTERNAL = 8,
  ADLIK_ERROR_UNIMPLEMENTED = 9,
  ADLIK_ERROR_RESOURCE_EXHAUSTED = 10
} AdlikErrorCode;

/* Element types (the values of Triton's model_config.proto DataType). Layout:
 * row-major, no padding, little-endian; BOOL is one byte; BYTES is serialized
 * (per element a 4-byte little-endian length, then the bytes). */
typedef enum AdlikDataType {
  ADLIK_TYPE_INVALID = 0,
  ADLIK_TYPE_BOOL = 1,
  ADLIK_TYPE_UINT8 = 2,
  ADLIK_TYPE_UINT16 = 3,
  ADLIK_TYPE_UINT32 = 4,
  ADLIK_TYPE_UINT64 = 5,
  ADLIK_TYPE_INT8 = 6,
  ADLIK_TYPE_INT16 = 7,
  ADLIK_TYPE_INT32 = 8,
  ADLIK_TYPE_INT64 = 9,
  ADLIK_TYPE_FP16 = 10,
  ADLIK_TYPE_FP32 = 11,
  ADLIK_TYPE_FP64 = 12,
  ADLIK_TYPE_BYTES = 13,
  ADLIK_TYPE_BF16 = 14
} AdlikDataType;

/* Where a buffer lives. `device_id` goes with GPU and VENDOR. */
typedef enum AdlikMemoryType {
  ADLIK_MEMORY_CPU = 0,
  ADLIK_MEMORY_CPU_PINNED = 1,
  ADLIK_MEMORY_GPU = 2,
  ADLIK_MEMORY_VENDOR = 3
} AdlikMemoryType;

/* An instance's device: the config's instance_group kind (KIND_CPU, KIND_GPU,
 * KIND_MODEL for a vendor device). */
typedef enum AdlikDeviceKind {
  ADLIK_DEVICE_CPU = 0,
  ADLIK_DEVICE_GPU = 1,
  ADLIK_DEVICE_VENDOR = 2
} AdlikDeviceKind;

typedef enum AdlikLogLevel {
  ADLIK_LOG_INFO = 0,
  ADLIK_LOG_WARNING = 1,
  ADLIK_LOG_ERROR = 2
} AdlikLogLevel;

/* Flags of api->response_send. */
#define ADLIK_RESPONSE_FINAL 1u

/* Opaque handles, all owned by the server. */
typedef struct AdlikError AdlikError;
typedef struct AdlikRuntime AdlikRuntime;     /* valid until RuntimeFini */
typedef struct AdlikModel AdlikModel;         /* valid until ModelFini */
typedef struct AdlikInstance AdlikInstance;   /* valid until InstanceFini */
typedef struct AdlikBatch AdlikBatch;         /* valid during Execute */
typedef struct AdlikResponder AdlikResponder; /* until its final response */

/* Frees what an adopted output buffer held (see api->output_adopt). */
typedef void (*AdlikReleaseFn)(void* context);

/* The services of the server. The table is the server's and lives as long as
 * the process; a plugin keeps the pointer AdlikRuntimeInit received. */
typedef struct AdlikServerApi {
  /* sizeof(AdlikServerApi) in the server: a member is there only if its
   * offset is below `size`. */
  size_t size;
  uint32_t major, minor; /* the server's API version */

  /* --- Errors ---------------------------------------------------------- */
  AdlikError* (*error_new)(AdlikErrorCode code, const char* message);
  AdlikErrorCode (*error_code)(const AdlikError* error);
  const char* (*error_message)(const AdlikError* error);
  void (*error_delete)(AdlikError* error);

  /* --- Logging: into the server's log, tagged with the runtime's name ---- */
  void (*log)(AdlikLogLevel level, const char* file, int line,
              const char* message);

  /* --- Host memory ----------------------------------------------------- */
  void* (*host_alloc)(size_t byte_size); /* 64-byte aligned; NULL if none */
  void (*host_free)(void* buffer);

  /* --- The runtime ------------------------------------------------------- */
  /* The thread budget: how many threads all of the runtime's compute should
   * use together (the server's --cores). A runtime sizes one process-wide
   * pool from it rather than a pool per model. */
  uint32_t (*runtime_thread_budget)(const AdlikRuntime* runtime);

  /* --- A model, from its config.pbtxt ---------------------------------- */
  const char* (*model_name)(const AdlikModel* model);
  int64_t (*model_version)(const AdlikModel* model);
  /* REPO/NAME/VERSION and REPO/NAME/VERSION/<default_model_filename>. */
  const char* (*model_version_path)(const AdlikModel* model);
  const char* (*model_file_path)(const AdlikModel* model);
  /* 0: no batch dimension; > 0: every tensor has a leading batch dimension
   * of at most this size. */
  int32_t (*model_max_batch_size)(const AdlikModel* model);
  /* The config's `parameters`, sorted by key; NULL past the end. */
  const char* (*model_parameter)(const AdlikModel* model, uint32_t index,
                                 const char** value);
  /* The config's declared inputs/outputs (is_output 0/1). Shapes include the
   * batch dimension (-1) when max_batch_size > 0; -1 is any size. Returns
   * NULL past the end. */
  const char* (*model_declared_tensor)(const AdlikModel* model, int is_output,
                                       uint32_t index, AdlikDataType* datatype,
                                       const int64_t** shape, uint32_t* rank);
  /* Called during ModelInit: the inputs and outputs the engine declares. The
   * server completes and checks the config against them. A runtime whose
   * engine declares nothing may skip it; then the config must declare all. */
  AdlikError* (*model_add_tensor)(AdlikModel* model, int is_output,
                                  const char* name, AdlikDataType datatype,
                                  const int64_t* shape, uint32_t rank);

  /* --- An instance ----------------------------------------------------- */
  const char* (*instance_name)(const AdlikInstance* instance);
  AdlikDeviceKind (*instance_device)(const AdlikInstance* instance,
                                     int32_t* device_id);

  /* --- A batch, during AdlikInstanceExecute ----------------------------- */
  /* The requests merged into this batch, and the rows (batch dimension) each
   * takes, in order: request i owns rows [sum of rows before i, + rows). A
   * model without a batch dimension gets one request of 1 row. */
  uint32_t (*batch_request_count)(const AdlikBatch* batch);
  int64_t (*batch_request_rows)(const AdlikBatch* batch, uint32_t request);
  /* The batch's inputs, every one the model takes, each over all requests.
   * Returns the name, NULL past the end. The bytes are borrowed until
   * Execute returns and carry no alignment guarantee. */
  const char* (*batch_input)(const AdlikBatch* batch, uint32_t index,
                             AdlikDataType* datatype, const int64_t** shape,
                             uint32_t* rank, const void** data,
                             size_t* byte_size, AdlikMemoryType* memory_type,
                             int32_t* device_id);
  /* The outputs some request of the batch asked for; NULL past the end. A
   * runtime must produce each of them (it may produce more). */
  const char* (*batch_requested_output)(const AdlikBatch* batch,
                                        uint32_t index);
  /* A buffer for an output of the whole batch. `memory_type`/`device_id` say
   * where the runtime would like it; `*placed` says where it is. CPU: placed
   * where the response goes, the runtime writes the result there. Another
   * type, from a plugin with the AdlikRuntimeMemory* entry points (2.2): the
   * buffer comes from AdlikRuntimeMemoryAllocate and the server copies the
   * result out once, after Execute returns (the buffer is the server's again
   * then: do not keep it). Without them the buffer is in host memory (CPU).
   * BYTES outputs cannot be allocated (their size is unknown): adopt them. */
  AdlikError* (*output_allocate)(AdlikBatch* batch, const char* name,
                                 AdlikDataType datatype, const int64_t* shape,
                                 uint32_t rank, AdlikMemoryType memory_type,
                                 int32_t device_id, void** buffer,
                                 AdlikMemoryType* placed);
  /* Hands the server an output the engine already holds in host memory, so
   * it reaches the wire without a copy: the server calls release(context)
   * once it no longer reads `data` (maybe after Execute returned, from any
   * thread; also when this call fails). */
  AdlikError* (*output_adopt)(AdlikBatch* batch, const char* name,
                              AdlikDataType datatype, const int64_t* shape,
                              uint32_t rank, const void* data, size_t byte_size,
                              AdlikReleaseFn release, void* context);
  /* Fails request `request` alone: it is answered with `error` (which the
   * server takes), the batch's other requests with the outputs. */
  void (*batch_fail_request)(AdlikBatch* batch, uint32_t request,
                             AdlikError* error);

  /* --- 2.1: decoupled responses ---------------------------------------- */
  /* For a model whose config says model_transaction_policy { decoupled:
   * true }: takes over the answering of request `request` (an error for any
   * other model, or for a request taken over already). Execute then outputs
   * nothing for it, and neither Execute's error nor batch_fail_request
   * reaches it: the runtime sends 0..n responses through the responder, from
   * any thread (one call at a time per responder), then one with
   * ADLIK_RESPONSE_FINAL, which frees the responder. A request of a
   * decoupled model not taken over is answered once, from the batch's
   * outputs, as for any model. Every responder gets its final send before
   * the runtime's AdlikInstanceFini returns (the server keeps the model
   * loaded until then). */
  AdlikError* (*response_begin)(AdlikBatch* batch, uint32_t request,
                                AdlikResponder** responder);
  /* A buffer for one output of the next response, as output_allocate (not
   * for BYTES). The response holds only what the request asked for. */
  AdlikError* (*response_output_allocate)(AdlikResponder* responder,
                                          const char* name,
                                          AdlikDataType datatype,
                                          const int64_t* shape, uint32_t rank,
                                          void** buffer);
  /* Sends what was allocated since the last send as one response (or
   * `error`, taken, as the request's error and no outputs) with `flags`.
   * ADLIK_RESPONSE_FINAL with nothing allocated and no error sends the final
   * flag alone (no response). Once the client has gone it sends nothing and
   * returns ADLIK_ERROR_CANCELLED: the runtime may stop computing, and still
   * ends with a final send. */
  AdlikError* (*response_send)(AdlikResponder* responder, uint32_t flags,
                               AdlikError* error);

  /* --- 2.2: inputs in the runtime's memory ------------------------------ */
  /* Called during AdlikInstanceInit: where this instance wants its inputs.
   * Anything but ADLIK_MEMORY_CPU needs the AdlikRuntimeMemory* entry
   * points: the server then keeps a buffer per input in that memory
   * (allocated through them, reused from batch to batch) and copies each
   * input into it once before Execute: the bytes a request arrived with, or
   * the batch it merged from several requests. batch_input reports them
   * with this memory type and device. BYTES inputs stay in host memory. */
  AdlikError* (*instance_set_input_memory)(AdlikInstance* instance,
                                           AdlikMemoryType memory_type,
                                           int32_t device_id);
} AdlikServerApi;

/* What a runtime is, without loading a model. Strings are static. */
typedef struct AdlikRuntimeInfo {
  size_t size; /* sizeof(AdlikRuntimeInfo) in the server */
  /* The <name> of libadlik_runtime_<name>.so, and of `backend: "<name>"`. */
  const char* name;
  /* The config `platform` values it serves, NULL-terminated; the first is
   * the one reported in model metadata. May be NULL. */
  const char* const* platforms;
  /* The model file in the version folder, e.g. "model.onnx". */
  const char* default_model_filename;
} AdlikRuntimeInfo;

/* ======================= Entry points ================================== */
/* Required. The server checks the version first and calls nothing else of
 * a plugin of another major or a newer minor. */
ADLIK_EXPORT void AdlikRuntimeApiVersion(uint32_t* major, uint32_t* minor);
ADLIK_EXPORT void AdlikRuntimeDescribe(AdlikRuntimeInfo* info);

ADLIK_EXPORT AdlikError* AdlikRuntimeInit(const AdlikServerApi* api,
                                          AdlikRuntime* runtime, void** state);
ADLIK_EXPORT void AdlikRuntimeFini(void* runtime_state);

/* Loads api->model_file_path(model): a missing, corrupt or unsupported file
 * is an error naming the file and what is wrong. */
ADLIK_EXPORT AdlikError* AdlikModelInit(void* runtime_state, AdlikModel* model,
                                        void** state);
ADLIK_EXPORT void AdlikModelFini(void* model_state);

/* A device this runtime cannot use is an error naming it. */
ADLIK_EXPORT AdlikError* AdlikInstanceInit(void* model_state,
                                           AdlikInstance* instance,
                                           void** state);
ADLIK_EXPORT void AdlikInstanceFini(void* instance_state);

/* Runs one batch. An error fails every request of the batch that
 * batch_fail_request has not failed already. */
ADLIK_EXPORT AdlikError* AdlikInstanceExecute(void* instance_state,
                                              AdlikBatch* batch);

/* Optional (2.2; all three or none): memory the runtime manages, for a
 * device the server has no driver for (a vendor's accelerator, a GPU through
 * the vendor's API, pinned host memory). The server calls them from any
 * thread, never with ADLIK_MEMORY_CPU as the memory to allocate or free. */
ADLIK_EXPORT AdlikError* AdlikRuntimeMemoryAllocate(void* runtime_state,
                                                    AdlikMemoryType memory_type,
                                                    int32_t device_id,
                                                    size_t byte_size,
                                                    void** buffer);
ADLIK_EXPORT void AdlikRuntimeMemoryFree(void* runtime_state,
                                         AdlikMemoryType memory_type,
                                         int32_t device_id, void* buffer);
/* Copies `byte_size` bytes between host memory (ADLIK_MEMORY_CPU) and the
 * runtime's memory, either way; the bytes are at `dst` when it returns. */
ADLIK_EXPORT AdlikError* AdlikRuntimeMemoryCopy(
    void* runtime_state, void* dst, AdlikMemoryType dst_type,
    int32_t dst_device, const void* src, AdlikMemoryType src_type,
    int32_t src_device, size_t byte_size);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ADLIK_RUNTIME_API_H_ */
