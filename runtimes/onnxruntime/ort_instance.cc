// Implementation of ort_instance.h.
#include "ort_instance.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "adlik/bytes_tensor.h"

namespace adlik::onnxruntime {

StatusOr<Ort::Value> InputValue(const TensorView& in,
                                const Ort::MemoryInfo& cpu) {
  if (in.type == DataType::kBytes) {
    Ort::AllocatorWithDefaultOptions allocator;
    const int64_t count = ElementCount(in.shape);
    ADLIK_ASSIGN_OR_RETURN(auto elements,
                           SplitBytesElements({in.data, in.byte_size}, count));
    Ort::Value value =
        Ort::Value::CreateTensor(allocator, in.shape.data(), in.shape.size(),
                                 ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING);
    for (size_t i = 0; i < elements.size(); ++i) {
      char* buffer =
          value.GetResizedStringTensorElementBuffer(i, elements[i].size());
      if (!elements[i].empty())
        std::memcpy(buffer, elements[i].data(), elements[i].size());
    }
    return value;
  }
  return Ort::Value::CreateTensor(cpu, const_cast<char*>(in.data), in.byte_size,
                                  in.shape.data(), in.shape.size(),
                                  ToOnnx(in.type));
}

// An output OrtValue in host memory as a platform Tensor. Numeric data stays
// in the OrtValue, which `holder` keeps alive (no copy).
StatusOr<Tensor> ToTensor(const std::string& name, Ort::Value value) {
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

OrtInstance::OrtInstance(Ort::Session* session)
    : session_(session),
      memory_info_(
          Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault)) {}

Status OrtInstanceBase::Execute(Batch& batch) {
  auto listed = [](const std::vector<std::string>& names, std::string_view n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  std::span<const TensorView> inputs = batch.inputs();
  std::vector<TensorView> reshaped;
  if (!scalars_.inputs.empty()) {
    reshaped.assign(inputs.begin(), inputs.end());
    for (TensorView& v : reshaped) {
      if (v.shape.size() == 1 && v.shape[0] == 1 &&
          listed(scalars_.inputs, v.name))
        v.shape = {};
    }
    inputs = reshaped;
  }
  std::vector<Tensor> outputs;
  ADLIK_RETURN_IF_ERROR(Run(inputs, batch.output_names(), &outputs));
  for (Tensor& t : outputs) {
    if (t.shape.empty() && listed(scalars_.outputs, t.name)) t.shape = {1};
    ADLIK_RETURN_IF_ERROR(batch.AdoptOutput(std::move(t)));
  }
  return Status::Ok();
}

Status OrtInstance::Run(std::span<const TensorView> inputs,
                        std::span<const std::string> output_names,
                        std::vector<Tensor>* outputs) {
  return Guarded([&] { return RunUnguarded(inputs, output_names, outputs); });
}

Status OrtInstance::RunUnguarded(std::span<const TensorView> inputs,
                                 std::span<const std::string> output_names,
                                 std::vector<Tensor>* outputs) {
  input_values_.clear();
  name_storage_.resize(inputs.size());
  input_names_.resize(inputs.size());
  for (size_t k = 0; k < inputs.size(); ++k) {
    name_storage_[k].assign(inputs[k].name);  // views need not end in NUL
    input_names_[k] = name_storage_[k].c_str();
    ADLIK_ASSIGN_OR_RETURN(Ort::Value value,
                           InputValue(inputs[k], memory_info_));
    input_values_.push_back(std::move(value));
  }
  output_cnames_.clear();
  for (const std::string& name : output_names)
    output_cnames_.push_back(name.c_str());

  std::vector<Ort::Value> results = session_->Run(
      run_options_, input_names_.data(), input_values_.data(),
      input_values_.size(), output_cnames_.data(), output_cnames_.size());
  input_values_.clear();

  outputs->reserve(results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    ADLIK_ASSIGN_OR_RETURN(Tensor t,
                           ToTensor(output_names[i], std::move(results[i])));
    outputs->push_back(std::move(t));
  }
  return Status::Ok();
}

OrtGpuInstance::OrtGpuInstance(Ort::Session* session)
    : session_(session),
      binding_(*session),
      host_(Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault)) {}

Status OrtGpuInstance::Run(std::span<const TensorView> inputs,
                           std::span<const std::string> output_names,
                           std::vector<Tensor>* outputs) {
  Status status =
      Guarded([&] { return RunUnguarded(inputs, output_names, outputs); });
  // Drop the bindings so that no request's buffer stays referenced.
  try {
    binding_.ClearBoundInputs();
    binding_.ClearBoundOutputs();
  } catch (const Ort::Exception&) {
  }
  return status;
}

Status OrtGpuInstance::RunUnguarded(std::span<const TensorView> inputs,
                                    std::span<const std::string> output_names,
                                    std::vector<Tensor>* outputs) {
  std::string name;
  for (const TensorView& in : inputs) {
    ADLIK_ASSIGN_OR_RETURN(Ort::Value value, InputValue(in, host_));
    name.assign(in.name);
    binding_.BindInput(name.c_str(), value);  // copies to the device
  }
  for (const std::string& out : output_names) {
    binding_.BindOutput(out.c_str(), host_);
  }
  session_->Run(run_options_, binding_);
  binding_.SynchronizeOutputs();
  std::vector<Ort::Value> results = binding_.GetOutputValues();
  std::vector<std::string> names = binding_.GetOutputNames();
  if (results.size() != names.size()) {
    return Internal("IoBinding returned " + std::to_string(results.size()) +
                    " outputs for " + std::to_string(names.size()) + " names");
  }
  outputs->reserve(results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    ADLIK_ASSIGN_OR_RETURN(Tensor t, ToTensor(names[i], std::move(results[i])));
    outputs->push_back(std::move(t));
  }
  return Status::Ok();
}

}  // namespace adlik::onnxruntime
