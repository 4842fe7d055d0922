// The OpenVINO runtime: libadlik_runtime_openvino.so, serving OpenVINO IR
// (model.xml beside its model.bin; platform "openvino") and every other
// format OpenVINO reads: a config with `backend: "openvino"` and
// `default_model_filename: "model.onnx"` (or a TensorFlow SavedModel folder,
// a .tflite or a legacy Paddle .pdmodel) runs that file through OpenVINO,
// which picks its frontend from the file.
//
// The config completes from the model: inputs and outputs by name (see
// PortName), element type and shape (a dynamic dimension is -1).
//
// Batching: with max_batch_size > 0 the runtime reshapes the model so that
// every input's first dimension is dynamic (an IR saved with a fixed batch
// of 1 included) and OpenVINO infers the outputs' shapes from it; a batch of
// any size then runs as one inference. A model OpenVINO cannot reshape
// fails to load with its reason.
//
// One ov::CompiledModel per model version (for the CPU), shared by its
// instances; each instance owns an ov::InferRequest. Inputs wrap the batch's
// bytes (no copy); outputs are copied once from the request's tensors into
// the buffers the response is sent from (the request reuses its output
// memory on the next inference, so it cannot be handed over).
//
// Threads: OpenVINO's CPU plugin runs each compiled model on its own
// streams; the runtime caps the threads of each at the server's thread
// budget (--cores). Instances of one model run concurrently only on
// different streams: give a model with several instances the parameter
// num_streams.
//
// Config parameters (all optional, string values):
//   num_streams        streams of the compiled model: a whole number, or
//                      AUTO (OpenVINO picks from the cores); default 1
//   performance_hint   LATENCY or THROUGHPUT (OpenVINO's hint; default
//                      LATENCY)
//   inference_num_threads  threads of the model's streams together; default
//                      the thread budget
//   inference_precision  f32 (default: compute in the model's own precision)
//                      or bf16 / f16 (faster where the CPU has them, less
//                      exact). OpenVINO's own default is bf16 on CPUs with
//                      AMX or AVX512-BF16, which would make results depend
//                      on the host.
//
// Network: the C++ runtime sends nothing anywhere. OpenVINO's telemetry
// lives in the Python tools (ovc, through the openvino-telemetry package);
// its C++ frontends only call a TelemetryExtension a caller registers, and
// this runtime registers none; no library of the runtime imports a socket
// function.
//
// Thread-safety: as the SDK states; a Model is immutable after LoadModel
// (ov::CompiledModel::create_infer_request is thread-safe).
#include <algorithm>
#include <charconv>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <openvino/openvino.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "adlik/runtime.h"

