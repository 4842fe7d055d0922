// The example runtime: libadlik_runtime_example.so.
//
// A complete runtime in one file, written to be read by someone who wants to
// connect an inference engine or an accelerator to adlik_serving. It has no
// engine: its "engine file" is a small text file (model.txt) that declares the
// model's inputs and, for each output, one element-wise operation on two
// inputs. The `simple` model of runtimes/example/models/ is
//
//     input  INPUT0 INT32 16
//     input  INPUT1 INT32 16
//     output OUTPUT0 = INPUT0 + INPUT1
//     output OUTPUT1 = INPUT0 - INPUT1
//
// The `repeat_int32` model shows a decoupled model (one that sends any number
// of responses to a request, from its own thread): its model.txt is the one
// word `repeat` (see RepeatInstance below).
//
// Read it top to bottom; each part maps to one step of a real runtime:
//
//   1. The engine file: parsing model.txt stands for loading a vendor's
//      compiled engine (TopsInference's model.exec, TensorRT's model.plan).
//   2. ExampleInstance: an execution context on one device. Execute() runs one
//      batch: read the inputs, compute, hand back the outputs.
//   3. ExampleModel: one loaded model version, shared by its instances.
//   4. ExampleRuntime: the entry point the server creates once per process.
//   5. ADLIK_DEFINE_RUNTIME: the C entry points the server looks up, and what
//      the runtime says of itself (its name, model file and platforms).
//
// The contract these classes implement is include/adlik/runtime.h, a C++
// layer over the C API of include/adlik/runtime_api.h (runtimes/example_c/
// is the same runtime in C against that API alone); the guide is
// docs/adding-a-runtime.md. Everything a runtime does not do here (the
// model repository, config.pbtxt, request validation, queueing, dynamic
// batching, instance groups, HTTP and gRPC, statistics) the platform does.
//
// Rules every runtime follows, and where this file shows them:
//   - Errors are Status values with a message for a person. No exception
//     crosses into the server: the SDK turns one into an error naming the
//     call, but a runtime says what went wrong better itself.
//   - Ownership moves through std::unique_ptr: the server owns the Runtime,
//     the Models and the Instances, and destroys Instances before their Model
//     and Models before the Runtime.
//   - Thread-safety: LoadModel and Model methods may be called from any thread
//     at once; Execute is never called concurrently on one Instance.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "adlik/runtime.h"

namespace adlik::example {
namespace {

// ---------------------------------------------------------------------------
// 1. The engine file
//
// A real runtime calls its engine here (deserialize an engine, parse a graph).
// What matters for the platform is what comes out: the model's Signature (the
// names, types and shapes of its inputs and outputs) and an error that names
// the file and what is wrong when the file is bad.

// One output: `output = inputs[lhs] op inputs[rhs]`, element by element.
struct Operation {
  std::string output;
  size_t lhs = 0;
  size_t rhs = 0;
  char op = '+';  // '+', '-' or '*'
};

// Everything model.txt says. Immutable once parsed, so the instances of a
// model may read it from several threads without locks.
struct Program {
  Signature signature;                // what Model::signature() reports
  std::vector<Operation> operations;  // parallel to signature.outputs
  bool repeat = false;                // the decoupled `repeat` model
};

// The `repeat` model's signature, Triton's repeat_int32: IN (INT32 [n]),
// DELAY (UINT32 [n], milliseconds), WAIT (UINT32 [1], milliseconds) -> OUT
// (INT32 [1]), IDX (UINT32 [1]).
Program RepeatProgram() {
  Program p;
  p.repeat = true;
  p.signature.inputs = {{"IN", DataType::kInt32, {-1}},
                        {"DELAY", DataType::kUint32, {-1}},
                        {"WAIT", DataType::kUint32, {1}}};
  p.signature.outputs = {{"OUT", DataType::kInt32, {1}},
                         {"IDX", DataType::kUint32, {1}}};
  return p;
}

// The element types this runtime computes on. A runtime declares only types
// its engine supports; the platform rejects requests of any other type before
// they reach Execute.
bool IsSupportedType(DataType type) {
  return type == DataType::kInt32 || type == DataType::kInt64 ||
         type == DataType::kFp32 || type == DataType::kFp64;
}

// Parses model.txt. Line format (blank lines and lines from '#' on ignored):
//
//   input  NAME TYPE DIM...        TYPE: INT32, INT64, FP32 or FP64
//   output NAME = A OP B           A, B: inputs of the same type and dims;
//                                  OP: + - *
//   repeat                         alone: the decoupled repeat model
//                                  (RepeatProgram), which takes no batch
//                                  dimension
//
// DIMs leave out the batch dimension. When the config's max_batch_size is
// above 0 the platform sends batches, so every tensor of the signature gets a
// leading batch dimension of any size (-1): that is how a runtime tells the
// platform "this model takes batches".
StatusOr<Program> ParseModelFile(const std::string& path, int max_batch_size) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot open model file " + path);

