// The ONNX Runtime runtime: libadlik_runtime_onnxruntime.so.
//
// One Ort::Session per model version, shared by all of its instances
// (Session::Run is safe to call concurrently), so N instances hold one copy of
// the weights. Inputs are wrapped as OrtValues over the caller's buffers (no
// copy); numeric outputs stay in the OrtValue ONNX Runtime allocated and are
// handed to the platform through Tensor::holder (no copy).
//
// Config parameters understood (all optional, string values):
//   intra_op_thread_count, inter_op_thread_count  override the platform's
//   allow_spinning            "1" lets idle pool threads spin (lower latency,
//                             burns CPU while idle); default "0"
//   graph_optimization_level  disable|basic|extended|all (default all)
#define ORT_API_MANUAL_INIT
#include <onnxruntime_cxx_api.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "adlik/bytes_tensor.h"
#include "adlik/runtime.h"

namespace adlik::onnxruntime {
namespace {

std::optional<DataType> FromOnnx(ONNXTensorElementDataType t) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL: return DataType::kBool;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8: return DataType::kUint8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16: return DataType::kUint16;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32: return DataType::kUint32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64: return DataType::kUint64;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8: return DataType::kInt8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16: return DataType::kInt16;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: return DataType::kInt32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: return DataType::kInt64;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16: return DataType::kFp16;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: return DataType::kFp32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE: return DataType::kFp64;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING: return DataType::kBytes;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16: return DataType::kBf16;
    default: return std::nullopt;
  }
}

ONNXTensorElementDataType ToOnnx(DataType t) {
  switch (t) {
    case DataType::kBool: return ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL;
    case DataType::kUint8: return ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8;
    case DataType::kUint16: return ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16;
    case DataType::kUint32: return ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32;
    case DataType::kUint64: return ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64;
    case DataType::kInt8: return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8;
    case DataType::kInt16: return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16;
    case DataType::kInt32: return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32;
    case DataType::kInt64: return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64;
    case DataType::kFp16: return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
    case DataType::kFp32: return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT;
    case DataType::kFp64: return ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE;
    case DataType::kBytes: return ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING;
    case DataType::kBf16: return ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16;
    default: return ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  }
}

std::string Param(const ModelSpec& spec, std::string_view key) {
  for (const auto& [k, v] : spec.parameters)
    if (k == key) return v;
  return "";
}

StatusOr<TensorSpec> DescribeTensor(std::string name,
                                    const Ort::TypeInfo& info) {
  if (info.GetONNXType() != ONNX_TYPE_TENSOR) {
    return Unimplemented("'" + name +
                         "' is not a tensor (sequences, maps and optionals "
                         "are not supported)");
  }
  auto tensor = info.GetTensorTypeAndShapeInfo();
  auto type = FromOnnx(tensor.GetElementType());
  if (!type) {
    return Unimplemented("'" + name + "' has ONNX element type " +
                         std::to_string(tensor.GetElementType()) +
                         ", which the KServe protocol cannot carry");
  }
  return TensorSpec{std::move(name), *type, tensor.GetShape()};
}

class OrtInstance;

class OrtModel : public Model {
 public:
  OrtModel(std::unique_ptr<Ort::Session> session, Signature signature)
      : session_(std::move(session)), signature_(std::move(signature)) {}

  Signature signature() const override { return signature_; }

  StatusOr<std::unique_ptr<Instance>> CreateInstance(
      const InstanceSpec& spec) override;

  Ort::Session& session() { return *session_; }

 private:
  std::unique_ptr<Ort::Session> session_;
  const Signature signature_;
};

// Execution state of one instance: only the run options; the session is the
// model's. Never used by two threads at once (platform contract).
class OrtInstance : public Instance {
 public:
  explicit OrtInstance(OrtModel* model)
      : model_(model),
        memory_info_(Ort::MemoryInfo::CreateCpu(OrtArenaAllocator,
                                                OrtMemTypeDefault)) {}