namespace adlik::openvino {
namespace {

std::optional<DataType> FromOv(ov::element::Type t) {
  switch (ov::element::Type_t(t)) {
    case ov::element::Type_t::boolean:
      return DataType::kBool;
    case ov::element::Type_t::u8:
      return DataType::kUint8;
    case ov::element::Type_t::u16:
      return DataType::kUint16;
    case ov::element::Type_t::u32:
      return DataType::kUint32;
    case ov::element::Type_t::u64:
      return DataType::kUint64;
    case ov::element::Type_t::i8:
      return DataType::kInt8;
    case ov::element::Type_t::i16:
      return DataType::kInt16;
    case ov::element::Type_t::i32:
      return DataType::kInt32;
    case ov::element::Type_t::i64:
      return DataType::kInt64;
    case ov::element::Type_t::f16:
      return DataType::kFp16;
    case ov::element::Type_t::f32:
      return DataType::kFp32;
    case ov::element::Type_t::f64:
      return DataType::kFp64;
    case ov::element::Type_t::bf16:
      return DataType::kBf16;
    default:
      return std::nullopt;  // strings, 4-bit and 8-bit floats, ...
  }
}

// A port's name; "" for a port without one. A tensor may have several names
// (an identity's input and output are one tensor; an IR's names="a,b"): an
// input takes its Parameter's name and an output its Result's (the ONNX
// frontend names a Result "<output>/sink_port_0") when the tensor has it,
// else the first name.
std::string PortName(const ov::Output<const ov::Node>& port) {
  const auto& names = port.get_names();
  if (names.empty()) return "";
  std::string own = port.get_node()->get_friendly_name();
  if (own.ends_with("/sink_port_0")) own.resize(own.size() - 12);
  if (names.count(own) != 0) return own;
  return port.get_any_name();
}

StatusOr<TensorSpec> Describe(const ov::Output<const ov::Node>& port,
                              const char* kind, size_t index) {
  std::string name = PortName(port);
  if (name.empty()) {
    return Unimplemented(std::string(kind) + " " + std::to_string(index) +
                         " has no name, and a KServe tensor needs one");
  }
  auto type = FromOv(port.get_element_type());
  if (!type) {
    return Unimplemented(std::string(kind) + " '" + name +
                         "' has OpenVINO element type " +
                         port.get_element_type().get_type_name() +
                         ", which the KServe protocol cannot carry");
  }
  const ov::PartialShape& shape = port.get_partial_shape();
  if (shape.rank().is_dynamic()) {
    return Unimplemented(std::string(kind) + " '" + name +
                         "' has a dynamic rank; the config needs one");
  }
  TensorSpec spec{std::move(name), *type, {}};
  for (const ov::Dimension& d : shape) {
    spec.shape.push_back(d.is_static() ? d.get_length() : -1);
  }
  return spec;
}

// What an OpenVINO exception says, without the source locations it starts
// with ("Exception from src/...:", "Check '...' failed at src/...:"), on one
// line.
std::string OvMessage(const std::exception& e) {
  std::istringstream lines(e.what());
  std::string out;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.starts_with("Exception from ") ||
        line.starts_with("Check '"))
      continue;
    out += (out.empty() ? "" : "; ") + line;
  }
  return out.empty() ? e.what() : out;
}

// A whole number in [1, 1024], or nullopt.
std::optional<int> ParseCount(const std::string& v) {
  int n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n < 1 || n > 1024)
    return std::nullopt;
  return n;
}

// Compile properties from the config's parameters.
StatusOr<ov::AnyMap> CompileProperties(const ModelSpec& spec,
                                       uint32_t thread_budget) {
  ov::AnyMap props;
  const std::string streams = spec.Parameter("num_streams");
  if (streams == "AUTO") {
    props.emplace(ov::num_streams(ov::streams::AUTO));
  } else if (!streams.empty()) {
    auto n = ParseCount(streams);
    if (!n) {
      return InvalidArgument("parameter num_streams: '" + streams +
                             "' is neither AUTO nor a whole number in 1..1024");
    }
    props.emplace(ov::num_streams(*n));
  } else {
    props.emplace(ov::num_streams(1));
  }
  const std::string hint = spec.Parameter("performance_hint");
  if (hint == "THROUGHPUT") {
    props.emplace(
        ov::hint::performance_mode(ov::hint::PerformanceMode::THROUGHPUT));
  } else if (hint.empty() || hint == "LATENCY") {
    props.emplace(
        ov::hint::performance_mode(ov::hint::PerformanceMode::LATENCY));
  } else {
    return InvalidArgument("parameter performance_hint: '" + hint +
                           "' is neither LATENCY nor THROUGHPUT");
  }
  int threads = static_cast<int>(std::max<uint32_t>(1, thread_budget));
  const std::string t = spec.Parameter("inference_num_threads");
  if (!t.empty()) {
    auto n = ParseCount(t);
    if (!n) {
      return InvalidArgument("parameter inference_num_threads: '" + t +
                             "' is not a whole number in 1..1024");
    }
    threads = *n;
  }
  props.emplace(ov::inference_num_threads(threads));
  const std::string precision = spec.Parameter("inference_precision");
  if (precision.empty() || precision == "f32") {
    props.emplace(ov::hint::inference_precision(ov::element::f32));
  } else if (precision == "bf16") {
    props.emplace(ov::hint::inference_precision(ov::element::bf16));
  } else if (precision == "f16") {
    props.emplace(ov::hint::inference_precision(ov::element::f16));
  } else {
    return InvalidArgument("parameter inference_precision: '" + precision +
                           "' is not one of f32, bf16, f16");
  }
  return props;
}