  Program program;
  std::vector<TensorSpec>& inputs = program.signature.inputs;
  int line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    const std::string where = path + ":" + std::to_string(line_number) + ": ";
    if (auto hash = line.find('#'); hash != std::string::npos)
      line.resize(hash);
    std::istringstream words(line);
    std::string kind;
    if (!(words >> kind)) continue;  // blank or comment

    if (kind == "repeat") {
      std::string extra;
      if (words >> extra || !inputs.empty() ||
          !program.signature.outputs.empty() || program.repeat) {
        return InvalidArgument(where + "'repeat' stands alone in a model file");
      }
      if (max_batch_size > 0) {
        return InvalidArgument(where +
                               "the repeat model takes no batch dimension "
                               "(config: max_batch_size: 0)");
      }
      program = RepeatProgram();
      continue;
    }
    std::string name;
    if (!(words >> name)) return InvalidArgument(where + "a name is missing");
    auto find_input = [&](const std::string& n) -> const TensorSpec* {
      for (const TensorSpec& t : inputs)
        if (t.name == n) return &t;
      return nullptr;
    };

    if (kind == "input") {
      if (program.repeat) {
        return InvalidArgument(where + "'repeat' stands alone in a model file");
      }
      if (find_input(name) != nullptr) {
        return InvalidArgument(where + "input '" + name + "' declared twice");
      }
      std::string type_name;
      words >> type_name;
      std::optional<DataType> type = ParseDataType(type_name);
      if (!type || !IsSupportedType(*type)) {
        return InvalidArgument(where + "input '" + name + "': type '" +
                               type_name +
                               "' is not one of INT32, INT64, FP32, FP64");
      }
      TensorSpec spec{name, *type, {}};
      if (max_batch_size > 0) spec.shape.push_back(-1);
      size_t dims = 0;
      for (int64_t d; words >> d; ++dims) {
        if (d < 1) {
          return InvalidArgument(where + "input '" + name +
                                 "': a dimension must be >= 1");
        }
        spec.shape.push_back(d);
      }
      if (!words.eof()) {
        return InvalidArgument(where + "input '" + name +
                               "': dimensions must be whole numbers");
      }
      if (dims == 0) {
        return InvalidArgument(where + "input '" + name +
                               "': at least one dimension is needed");
      }
      inputs.push_back(std::move(spec));
    } else if (kind == "output") {
      if (program.repeat) {
        return InvalidArgument(where + "'repeat' stands alone in a model file");
      }
      std::string equals, lhs, op, rhs, extra;
      words >> equals >> lhs >> op >> rhs;
      if (equals != "=" || rhs.empty() || (words >> extra) || op.size() != 1 ||
          std::string_view("+-*").find(op[0]) == std::string_view::npos) {
        return InvalidArgument(where + "expected 'output " + name +
                               " = A OP B' with OP one of + - *");
      }
      const TensorSpec* a = find_input(lhs);
      const TensorSpec* b = find_input(rhs);
      if (a == nullptr || b == nullptr) {
        return InvalidArgument(where + "output '" + name +
                               "' uses an input not declared above it: '" +
                               (a == nullptr ? lhs : rhs) + "'");
      }
      if (a->type != b->type || a->shape != b->shape) {
        return InvalidArgument(where + "output '" + name + "': '" + lhs +
                               "' and '" + rhs +
                               "' differ in type or dimensions");
      }
      for (const TensorSpec& t : program.signature.outputs) {
        if (t.name == name) {
          return InvalidArgument(where + "output '" + name +
                                 "' declared twice");
        }
      }
      // The output has the type and shape of its operands.
      program.signature.outputs.push_back({name, a->type, a->shape});
      program.operations.push_back(
          {name, static_cast<size_t>(a - inputs.data()),
           static_cast<size_t>(b - inputs.data()), op[0]});
    } else {
      return InvalidArgument(where + "'" + kind +
                             "' is neither 'input' nor 'output'");
    }
  }
  if (program.signature.outputs.empty()) {
    return InvalidArgument(path + ": the model declares no output");
  }
  return program;
}

