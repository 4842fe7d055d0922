// The TFLite runtime: libadlik_runtime_tflite.so, serving TensorFlow Lite
// flatbuffers (platform "tensorflow_tflite", Triton's name; default file
// model.tflite) with TFLite's C API interpreter.
//
// The config completes from the model: its inputs and outputs, named as its
// first signature (SignatureDef) names them ("x", "output_0"), or by their
// tensor names in a model without one; element type and shape as the
// interpreter holds them. The C API does not give a tensor's shape signature,
// so a dimension the converter left dynamic shows as the size the model was
// saved with, except the batch dimension below.
//
// Batching: with max_batch_size > 0 the first dimension of every input and
// output is the batch (-1 in the config). Each instance's interpreter keeps
// the input shapes of its last batch; a batch of another shape resizes its
// inputs (TfLiteInterpreterResizeInputTensor) and re-plans its memory
// (TfLiteInterpreterAllocateTensors) before it runs, so a steady batch size
// costs nothing and a change costs one re-plan. No cache of plans per shape:
// for MobileNetV2 a resize and re-plan took 0.5 ms against 13 ms for one
// image (TensorFlow's tf.lite.Interpreter, 2 threads), less than keeping an
// interpreter with its own activations per shape would be worth.
//
// One TfLiteModel per model version (the flatbuffer, read-only), shared by
// its instances; each instance owns a TfLiteInterpreter. Inputs are copied
// into the interpreter's tensors, outputs from them into the buffers the
// response is sent from.
//
// Threads: each interpreter runs its operators on the server's thread budget
// (--cores), or on the config parameter num_threads (a whole number in
// 1..1024); TFLite's C API has no pool to share between interpreters.
//
// XNNPack: the library's interpreter does not apply TFLite's XNNPack delegate
// by itself, as TensorFlow's Python interpreter does; the runtime adds it to
// each instance's interpreter (MobileNetV2 at batch 1 ran about 6x faster
// with it here), unless the config parameter xnnpack is "off". Operators it
// does not take run on TFLite's own kernels.
//
// Thread-safety: as the SDK states; a Model is immutable after LoadModel. An
// interpreter is used by its own instance only (Execute is never concurrent
// on one instance).
#include <tensorflow/lite/c/c_api.h>
#include <tensorflow/lite/c/common.h>

#include <algorithm>
#include <charconv>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "adlik/runtime.h"
#include "xnnpack_delegate.h"

namespace adlik::tflite {
namespace {

std::optional<DataType> FromTfLite(TfLiteType t) {
  switch (t) {
    case kTfLiteBool:
      return DataType::kBool;
    case kTfLiteUInt8:
      return DataType::kUint8;
    case kTfLiteUInt16:
      return DataType::kUint16;
    case kTfLiteUInt32:
      return DataType::kUint32;
    case kTfLiteUInt64:
      return DataType::kUint64;
    case kTfLiteInt8:
      return DataType::kInt8;
    case kTfLiteInt16:
      return DataType::kInt16;
    case kTfLiteInt32:
      return DataType::kInt32;
    case kTfLiteInt64:
      return DataType::kInt64;
    case kTfLiteFloat16:
      return DataType::kFp16;
    case kTfLiteFloat32:
      return DataType::kFp32;
    case kTfLiteFloat64:
      return DataType::kFp64;
    default:
      return std::nullopt;  // strings, complex, int4, resources, variants
  }
}

std::vector<int64_t> ShapeOf(const TfLiteTensor* t) {
  std::vector<int64_t> shape(TfLiteTensorNumDims(t));
  for (size_t i = 0; i < shape.size(); ++i)
    shape[i] = TfLiteTensorDim(t, static_cast<int32_t>(i));
  return shape;
}

// Collects what TFLite reports (it reports an error before returning it) for
// one interpreter or one model load. Used by one thread at a time.
class ErrorSink {
 public:
  static void Report(void* self, const char* format, va_list args) {
    va_list copy;
    va_copy(copy, args);
    const int n = std::vsnprintf(nullptr, 0, format, copy);
    va_end(copy);
    if (n <= 0) return;
    std::string line(static_cast<size_t>(n) + 1, '\0');
    std::vsnprintf(line.data(), line.size(), format, args);
    line.resize(static_cast<size_t>(n));
    auto* sink = static_cast<ErrorSink*>(self);
    sink->text_ += (sink->text_.empty() ? "" : "; ") + line;
  }