class OvInstance : public Instance {
 public:
  // `outputs` are the model's (which outlives the instance).
  OvInstance(ov::InferRequest request,
             const std::vector<ov::Output<const ov::Node>>* inputs,
             const std::vector<ov::Output<const ov::Node>>* outputs,
             const std::vector<std::string>* input_names,
             const std::vector<std::string>* output_names)
      : request_(std::move(request)),
        inputs_(inputs),
        outputs_(outputs),
        input_names_(input_names),
        output_names_(output_names) {}

  Status Execute(Batch& batch) override {
    try {
      return Run(batch);
    } catch (const std::exception& e) {
      return Internal("openvino: " + OvMessage(e));
    }
  }

 private:
  Status Run(Batch& batch) {
    for (const TensorView& in : batch.inputs()) {
      auto at = std::find(input_names_->begin(), input_names_->end(), in.name);
      if (at == input_names_->end()) {
        return InvalidArgument("openvino: the model has no input '" +
                               std::string(in.name) + "'");
      }
      const ov::Output<const ov::Node>& port =
          (*inputs_)[at - input_names_->begin()];
      ov::Shape shape(in.shape.begin(), in.shape.end());
      // OpenVINO reads an input tensor and never writes it.
      ov::Tensor tensor(port.get_element_type(), shape,
                        const_cast<char*>(in.data));
      request_.set_tensor(port, tensor);
    }
    request_.infer();
    for (const std::string& name : batch.output_names()) {
      auto at = std::find(output_names_->begin(), output_names_->end(), name);
      if (at == output_names_->end()) {
        return InvalidArgument("openvino: the model has no output '" + name +
                               "'");
      }
      ov::Tensor out =
          request_.get_tensor((*outputs_)[at - output_names_->begin()]);
      auto type = FromOv(out.get_element_type());
      if (!type)
        return Internal("openvino: output '" + name + "' changed type");
      const ov::Shape& s = out.get_shape();
      std::vector<int64_t> shape(s.begin(), s.end());
      ADLIK_ASSIGN_OR_RETURN(char* buffer,
                             batch.AllocateOutput(name, *type, shape));
      std::memcpy(buffer, out.data(), out.get_byte_size());
    }
    return Status::Ok();
  }

  ov::InferRequest request_;
  const std::vector<ov::Output<const ov::Node>>* const inputs_;
  const std::vector<ov::Output<const ov::Node>>* const outputs_;
  const std::vector<std::string>* const input_names_;
  const std::vector<std::string>* const output_names_;
};

class OvModel : public Model {
 public:
  OvModel(ov::CompiledModel compiled, Signature signature)
      : compiled_(std::move(compiled)), signature_(std::move(signature)) {
    inputs_ = compiled_.inputs();
    outputs_ = compiled_.outputs();
    for (const auto& t : signature_.inputs) input_names_.push_back(t.name);
    for (const auto& t : signature_.outputs) output_names_.push_back(t.name);
  }

  Signature signature() const override { return signature_; }

  StatusOr<std::unique_ptr<Instance>> CreateInstance(
      const InstanceSpec& spec) override {
    if (spec.kind != DeviceKind::kCpu) {
      return Unimplemented(
          "the OpenVINO runtime runs on KIND_CPU instances only");
    }
    try {
      return std::unique_ptr<Instance>(
          new OvInstance(compiled_.create_infer_request(), &inputs_, &outputs_,
                         &input_names_, &output_names_));
    } catch (const std::exception& e) {
      return Unavailable("cannot create an OpenVINO infer request: " +
                         OvMessage(e));
    }
  }