// ---------------------------------------------------------------------------
// 2. The instance: where batches run
//
// The platform creates `instance_group.count` instances per device and gives
// each batch to one free instance, so instances are the unit of parallelism.
// Per-execution state lives here: for an accelerator, the stream or queue and
// the device buffers sized for max_batch_size (see the TopsInference mapping
// in docs/adding-a-runtime.md). This engine needs none.
//
// Thread-safety: Execute is never called concurrently on one instance (the
// platform's guarantee), so per-instance state needs no lock. The Program is
// shared with the other instances of the model and only read.

// Reads element `i` of a borrowed input buffer. Input bytes carry no alignment
// guarantee (a binary HTTP body places tensors at any offset), so elements are
// copied out with memcpy rather than read through a cast pointer.
template <typename T>
T Load(const char* data, int64_t i) {
  T value;
  std::memcpy(&value, data + i * sizeof(T), sizeof(T));
  return value;
}

// a op b; integers wrap around on overflow, as in ONNX, instead of the
// undefined behaviour of signed overflow in C++.
template <typename T>
T Apply(char op, T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    const U x = static_cast<U>(a), y = static_cast<U>(b);
    return static_cast<T>(op == '+' ? x + y : op == '-' ? x - y : x * y);
  } else {
    return op == '+' ? a + b : op == '-' ? a - b : a * b;
  }
}

// Computes one output into `out`, a buffer the server allocated where the
// response goes: the result is written once and never copied again.
template <typename T>
void Compute(const Operation& operation, const TensorView& a,
             const TensorView& b, char* out) {
  const int64_t n = ElementCount(a.shape);
  for (int64_t i = 0; i < n; ++i) {
    const T value =
        Apply<T>(operation.op, Load<T>(a.data, i), Load<T>(b.data, i));
    std::memcpy(out + i * sizeof(T), &value, sizeof(T));
  }
}

class ExampleInstance : public Instance {
 public:
  // `program` must outlive the instance: it belongs to the Model, which the
  // platform destroys only after all of its instances.
  ExampleInstance(const Program* program, std::string name)
      : program_(program), name_(std::move(name)) {}