  // What was reported since the last Take, or `fallback` when nothing was.
  std::string Take(const char* fallback) {
    std::string text = text_.empty() ? fallback : std::move(text_);
    text_.clear();
    return text;
  }

 private:
  std::string text_;
};

struct ModelDeleter {
  void operator()(TfLiteModel* m) const { TfLiteModelDelete(m); }
};
struct InterpreterDeleter {
  void operator()(TfLiteInterpreter* i) const { TfLiteInterpreterDelete(i); }
};
struct OptionsDeleter {
  void operator()(TfLiteInterpreterOptions* o) const {
    TfLiteInterpreterOptionsDelete(o);
  }
};
struct RunnerDeleter {
  void operator()(TfLiteSignatureRunner* r) const {
    TfLiteSignatureRunnerDelete(r);
  }
};
struct DelegateDeleter {
  void operator()(TfLiteDelegate* d) const { TfLiteXNNPackDelegateDelete(d); }
};

// An interpreter and the XNNPack delegate it runs on, if any.
struct InterpreterHandle {
  std::unique_ptr<TfLiteDelegate, DelegateDeleter> xnnpack;
  // Declared after the delegate, so deleted before it.
  std::unique_ptr<TfLiteInterpreter, InterpreterDeleter> interpreter;

  TfLiteInterpreter* get() const { return interpreter.get(); }
};

// An interpreter of `model` on `threads` threads (`xnnpack`: through
// XNNPack's delegate, which then runs the operators it supports on its own
// pool of `threads`), reporting into `sink`, with its tensors allocated.
StatusOr<InterpreterHandle> NewInterpreter(const TfLiteModel* model,
                                           int threads, bool xnnpack,
                                           ErrorSink* sink) {
  std::unique_ptr<TfLiteInterpreterOptions, OptionsDeleter> options(
      TfLiteInterpreterOptionsCreate());
  TfLiteInterpreterOptionsSetNumThreads(options.get(), threads);
  TfLiteInterpreterOptionsSetErrorReporter(options.get(), &ErrorSink::Report,
                                           sink);
  InterpreterHandle handle;
  if (xnnpack) {
    TfLiteXNNPackDelegateOptions xnnpack_options =
        TfLiteXNNPackDelegateOptionsDefault();
    xnnpack_options.num_threads = threads;
    handle.xnnpack.reset(TfLiteXNNPackDelegateCreate(&xnnpack_options));
    if (handle.xnnpack == nullptr)
      return Internal("cannot create TFLite's XNNPack delegate");
    TfLiteInterpreterOptionsAddDelegate(options.get(), handle.xnnpack.get());
  }
  handle.interpreter.reset(TfLiteInterpreterCreate(model, options.get()));
  if (handle.interpreter == nullptr) {
    return InvalidArgument("cannot create a TFLite interpreter: " +
                           sink->Take("no reason given"));
  }
  if (TfLiteInterpreterAllocateTensors(handle.get()) != kTfLiteOk) {
    return InvalidArgument("cannot allocate the TFLite tensors: " +
                           sink->Take("no reason given"));
  }
  return handle;
}

// The names of the interpreter's inputs (is_output 0) or outputs (1) as its
// first signature names them; empty when it has no signature or the
// signature does not cover them all.
std::vector<std::string> SignatureNames(TfLiteInterpreter* interpreter,
                                        int is_output) {
  if (TfLiteInterpreterGetSignatureCount(interpreter) < 1) return {};
  std::unique_ptr<TfLiteSignatureRunner, RunnerDeleter> runner(
      TfLiteInterpreterGetSignatureRunner(
          interpreter, TfLiteInterpreterGetSignatureKey(interpreter, 0)));
  if (runner == nullptr) return {};
  const int32_t count = is_output
                            ? TfLiteInterpreterGetOutputTensorCount(interpreter)
                            : TfLiteInterpreterGetInputTensorCount(interpreter);
  const int32_t named = is_output
                            ? TfLiteSignatureRunnerGetOutputCount(runner.get())
                            : TfLiteSignatureRunnerGetInputCount(runner.get());
  if (named != count) return {};
  std::vector<std::string> names(count);
  for (int32_t s = 0; s < named; ++s) {
    const char* name = is_output
                           ? TfLiteSignatureRunnerGetOutputName(runner.get(), s)
                           : TfLiteSignatureRunnerGetInputName(runner.get(), s);
    const TfLiteTensor* tensor =
        is_output ? TfLiteSignatureRunnerGetOutputTensor(runner.get(), name)
                  : TfLiteSignatureRunnerGetInputTensor(runner.get(), name);
    // The signature's tensor among the interpreter's own (the signature's
    // subgraph is the interpreter's primary one in a single-graph model).
    int32_t at = 0;
    while (at < count &&
           (is_output
                ? TfLiteInterpreterGetOutputTensor(interpreter, at)
                : TfLiteInterpreterGetInputTensor(interpreter, at)) != tensor)
      ++at;
    if (at == count || !names[at].empty()) return {};
    names[at] = name;
  }
  return names;
}

StatusOr<std::vector<TensorSpec>> Describe(TfLiteInterpreter* interpreter,
                                           int is_output, bool batched) {
  const char* kind = is_output ? "output" : "input";
  std::vector<std::string> names = SignatureNames(interpreter, is_output);
  const int32_t count = is_output
                            ? TfLiteInterpreterGetOutputTensorCount(interpreter)
                            : TfLiteInterpreterGetInputTensorCount(interpreter);
  std::vector<TensorSpec> specs;
  for (int32_t i = 0; i < count; ++i) {
    const TfLiteTensor* t =
        is_output ? TfLiteInterpreterGetOutputTensor(interpreter, i)
                  : TfLiteInterpreterGetInputTensor(interpreter, i);
    std::string name = names.empty() ? TfLiteTensorName(t) : names[i];
    if (name.empty()) {
      return Unimplemented(std::string(kind) + " " + std::to_string(i) +
                           " has no name, and a KServe tensor needs one");
    }
    auto type = FromTfLite(TfLiteTensorType(t));
    if (!type) {
      return Unimplemented(std::string(kind) + " '" + name +
                           "' has TFLite type " +
                           TfLiteTypeGetName(TfLiteTensorType(t)) +
                           ", which the runtime does not serve");
    }
    TensorSpec spec{std::move(name), *type, ShapeOf(t)};
    if (batched) {
      if (spec.shape.empty()) {
        return InvalidArgument(std::string(kind) + " '" + spec.name +
                               "' is a scalar, with no first dimension to "
                               "batch on; set max_batch_size 0");
      }
      spec.shape[0] = -1;
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

// The model's signature, from an interpreter of it as saved.
StatusOr<Signature> ReadSignature(const TfLiteModel* model, bool batched,
                                  ErrorSink* sink) {
  ADLIK_ASSIGN_OR_RETURN(InterpreterHandle interpreter,
                         NewInterpreter(model, 1, false, sink));
  Signature sig;
  ADLIK_ASSIGN_OR_RETURN(sig.inputs, Describe(interpreter.get(), 0, batched));
  ADLIK_ASSIGN_OR_RETURN(sig.outputs, Describe(interpreter.get(), 1, batched));
  return sig;
}

class TfLiteInstance : public Instance {
 public:
  // `signature` is the model's (which outlives the instance).
  TfLiteInstance(std::unique_ptr<ErrorSink> sink, InterpreterHandle interpreter,
                 const Signature* signature)
      : sink_(std::move(sink)),
        interpreter_(std::move(interpreter)),
        signature_(signature) {}

  Status Execute(Batch& batch) override {
    TfLiteInterpreter* interpreter = interpreter_.get();
    bool resized = false;
    std::vector<std::pair<TfLiteTensor*, const TensorView*>> inputs;
    for (const TensorView& in : batch.inputs()) {
      ADLIK_ASSIGN_OR_RETURN(int32_t i, IndexOf(signature_->inputs, in.name));
      TfLiteTensor* t = TfLiteInterpreterGetInputTensor(interpreter, i);
      const std::vector<int64_t> shape = ShapeOf(t);
      if (!std::ranges::equal(shape, in.shape)) {
        std::vector<int> dims;
        for (int64_t d : in.shape) {
          if (d < 0 || d > INT32_MAX) {
            return InvalidArgument("tflite: input '" + std::string(in.name) +
                                   "' has a dimension out of range");
          }
          dims.push_back(static_cast<int>(d));
        }
        if (TfLiteInterpreterResizeInputTensor(
                interpreter, i, dims.data(),
                static_cast<int32_t>(dims.size())) != kTfLiteOk) {
          return InvalidArgument("tflite: cannot resize input '" +
                                 std::string(in.name) +
                                 "': " + sink_->Take("no reason given"));
        }
        resized = true;
      }
      inputs.emplace_back(t, &in);
    }
    if (resized || !allocated_) {
      allocated_ = TfLiteInterpreterAllocateTensors(interpreter) == kTfLiteOk;
      if (!allocated_) {
        return InvalidArgument(
            "tflite: cannot allocate the tensors for the batch's shapes: " +
            sink_->Take("no reason given"));
      }
    }
    for (const auto& [t, in] : inputs) {
      if (TfLiteTensorCopyFromBuffer(t, in->data, in->byte_size) != kTfLiteOk) {
        return InvalidArgument("tflite: input '" + std::string(in->name) +
                               "' has " + std::to_string(in->byte_size) +
                               " bytes where the model takes " +
                               std::to_string(TfLiteTensorByteSize(t)) + ": " +
                               sink_->Take("size mismatch"));
      }
    }
    if (TfLiteInterpreterInvoke(interpreter) != kTfLiteOk)
      return Internal("tflite: " + sink_->Take("Invoke failed"));
    for (const std::string& name : batch.output_names()) {
      ADLIK_ASSIGN_OR_RETURN(int32_t i, IndexOf(signature_->outputs, name));
      const TfLiteTensor* t = TfLiteInterpreterGetOutputTensor(interpreter, i);
      const std::vector<int64_t> shape = ShapeOf(t);
      ADLIK_ASSIGN_OR_RETURN(
          char* buffer,
          batch.AllocateOutput(name, signature_->outputs[i].type, shape));
      if (TfLiteTensorCopyToBuffer(t, buffer, TfLiteTensorByteSize(t)) !=
          kTfLiteOk) {
        return Internal("tflite: cannot read output '" + name +
                        "': " + sink_->Take("copy failed"));
      }
    }
    return Status::Ok();
  }

 private:
  static StatusOr<int32_t> IndexOf(const std::vector<TensorSpec>& tensors,
                                   std::string_view name) {
    for (size_t i = 0; i < tensors.size(); ++i)
      if (tensors[i].name == name) return static_cast<int32_t>(i);
    return InvalidArgument("tflite: the model has no tensor '" +
                           std::string(name) + "'");
  }

  // Declared before the interpreter, which reports into it until deleted.
  const std::unique_ptr<ErrorSink> sink_;
  const InterpreterHandle interpreter_;
  const Signature* const signature_;
  // Whether the tensors are allocated for the current input shapes (a failed
  // allocation is retried on the next batch).
  bool allocated_ = true;
};

class TfLiteServedModel : public Model {
 public:
  TfLiteServedModel(std::unique_ptr<ErrorSink> load_sink,
                    std::unique_ptr<TfLiteModel, ModelDeleter> model,
                    int threads, bool xnnpack, Signature signature)
      : load_sink_(std::move(load_sink)),
        model_(std::move(model)),
        threads_(threads),
        xnnpack_(xnnpack),
        signature_(std::move(signature)) {}

  Signature signature() const override { return signature_; }

  StatusOr<std::unique_ptr<Instance>> CreateInstance(
      const InstanceSpec& spec) override {
    if (spec.kind != DeviceKind::kCpu) {
      return Unimplemented(
          "the TFLite runtime runs on KIND_CPU instances only");
    }
    auto sink = std::make_unique<ErrorSink>();
    ADLIK_ASSIGN_OR_RETURN(
        InterpreterHandle interpreter,
        NewInterpreter(model_.get(), threads_, xnnpack_, sink.get()));
    return std::unique_ptr<Instance>(new TfLiteInstance(
        std::move(sink), std::move(interpreter), &signature_));
  }

 private:
  // What the model reports into (TFLite keeps it with the model); declared
  // first, so deleted after it.
  const std::unique_ptr<ErrorSink> load_sink_;
  const std::unique_ptr<TfLiteModel, ModelDeleter> model_;
  const int threads_;
  const bool xnnpack_;
  const Signature signature_;
};

class TfLiteRuntime : public Runtime {
 public:
  Status Init(const RuntimeSpec& spec) override {
    thread_budget_ =
        static_cast<int>(std::max<uint32_t>(1, spec.thread_budget));
    Log(ADLIK_LOG_INFO, std::string("tflite: ") + TfLiteVersion() + ", " +
                            std::to_string(thread_budget_) +
                            " threads per interpreter");
    return Status::Ok();
  }

  StatusOr<std::unique_ptr<Model>> LoadModel(const ModelSpec& spec) override {
    int threads = thread_budget_;
    if (const std::string v = spec.Parameter("num_threads"); !v.empty()) {
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), threads);
      if (ec != std::errc() || end != v.data() + v.size() || threads < 1 ||
          threads > 1024) {
        return InvalidArgument("parameter num_threads: '" + v +
                               "' is not a whole number in 1..1024");
      }
    }
    const std::string& path = spec.model_path;
    const std::string xnnpack = spec.Parameter("xnnpack");
    if (!xnnpack.empty() && xnnpack != "on" && xnnpack != "off") {
      return InvalidArgument("parameter xnnpack: '" + xnnpack +
                             "' is neither on nor off");
    }
    auto sink = std::make_unique<ErrorSink>();
    std::unique_ptr<TfLiteModel, ModelDeleter> model(
        TfLiteModelCreateFromFileWithErrorReporter(
            path.c_str(), &ErrorSink::Report, sink.get()));
    if (model == nullptr) {
      return InvalidArgument("cannot load '" + path + "' as a TFLite model: " +
                             sink->Take("no reason given"));
    }
    StatusOr<Signature> sig =
        ReadSignature(model.get(), spec.max_batch_size > 0, sink.get());
    if (!sig.ok()) {
      return Status(sig.status().code(),
                    "'" + path + "': " + sig.status().message());
    }
    return std::unique_ptr<Model>(
        new TfLiteServedModel(std::move(sink), std::move(model), threads,
                              xnnpack != "off", std::move(sig).value()));
  }

 private:
  int thread_budget_ = 1;
};

}  // namespace
}  // namespace adlik::tflite

ADLIK_DEFINE_RUNTIME(adlik::tflite::TfLiteRuntime, "tflite", "model.tflite",
                     "tensorflow_tflite")
