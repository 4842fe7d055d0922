#include "ort_model.h"

#define ORT_API_MANUAL_INIT
#include <onnxruntime_cxx_api.h>

#include <cstring>
#include <mutex>

#include "adlik/tensor.h"

namespace adlik::compiler {
namespace {

std::optional<DataType> FromOrt(ONNXTensorElementDataType t) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
      return DataType::kBool;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
      return DataType::kUint8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16:
      return DataType::kUint16;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32:
      return DataType::kUint32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64:
      return DataType::kUint64;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
      return DataType::kInt8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16:
      return DataType::kInt16;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
      return DataType::kInt32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
      return DataType::kInt64;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16:
      return DataType::kFp16;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
      return DataType::kFp32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
      return DataType::kFp64;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING:
      return DataType::kBytes;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16:
      return DataType::kBf16;
    default:
      return std::nullopt;
  }
}

ONNXTensorElementDataType ToOrt(DataType t) {
  switch (t) {
    case DataType::kBool:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL;
    case DataType::kUint8:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8;
    case DataType::kUint16:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16;
    case DataType::kUint32:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32;
    case DataType::kUint64:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64;
    case DataType::kInt8:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8;
    case DataType::kInt16:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16;
    case DataType::kInt32:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32;
    case DataType::kInt64:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64;
    case DataType::kFp16:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
    case DataType::kFp32:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT;
    case DataType::kFp64:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE;
    case DataType::kBf16:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16;
    default:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  }
}

// The process-wide environment, created on first use.
StatusOr<Ort::Env*> Environment() {
  static std::once_flag once;
  static Status error;
  static Ort::Env* env = nullptr;
  std::call_once(once, [] {
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
  auto type = FromOrt(tensor.GetElementType());
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
      const ONNXTensorElementDataType type = ToOrt(in.type);
      if (type == ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED) {
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
      auto type = FromOrt(info.GetElementType());
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