  Status Execute(Batch& batch) override {
    // Step 1: find each input the model declares. The platform has already
    // checked every request against the config (names, types, shapes) and
    // merged the requests of a batch into one buffer per input, so a runtime
    // may trust `inputs`. The checks below cost nothing next to a real
    // engine's run and turn a platform bug into a clear error instead of a
    // crash; keep checks like these in a vendor runtime.
    const std::vector<TensorSpec>& declared = program_->signature.inputs;
    std::vector<const TensorView*> by_index(declared.size(), nullptr);
    for (const TensorView& view : batch.inputs()) {
      for (size_t k = 0; k < declared.size(); ++k) {
        if (view.name == declared[k].name) by_index[k] = &view;
      }
    }
    for (size_t k = 0; k < declared.size(); ++k) {
      const TensorView* view = by_index[k];
      if (view == nullptr) {
        return InvalidArgument("input '" + declared[k].name + "' is missing");
      }
      ADLIK_RETURN_IF_ERROR(CheckInput(declared[k], *view));
    }
    // All inputs of one batch share the batch size (the first dimension).
    if (!declared.empty() && declared[0].shape[0] == -1) {
      for (const TensorView* view : by_index) {
        if (view->shape[0] != by_index[0]->shape[0]) {
          return InvalidArgument("inputs '" + declared[0].name + "' and '" +
                                 std::string(view->name) +
                                 "' differ in batch size");
        }
      }
    }

    // Step 2: run. A real runtime would copy the inputs to its device, launch
    // the engine and wait for it (or enqueue on a stream and synchronize).
    // Step 3: hand back the outputs, into buffers the server allocates. Only
    // the requested ones are required; computing just those saves work.
    for (const std::string& name : batch.output_names()) {
      const Operation* operation = nullptr;
      for (const Operation& op : program_->operations)
        if (op.output == name) operation = &op;
      if (operation == nullptr) {
        return InvalidArgument("the model has no output '" + name + "'");
      }
      const TensorView& a = *by_index[operation->lhs];
      const TensorView& b = *by_index[operation->rhs];
      ADLIK_ASSIGN_OR_RETURN(char* out,
                             batch.AllocateOutput(name, a.type, a.shape));
      ADLIK_RETURN_IF_ERROR(VisitDataType(a.type, [&](auto tag) -> Status {
        using T = typename decltype(tag)::Element;
        // ParseModelFile admits these types alone.
        if constexpr (std::is_same_v<T, int32_t> ||
                      std::is_same_v<T, int64_t> ||
                      std::is_floating_point_v<T>) {
          Compute<T>(*operation, a, b, out);
          return Status::Ok();
        } else {
          return Internal("unexpected type " +
                          std::string(decltype(tag)::kName));
        }
      }));
    }
    return Status::Ok();
  }

  // The input matches its declaration: type, rank, each fixed dimension, and
  // a byte size that agrees with the shape.
  static Status CheckInput(const TensorSpec& spec, const TensorView& view) {
    const std::string where = "input '" + spec.name + "': ";
    if (view.type != spec.type) {
      return InvalidArgument(where + "expected " +
                             std::string(DataTypeName(spec.type)) + ", got " +
                             std::string(DataTypeName(view.type)));
    }
    bool shape_ok = view.shape.size() == spec.shape.size();
    for (size_t i = 0; shape_ok && i < spec.shape.size(); ++i) {
      shape_ok = view.shape[i] >= 0 &&
                 (spec.shape[i] == -1 || view.shape[i] == spec.shape[i]);
    }
    if (!shape_ok) {
      return InvalidArgument(where + "the shape does not match the model's");
    }
    const size_t expected =
        static_cast<size_t>(ElementCount(view.shape)) * DataTypeSize(spec.type);
    if (view.byte_size != expected) {
      return InvalidArgument(where + "expected " + std::to_string(expected) +
                             " bytes, got " + std::to_string(view.byte_size));
    }
    return Status::Ok();
  }

  const Program* const program_;  // not owned
  const std::string name_;        // for error messages
};

