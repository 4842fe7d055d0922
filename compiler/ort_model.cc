#include "ort_model.h"

#define ORT_API_MANUAL_INIT
#include <onnxruntime_cxx_api.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "adlik/tensor.h"
#include "onnx_model.h"

namespace adlik::compiler {
namespace {

// The process-wide environment, created on first use.
StatusOr<Ort::Env*> Environment() {
  static std::once_flag once;
  static Status error;
  static Ort::Env* env = nullptr;
  std::call_once(once, [] {
    // No telemetry from ONNX Runtime's official build: it is read when the
    // first environment is created (see the ONNX Runtime plugin).
    setenv("ORT_DISABLE_TELEMETRY", "1", /*overwrite=*/1);
    const OrtApi* api = OrtGetApiBase()->GetApi(ORT_API_VERSION);
    if (api == nullptr) {
      error = Internal("the ONNX Runtime library found at run time (" +
                       std::string(OrtGetApiBase()->GetVersionString()) +
                       ") is older than the headers the compiler was built "
                       "with (API " +
                       std::to_string(ORT_API_VERSION) + ")");
      return;
    }
    Ort::InitApi(api);
    try {
      // Errors come back as Status values; ONNX Runtime's own log would
      // repeat them.
      env = new Ort::Env(ORT_LOGGING_LEVEL_FATAL, "adlik_compiler");
      env->DisableTelemetryEvents();  // nothing leaves the machine
    } catch (const std::exception& e) {
      error = Internal(std::string("cannot start ONNX Runtime: ") + e.what());
    }
  });
  if (!error.ok()) return error;
  return env;
}

StatusOr<TensorSpec> Describe(std::string name, const Ort::TypeInfo& info) {
  if (info.GetONNXType() != ONNX_TYPE_TENSOR) {
    return Unimplemented("'" + name + "' is not a tensor");
  }
  auto tensor = info.GetTensorTypeAndShapeInfo();
  auto type = FromOnnxType(tensor.GetElementType());
  if (!type) {
    return Unimplemented("'" + name + "' has ONNX element type " +
                         std::to_string(tensor.GetElementType()) +
                         ", which the KServe protocol cannot carry");
  }
  return TensorSpec{std::move(name), *type, tensor.GetShape()};
}

}  // namespace

struct OrtModel::Impl {
  std::unique_ptr<Ort::Session> session;
};

OrtModel::OrtModel(std::unique_ptr<Impl> impl, Signature signature)
    : impl_(std::move(impl)), signature_(std::move(signature)) {}

OrtModel::~OrtModel() = default;

StatusOr<std::unique_ptr<OrtModel>> OrtModel::Create(
    const std::string& model_bytes, const Options& options) {
  ASSIGN_OR_RETURN(Ort::Env * env, Environment());
  GraphOptimizationLevel level;
  if (options.optimization_level == "disable") {
    level = ORT_DISABLE_ALL;
  } else if (options.optimization_level == "basic") {
    level = ORT_ENABLE_BASIC;
  } else if (options.optimization_level == "extended") {
    level = ORT_ENABLE_EXTENDED;
  } else if (options.optimization_level == "all") {
    level = ORT_ENABLE_ALL;
  } else {
    return InvalidArgument("optimization_level '" + options.optimization_level +
                           "' is not one of disable, basic, extended, all");
  }
  try {
    Ort::SessionOptions session_options;
    session_options.SetGraphOptimizationLevel(level);
    if (options.intra_op_threads > 0)
      session_options.SetIntraOpNumThreads(options.intra_op_threads);
    session_options.AddConfigEntry("session.intra_op.allow_spinning", "0");
    if (!options.optimized_model_path.empty()) {
      session_options.SetOptimizedModelFilePath(
          options.optimized_model_path.c_str());
    }
    auto impl = std::make_unique<Impl>();
    impl->session = std::make_unique<Ort::Session>(
        *env, model_bytes.data(), model_bytes.size(), session_options);
    Signature sig;
    Ort::AllocatorWithDefaultOptions allocator;
    for (size_t i = 0; i < impl->session->GetInputCount(); ++i) {
      std::string name =
          impl->session->GetInputNameAllocated(i, allocator).get();
      ASSIGN_OR_RETURN(
          TensorSpec t,
          Describe("input " + name, impl->session->GetInputTypeInfo(i)));
      t.name = name;
      sig.inputs.push_back(std::move(t));
    }
    for (size_t i = 0; i < impl->session->GetOutputCount(); ++i) {
      std::string name =
          impl->session->GetOutputNameAllocated(i, allocator).get();
      ASSIGN_OR_RETURN(
          TensorSpec t,
          Describe("output " + name, impl->session->GetOutputTypeInfo(i)));
      t.name = name;
      sig.outputs.push_back(std::move(t));
    }
    return std::unique_ptr<OrtModel>(
        new OrtModel(std::move(impl), std::move(sig)));
  } catch (const Ort::Exception& e) {
    return InvalidArgument(std::string("ONNX Runtime cannot load the model: ") +
                           e.what());
  } catch (const std::exception& e) {
    return Internal(std::string("ONNX Runtime: ") + e.what());
  }
}

StatusOr<std::vector<HostTensor>> OrtModel::Run(
    const std::vector<HostTensor>& inputs,
    const std::vector<std::string>& outputs) {
  try {
    Ort::MemoryInfo memory =
        Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    std::vector<const char*> input_names;
    std::vector<Ort::Value> values;
    for (const HostTensor& in : inputs) {
      const ONNXTensorElementDataType type =
          static_cast<ONNXTensorElementDataType>(ToOnnxType(in.type).value_or(
              ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED));
      if (in.type == DataType::kBytes ||
          type == ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED) {
        return Unimplemented("input '" + in.name +
                             "': only numeric tensors can be run");
      }
      input_names.push_back(in.name.c_str());
      // ONNX Runtime does not write to inputs.
      values.push_back(Ort::Value::CreateTensor(
          memory, const_cast<char*>(in.data.data()), in.data.size(),
          in.shape.data(), in.shape.size(), type));
    }
    std::vector<const char*> output_names;
    for (const std::string& name : outputs)
      output_names.push_back(name.c_str());
    std::vector<Ort::Value> results = impl_->session->Run(
        Ort::RunOptions{nullptr}, input_names.data(), values.data(),
        values.size(), output_names.data(), output_names.size());
    std::vector<HostTensor> out;
    for (size_t i = 0; i < results.size(); ++i) {
      if (!results[i].IsTensor()) {
        return Unimplemented("output '" + outputs[i] + "' is not a tensor");
      }
      auto info = results[i].GetTensorTypeAndShapeInfo();
      auto type = FromOnnxType(info.GetElementType());
      if (!type || *type == DataType::kBytes) {
        return Unimplemented("output '" + outputs[i] +
                             "' is not a numeric tensor");
      }
      HostTensor t;
      t.name = outputs[i];
      t.type = *type;
      t.shape = info.GetShape();
      const size_t bytes = info.GetElementCount() * DataTypeSize(*type);
      t.data.resize(bytes);
      if (bytes > 0)
        std::memcpy(t.data.data(), results[i].GetTensorRawData(), bytes);
      out.push_back(std::move(t));
    }
    return out;
  } catch (const Ort::Exception& e) {
    return InvalidArgument(std::string("ONNX Runtime: ") + e.what());
  } catch (const std::exception& e) {
    return Internal(std::string("ONNX Runtime: ") + e.what());
  }
}

std::string OrtVersion() { return OrtGetApiBase()->GetVersionString(); }

}  // namespace adlik::compiler