  Status Execute(std::span<const TensorView> inputs,
                 std::span<const std::string> output_names,
                 std::vector<Tensor>* outputs) override {
    try {
      return Run(inputs, output_names, outputs);
    } catch (const Ort::Exception& e) {
      return Internal(std::string("onnxruntime: ") + e.what());
    } catch (const std::exception& e) {
      return Internal(std::string("onnxruntime runtime: ") + e.what());
    }
  }

 private:
  Status Run(std::span<const TensorView> inputs,
             std::span<const std::string> output_names,
             std::vector<Tensor>* outputs) {
    input_values_.clear();
    name_storage_.resize(inputs.size());
    input_names_.resize(inputs.size());
    Ort::AllocatorWithDefaultOptions allocator;
    for (size_t k = 0; k < inputs.size(); ++k) {
      const TensorView& in = inputs[k];
      name_storage_[k].assign(in.name);  // views need not be NUL-terminated
      input_names_[k] = name_storage_[k].c_str();
      if (in.type == DataType::kBytes) {
        const int64_t count = ElementCount(in.shape);
        ASSIGN_OR_RETURN(auto elements,
                         SplitBytesElements({in.data, in.byte_size}, count));
        Ort::Value value = Ort::Value::CreateTensor(
            allocator, in.shape.data(), in.shape.size(),
            ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING);
        for (size_t i = 0; i < elements.size(); ++i) {
          char* buffer = value.GetResizedStringTensorElementBuffer(
              i, elements[i].size());
          if (!elements[i].empty())
            std::memcpy(buffer, elements[i].data(), elements[i].size());
        }
        input_values_.push_back(std::move(value));
      } else {
        // ONNX Runtime never writes to inputs; the const_cast only satisfies
        // its C signature.
        input_values_.push_back(Ort::Value::CreateTensor(
            memory_info_, const_cast<char*>(in.data), in.byte_size,
            in.shape.data(), in.shape.size(), ToOnnx(in.type)));
      }
    }
    output_cnames_.clear();
    for (const std::string& name : output_names)
      output_cnames_.push_back(name.c_str());

    std::vector<Ort::Value> results = model_->session().Run(
        run_options_, input_names_.data(), input_values_.data(),
        input_values_.size(), output_cnames_.data(), output_cnames_.size());
    input_values_.clear();

    outputs->reserve(results.size());
    for (size_t i = 0; i < results.size(); ++i) {
      ASSIGN_OR_RETURN(Tensor t, ToTensor(output_names[i], std::move(results[i])));
      outputs->push_back(std::move(t));
    }
    return Status::Ok();
  }

  static StatusOr<Tensor> ToTensor(const std::string& name, Ort::Value value) {
    if (!value.IsTensor()) {
      return Unimplemented("output '" + name + "' is not a tensor");
    }
    auto info = value.GetTensorTypeAndShapeInfo();
    auto type = FromOnnx(info.GetElementType());
    if (!type) {
      return Unimplemented("output '" + name + "' has an ONNX element type " +
                           "the KServe protocol cannot carry");
    }
    Tensor t;
    t.name = name;
    t.type = *type;
    t.shape = info.GetShape();
    if (*type == DataType::kBytes) {
      const size_t count = info.GetElementCount();
      std::string serialized;
      for (size_t i = 0; i < count; ++i) {
        const size_t len = value.GetStringTensorElementLength(i);
        std::string element(len, '\0');
        if (len > 0) value.GetStringTensorElement(len, i, element.data());
        AppendBytesElement(element, &serialized);
      }
      return Tensor::FromBytes(name, *type, std::move(t.shape),
                               std::move(serialized));
    }
    const size_t bytes = info.GetElementCount() * DataTypeSize(*type);
    auto holder = std::make_shared<Ort::Value>(std::move(value));
    t.data = static_cast<const char*>(holder->GetTensorRawData());
    t.byte_size = bytes;
    t.holder = std::move(holder);
    return t;
  }

  OrtModel* const model_;
  Ort::MemoryInfo memory_info_;
  Ort::RunOptions run_options_;
  // Reused across calls to avoid per-request allocations.
  std::vector<std::string> name_storage_;
  std::vector<const char*> input_names_;
  std::vector<Ort::Value> input_values_;
  std::vector<const char*> output_cnames_;
};