// ---------------------------------------------------------------------------
// 2b. A decoupled instance: the repeat model
//
// A model whose config says model_transaction_policy { decoupled: true } may
// answer a request any number of times, from any thread, and later than
// Execute: Batch::BeginResponse takes over a request's answering and gives a
// Responder. This one sends, for each element IN[i], after DELAY[i]
// milliseconds, one response OUT = [IN[i]], IDX = [i]; then, WAIT
// milliseconds later, the final flag alone. Execute only hands the work to the
// instance's own sender thread (as an accelerator runtime hands it to a device
// stream whose completion callback answers), so the instance takes the next
// request at once, and the requests' responses interleave. Cancellation: a
// Send that returns CANCELLED means the client has gone, and the request is
// ended there.
//
// Thread-safety: Execute (one thread at a time) and the sender thread share
// the job queue under a mutex.
class RepeatInstance : public Instance {
 public:
  RepeatInstance() : sender_([this] { SendLoop(); }) {}
  // Every request taken over is answered before the instance goes.
  ~RepeatInstance() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    sender_.join();
  }

  Status Execute(Batch& batch) override {
    const TensorView* in = nullptr;
    const TensorView* delay = nullptr;
    const TensorView* wait = nullptr;
    for (const TensorView& view : batch.inputs()) {
      if (view.name == "IN") in = &view;
      if (view.name == "DELAY") delay = &view;
      if (view.name == "WAIT") wait = &view;
    }
    if (in == nullptr || delay == nullptr || wait == nullptr) {
      return InvalidArgument("the repeat model needs inputs IN, DELAY, WAIT");
    }
    // The model takes no batch dimension: one request per batch.
    const int64_t n = ElementCount(in->shape);
    if (ElementCount(delay->shape) != n) {
      batch.FailRequest(
          0, InvalidArgument("input 'DELAY' has " +
                             std::to_string(ElementCount(delay->shape)) +
                             " elements; it needs one per element of 'IN' (" +
                             std::to_string(n) + ")"));
      return Status::Ok();
    }
    Job job;
    job.values.resize(n);
    job.delays_ms.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      job.values[i] = Load<int32_t>(in->data, i);
      job.delays_ms[i] = Load<uint32_t>(delay->data, i);
    }
    job.wait_ms = Load<uint32_t>(wait->data, 0);
    job.due =
        Clock::now() + Milliseconds(n > 0 ? job.delays_ms[0] : job.wait_ms);
    ADLIK_ASSIGN_OR_RETURN(job.responder, batch.BeginResponse(0));
    {
      std::lock_guard<std::mutex> lock(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_all();
    return Status::Ok();
  }

 private:
  using Clock = std::chrono::steady_clock;
  using Milliseconds = std::chrono::milliseconds;

  // One request being answered: responses [next, values.size()) and the
  // final flag are still to send, the next one at `due`.
  struct Job {
    std::vector<int32_t> values;
    std::vector<uint32_t> delays_ms;
    uint32_t wait_ms = 0;
    Responder responder;
    size_t next = 0;
    Clock::time_point due;
  };

  // Sends whatever is due next, over all requests, so that they interleave.
  void SendLoop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (jobs_.empty()) {
        if (stopping_) return;
        cv_.wait(lock);
        continue;
      }
      auto it = std::min_element(
          jobs_.begin(), jobs_.end(),
          [](const Job& a, const Job& b) { return a.due < b.due; });
      if (it->due > Clock::now()) {
        cv_.wait_until(lock, it->due);
        continue;
      }
      Job job = std::move(*it);
      jobs_.erase(it);
      lock.unlock();
      const bool more = Step(job);
      lock.lock();
      if (more) jobs_.push_back(std::move(job));
    }
  }

  // Sends the job's next response, or its final flag; false once ended.
  static bool Step(Job& job) {
    Responder& r = job.responder;
    if (job.next == job.values.size()) {
      r.Send(/*final=*/true).IgnoreError();
      return false;
    }
    const int64_t one[] = {1};
    auto out = r.AllocateOutput("OUT", DataType::kInt32, one);
    auto idx = r.AllocateOutput("IDX", DataType::kUint32, one);
    if (!out.ok() || !idx.ok()) {
      r.SendError(out.ok() ? idx.status() : out.status(), true).IgnoreError();
      return false;
    }
    const uint32_t index = static_cast<uint32_t>(job.next);
    std::memcpy(*out, &job.values[job.next], sizeof(int32_t));
    std::memcpy(*idx, &index, sizeof(uint32_t));
    if (!r.Send(/*final=*/false).ok()) {
      job.next = job.values.size();  // CANCELLED: the client has gone
    } else {
      ++job.next;
    }
    job.due = Clock::now() + Milliseconds(job.next < job.values.size()
                                              ? job.delays_ms[job.next]
                                              : job.wait_ms);
    return true;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Job> jobs_;  // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::thread sender_;     // last: starts once the rest is built
};