 private:
  ov::CompiledModel compiled_;
  const Signature signature_;
  // The compiled model's ports, in the signature's order.
  std::vector<ov::Output<const ov::Node>> inputs_, outputs_;
  std::vector<std::string> input_names_, output_names_;
};

class OvRuntime : public Runtime {
 public:
  Status Init(const RuntimeSpec& spec) override {
    thread_budget_ = spec.thread_budget;
    core_ = std::make_unique<ov::Core>();
    Log(ADLIK_LOG_INFO,
        "openvino: " + std::string(ov::get_openvino_version().buildNumber) +
            ", at most " + std::to_string(thread_budget_) +
            " threads per model");
    return Status::Ok();
  }

  StatusOr<std::unique_ptr<Model>> LoadModel(const ModelSpec& spec) override {
    try {
      return Load(spec);
    } catch (const std::exception& e) {
      return InvalidArgument("cannot load '" + spec.model_path +
                             "': " + OvMessage(e));
    }
  }

 private:
  StatusOr<std::unique_ptr<Model>> Load(const ModelSpec& spec) {
    ADLIK_ASSIGN_OR_RETURN(ov::AnyMap props,
                           CompileProperties(spec, thread_budget_));
    // An IR's weights are the .bin beside it; OpenVINO's own message does not
    // name the file.
    const std::filesystem::path path(spec.model_path);
    if (path.extension() == ".xml") {
      std::filesystem::path bin = path;
      bin.replace_extension(".bin");
      std::error_code ec;
      if (!std::filesystem::exists(bin, ec)) {
        return NotFound(bin.string() + " (the weights of " +
                        path.filename().string() + ") does not exist");
      }
    }
    std::shared_ptr<ov::Model> model = core_->read_model(spec.model_path);
    if (spec.max_batch_size > 0) {
      std::map<ov::Output<ov::Node>, ov::PartialShape> shapes;
      for (const ov::Output<ov::Node>& port : model->inputs()) {
        ov::PartialShape shape = port.get_partial_shape();
        if (shape.rank().is_dynamic() || shape.rank().get_length() == 0) {
          return InvalidArgument(
              "'" + spec.model_path + "': input '" + port.get_any_name() +
              "' has no first dimension to batch on; set max_batch_size 0");
        }
        shape[0] = ov::Dimension::dynamic();
        shapes.emplace(port, shape);
      }
      try {
        model->reshape(shapes);
      } catch (const std::exception& e) {
        return InvalidArgument("'" + spec.model_path +
                               "': cannot make the first dimension of its "
                               "inputs dynamic for batching: " +
                               OvMessage(e));
      }
    }
    // The signature from the model as read: compiling may merge a port's
    // tensor with internal ones and add their names to it. The compiled
    // model's ports come in the same order.
    Signature sig;
    size_t i = 0;
    const ov::Model& read = *model;
    for (const ov::Output<const ov::Node>& port : read.inputs()) {
      ADLIK_ASSIGN_OR_RETURN(TensorSpec t, Describe(port, "input", i++));
      sig.inputs.push_back(std::move(t));
    }
    i = 0;
    for (const ov::Output<const ov::Node>& port : read.outputs()) {
      ADLIK_ASSIGN_OR_RETURN(TensorSpec t, Describe(port, "output", i++));
      sig.outputs.push_back(std::move(t));
    }
    ov::CompiledModel compiled = core_->compile_model(model, "CPU", props);
    return std::unique_ptr<Model>(
        new OvModel(std::move(compiled), std::move(sig)));
  }

  uint32_t thread_budget_ = 1;
  std::unique_ptr<ov::Core> core_;
};

}  // namespace
}  // namespace adlik::openvino

ADLIK_DEFINE_RUNTIME(adlik::openvino::OvRuntime, "openvino", "model.xml",
                     "openvino")