StatusOr<std::unique_ptr<Instance>> OrtModel::CreateInstance(
    const InstanceSpec& spec) {
  if (spec.kind != DeviceKind::kCpu) {
    return Unimplemented(
        "instance '" + spec.name +
        "': this ONNX Runtime runtime was built for CPU only; GPU instances "
        "need a build with ONNX Runtime's CUDA execution provider");
  }
  return std::unique_ptr<Instance>(new OrtInstance(this));
}

class OrtRuntime : public Runtime {
 public:
  OrtRuntime() {
    const OrtApi* api = OrtGetApiBase()->GetApi(ORT_API_VERSION);
    if (api == nullptr) {
      init_error_ = Internal(
          "the ONNX Runtime library found at run time (" +
          std::string(OrtGetApiBase()->GetVersionString()) +
          ") is older than the headers this runtime was built with (API " +
          std::to_string(ORT_API_VERSION) + ")");
      return;
    }
    Ort::InitApi(api);
    env_ = std::make_unique<Ort::Env>(ORT_LOGGING_LEVEL_WARNING, "adlik");
  }

  StatusOr<std::unique_ptr<Model>> LoadModel(const ModelSpec& spec) override {
    RETURN_IF_ERROR(init_error_);
    try {
      return Load(spec);
    } catch (const Ort::Exception& e) {
      return InvalidArgument("cannot load '" + spec.model_path +
                             "': " + e.what());
    } catch (const std::exception& e) {
      return Internal("cannot load '" + spec.model_path + "': " + e.what());
    }
  }

 private:
  StatusOr<std::unique_ptr<Model>> Load(const ModelSpec& spec) {
    Ort::SessionOptions options;
    int intra = spec.intra_op_threads, inter = spec.inter_op_threads;
    if (auto v = Param(spec, "intra_op_thread_count"); !v.empty()) {
      intra = std::atoi(v.c_str());
    }
    if (auto v = Param(spec, "inter_op_thread_count"); !v.empty()) {
      inter = std::atoi(v.c_str());
    }
    if (intra > 0) options.SetIntraOpNumThreads(intra);
    if (inter > 0) options.SetInterOpNumThreads(inter);
    options.AddConfigEntry("session.intra_op.allow_spinning",
                           Param(spec, "allow_spinning") == "1" ? "1" : "0");
    options.AddConfigEntry("session.inter_op.allow_spinning",
                           Param(spec, "allow_spinning") == "1" ? "1" : "0");
    const std::string level = Param(spec, "graph_optimization_level");
    GraphOptimizationLevel opt = ORT_ENABLE_ALL;
    if (level == "disable") opt = ORT_DISABLE_ALL;
    else if (level == "basic") opt = ORT_ENABLE_BASIC;
    else if (level == "extended") opt = ORT_ENABLE_EXTENDED;
    else if (!level.empty() && level != "all")
      return InvalidArgument("parameter graph_optimization_level: '" + level +
                             "' is not one of disable, basic, extended, all");
    options.SetGraphOptimizationLevel(opt);

    auto session =
        std::make_unique<Ort::Session>(*env_, spec.model_path.c_str(), options);
    Signature sig;
    Ort::AllocatorWithDefaultOptions allocator;
    for (size_t i = 0; i < session->GetInputCount(); ++i) {
      std::string name = session->GetInputNameAllocated(i, allocator).get();
      ASSIGN_OR_RETURN(TensorSpec t,
                       DescribeTensor(name, session->GetInputTypeInfo(i)));
      sig.inputs.push_back(std::move(t));
    }
    for (size_t i = 0; i < session->GetOutputCount(); ++i) {
      std::string name = session->GetOutputNameAllocated(i, allocator).get();
      ASSIGN_OR_RETURN(TensorSpec t,
                       DescribeTensor(name, session->GetOutputTypeInfo(i)));
      sig.outputs.push_back(std::move(t));
    }
    return std::unique_ptr<Model>(new OrtModel(std::move(session), std::move(sig)));
  }

  Status init_error_;
  std::unique_ptr<Ort::Env> env_;
};

}  // namespace
}  // namespace adlik::onnxruntime

ADLIK_DEFINE_RUNTIME(adlik::onnxruntime::OrtRuntime)