// ---------------------------------------------------------------------------
// 3. The model: one loaded version, shared by its instances
//
// Holds what is loaded once and shared: for an engine, the weights or the
// deserialized engine; here, the parsed Program.
//
// Thread-safety: signature() and CreateInstance() may be called from any
// thread; both only read the immutable Program.
class ExampleModel : public Model {
 public:
  explicit ExampleModel(Program program) : program_(std::move(program)) {}

  Signature signature() const override { return program_.signature; }

  StatusOr<std::unique_ptr<Instance>> CreateInstance(
      const InstanceSpec& spec) override {
    // The platform creates instances on the devices the config's
    // instance_group asks for (KIND_CPU, KIND_GPU with `gpus`, KIND_MODEL for
    // a vendor device). A runtime refuses a device it cannot use with a clear
    // message; the model then becomes UNAVAILABLE with that reason.
    // An accelerator runtime would open device `spec.device_id` here, create
    // its stream and allocate its device buffers.
    if (spec.kind != DeviceKind::kCpu) {
      return Unimplemented("instance '" + spec.name +
                           "': the example runtime runs on the CPU only "
                           "(instance_group kind KIND_CPU)");
    }
    if (program_.repeat) return std::unique_ptr<Instance>(new RepeatInstance());
    return std::unique_ptr<Instance>(new ExampleInstance(&program_, spec.name));
  }

 private:
  const Program program_;
};

// ---------------------------------------------------------------------------
// 4. The runtime: one per process
//
// Created when the first model that names this runtime loads (by
// AdlikRuntimeInit, below); destroyed at shutdown after all its models.
// Process-wide engine setup (a driver handle, a device context, a thread pool
// sized from RuntimeSpec::thread_budget) belongs in Init, which can fail with
// a Status, and teardown in the destructor.
//
// Thread-safety: LoadModel may run concurrently for different models.
class ExampleRuntime : public Runtime {
 public:
  StatusOr<std::unique_ptr<Model>> LoadModel(const ModelSpec& spec) override {
    // spec.model_path is REPO/NAME/VERSION/model.txt (the config's
    // default_model_filename, or the runtime's default from the platform's
    // table). spec.max_batch_size, spec.parameters and the thread counts come
    // from config.pbtxt.
    try {
      ADLIK_ASSIGN_OR_RETURN(
          Program program,
          ParseModelFile(spec.model_path, spec.max_batch_size));
      return std::unique_ptr<Model>(new ExampleModel(std::move(program)));
    } catch (const std::exception& e) {
      return Internal("example runtime: loading " + spec.model_path + ": " +
                      e.what());
    }
  }
};

}  // namespace
}  // namespace adlik::example

// ---------------------------------------------------------------------------
// 5. The entry points
//
// Writes the C functions the server looks up (adlik/runtime_api.h): the API
// version this file was compiled against, what the runtime is (its name, the
// NAME of libadlik_runtime_NAME.so; the model file it loads when a config
// names none; the config `platform` values it serves), and the init, fini and
// execute functions that drive the classes above. Write it once, in one .cc
// file of the plugin.
ADLIK_DEFINE_RUNTIME(adlik::example::ExampleRuntime, "example", "model.txt",
                     "adlik_example", "example")
