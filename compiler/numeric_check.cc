#include "numeric_check.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include "adlik/tensor.h"
#include "base/half.h"
#include "onnx_model.h"

namespace adlik::compiler {
namespace {
namespace fs = std::filesystem;

// An input the check makes: a dense tensor in host memory.
struct HostTensor {
  std::string name;
  DataType type = DataType::kInvalid;
  std::vector<int64_t> shape;
  std::vector<char> data;  // ElementCount(shape) * DataTypeSize(type) bytes

  TensorView view() const {
    return {name, type, shape, data.data(), data.size()};
  }
};

template <typename T>
void Put(HostTensor* t, size_t i, T v) {
  std::memcpy(t->data.data() + i * sizeof(T), &v, sizeof(T));
}

template <typename T>
T Get(const Tensor& t, size_t i) {
  T v;
  std::memcpy(&v, t.data + i * sizeof(T), sizeof(T));
  return v;
}

// A type Load reads.
bool IsNumeric(DataType t) {
  return t == DataType::kBool || t == DataType::kUint8 ||
         t == DataType::kUint16 || t == DataType::kUint32 ||
         t == DataType::kUint64 || t == DataType::kInt8 ||
         t == DataType::kInt16 || t == DataType::kInt32 ||
         t == DataType::kInt64 || t == DataType::kFp16 ||
         t == DataType::kFp32 || t == DataType::kFp64;
}

bool IsFloat(DataType t) {
  return t == DataType::kFp16 || t == DataType::kFp32 || t == DataType::kFp64;
}

Status Store(HostTensor* t, size_t i, double v) {
  switch (t->type) {
    case DataType::kBool:
      Put<uint8_t>(t, i, v != 0);
      break;
    case DataType::kUint8:
      Put<uint8_t>(t, i, static_cast<uint8_t>(v));
      break;
    case DataType::kUint16:
      Put<uint16_t>(t, i, static_cast<uint16_t>(v));
      break;
    case DataType::kUint32:
      Put<uint32_t>(t, i, static_cast<uint32_t>(v));
      break;
    case DataType::kUint64:
      Put<uint64_t>(t, i, static_cast<uint64_t>(v));
      break;
    case DataType::kInt8:
      Put<int8_t>(t, i, static_cast<int8_t>(v));
      break;
    case DataType::kInt16:
      Put<int16_t>(t, i, static_cast<int16_t>(v));
      break;
    case DataType::kInt32:
      Put<int32_t>(t, i, static_cast<int32_t>(v));
      break;
    case DataType::kInt64:
      Put<int64_t>(t, i, static_cast<int64_t>(v));
      break;
    case DataType::kFp16:
      Put<uint16_t>(t, i, FloatToHalf(static_cast<float>(v)));
      break;
    case DataType::kFp32:
      Put<float>(t, i, static_cast<float>(v));
      break;
    case DataType::kFp64:
      Put<double>(t, i, v);
      break;
    default:
      return Unimplemented("input '" + t->name + "' is " +
                           std::string(DataTypeName(t->type)) +
                           "; the numeric check feeds numeric tensors only "
                           "(set numeric_check to false to skip it)");
  }
  return Status::Ok();
}

double Load(const Tensor& t, size_t i) {
  switch (t.type) {
    case DataType::kBool:
      return Get<uint8_t>(t, i) != 0;
    case DataType::kUint8:
      return Get<uint8_t>(t, i);
    case DataType::kUint16:
      return Get<uint16_t>(t, i);
    case DataType::kUint32:
      return Get<uint32_t>(t, i);
    case DataType::kUint64:
      return static_cast<double>(Get<uint64_t>(t, i));
    case DataType::kInt8:
      return Get<int8_t>(t, i);
    case DataType::kInt16:
      return Get<int16_t>(t, i);
    case DataType::kInt32:
      return Get<int32_t>(t, i);
    case DataType::kInt64:
      return static_cast<double>(Get<int64_t>(t, i));
    case DataType::kFp16:
      return HalfToFloat(Get<uint16_t>(t, i));
    case DataType::kFp32:
      return Get<float>(t, i);
    case DataType::kFp64:
      return Get<double>(t, i);
    default:
      return std::numeric_limits<double>::quiet_NaN();
  }
}

std::string Dims(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

const TensorSpec* Find(const std::vector<TensorSpec>& specs,
                       const std::string& name) {
  for (const auto& s : specs)
    if (s.name == name) return &s;
  return nullptr;
}

std::string Sci(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3g", v);
  return buffer;
}

}  // namespace

std::string NumericReport::Summary() const {
  return "max abs error " + Sci(max_abs_error) + ", max rel error " +
         Sci(max_rel_error) + " (tolerance " + Sci(tolerance) +
         "): " + (passed ? "ok" : "FAILED");
}

StatusOr<std::unique_ptr<BareModel>> LoadThroughRuntime(
    RuntimePlugin& runtime, const std::string& folder, host::ModelSpec spec,
    std::string_view model_bytes, const std::vector<SideFile>& side_files,
    const std::vector<FolderFile>& model_folder,
    const std::string& model_filename) {
  spec.version = 1;
  const fs::path version_dir = fs::path(folder) / spec.name / "1";
  std::error_code ec;
  fs::create_directories(version_dir, ec);
  if (ec) {
    return Internal("cannot create '" + version_dir.string() +
                    "': " + ec.message());
  }
  spec.version_path = version_dir.string();
  const std::string filename = model_filename.empty()
                                   ? runtime.info().default_model_filename
                                   : model_filename;
  spec.model_path = (version_dir / filename).string();
  if (!model_folder.empty()) {
    RETURN_IF_ERROR(WriteFolder(spec.model_path, model_folder));
    return BareModel::Load(runtime, std::move(spec));
  }
  auto write = [](const std::string& path, std::string_view bytes) -> Status {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) return Internal("cannot write '" + path + "'");
    return Status::Ok();
  };
  RETURN_IF_ERROR(write(spec.model_path, model_bytes));
  for (const SideFile& f : side_files) {
    RETURN_IF_ERROR(
        write((version_dir / SideFileName(filename, f)).string(), f.bytes));
  }
  return BareModel::Load(runtime, std::move(spec));
}

StatusOr<std::unique_ptr<BareModel>> LoadReference(
    RuntimeRegistry& runtimes, const std::string& folder,
    const onnx::ModelProto& source, int max_batch_size) {
  ASSIGN_OR_RETURN(RuntimePlugin * runtime, runtimes.Get("onnxruntime"));
  ASSIGN_OR_RETURN(std::string bytes, SerializeOnnx(source));
  host::ModelSpec spec;
  spec.name = "reference";
  spec.max_batch_size = max_batch_size;
  spec.parameters = {{"graph_optimization_level", "disable"}};
  ASSIGN_OR_RETURN(auto model,
                   LoadThroughRuntime(*runtime, folder, spec, bytes));
  RETURN_IF_ERROR(model->AddInstances(1, host::DeviceKind::kCpu));
  return model;
}

Signature EffectiveSignature(const BareModel& model) {
  Signature s = model.signature();
  if (s.inputs.empty() && s.outputs.empty()) return model.spec().declared;
  return s;
}

CheckedModel Checked(BareModel& model) {
  return {EffectiveSignature(model),
          [&model](std::span<const TensorView> inputs,
                   const std::vector<std::string>& names,
                   std::vector<Tensor>* outputs) {
            return model.Run(inputs, names, outputs);
          }};
}

StatusOr<NumericReport> CompareModels(BareModel& reference,
                                      BareModel& candidate,
                                      const NumericCheckOptions& options) {
  return CompareRuns(Checked(reference), Checked(candidate), options);
}

StatusOr<NumericReport> CompareRuns(const CheckedModel& reference,
                                    const CheckedModel& candidate,
                                    const NumericCheckOptions& options) {
  const Signature& ref_sig = reference.signature;
  const Signature& cand_sig = candidate.signature;

  NumericReport report;
  report.tolerance = options.tolerance;
  std::mt19937_64 rng(options.seed);
  std::uniform_real_distribution<double> real(-1.0, 1.0);
  std::uniform_int_distribution<int> small(0, 1);
  std::vector<HostTensor> ref_inputs, cand_inputs;
  for (const TensorSpec& spec : cand_sig.inputs) {
    const TensorSpec* ref_spec = Find(ref_sig.inputs, spec.name);
    if (ref_spec == nullptr) {
      return Internal("numeric check: the compiled model has an input '" +
                      spec.name + "' that the source model does not have");
    }
    std::vector<int64_t> shape = spec.shape;
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] >= 0) continue;
      shape[d] = (d == 0 && options.max_batch_size > 0)
                     ? std::min(2, options.max_batch_size)
                     : 8;
    }
    const size_t count = static_cast<size_t>(ElementCount(shape));
    HostTensor r{spec.name, ref_spec->type, shape,
                 std::vector<char>(count * DataTypeSize(ref_spec->type))};
    HostTensor c{spec.name, spec.type, shape,
                 std::vector<char>(count * DataTypeSize(spec.type))};
    const bool half =
        spec.type == DataType::kFp16 || ref_spec->type == DataType::kFp16;
    for (size_t i = 0; i < count; ++i) {
      double v;
      if (IsFloat(spec.type)) {
        v = real(rng);
        if (half) v = HalfToFloat(FloatToHalf(static_cast<float>(v)));
      } else {
        v = small(rng);
      }
      RETURN_IF_ERROR(Store(&r, i, v));
      RETURN_IF_ERROR(Store(&c, i, v));
    }
    report.inputs += (report.inputs.empty() ? "" : ", ") + spec.name +
                     Dims(shape) + " " + std::string(DataTypeName(spec.type));
    ref_inputs.push_back(std::move(r));
    cand_inputs.push_back(std::move(c));
  }

  std::vector<std::string> names;
  for (const TensorSpec& spec : ref_sig.outputs) {
    if (Find(cand_sig.outputs, spec.name) == nullptr) {
      return Internal("numeric check: the compiled model has no output '" +
                      spec.name + "'");
    }
    names.push_back(spec.name);
  }
  std::vector<TensorView> ref_views, cand_views;
  for (const HostTensor& t : ref_inputs) ref_views.push_back(t.view());
  for (const HostTensor& t : cand_inputs) cand_views.push_back(t.view());
  std::vector<Tensor> ref_out, cand_out;
  Status run = reference.run(ref_views, names, &ref_out);
  if (!run.ok())
    return run.WithPrefix("numeric check: running the source model");
  run = candidate.run(cand_views, names, &cand_out);
  if (!run.ok())
    return run.WithPrefix("numeric check: running the compiled model");

  report.passed = true;
  for (size_t k = 0; k < names.size(); ++k) {
    const Tensor& r = ref_out[k];
    const Tensor& c = cand_out[k];
    if (!IsNumeric(r.type) || !IsNumeric(c.type)) {
      const DataType type = IsNumeric(r.type) ? c.type : r.type;
      return Unimplemented("numeric check: output '" + names[k] + "' is " +
                           std::string(DataTypeName(type)) +
                           "; the check compares numeric tensors only (set "
                           "numeric_check to false to skip it)");
    }
    if (r.shape != c.shape) {
      return Internal("numeric check: output '" + names[k] + "' has shape " +
                      Dims(c.shape) + " in the compiled model and " +
                      Dims(r.shape) + " in the source");
    }
    OutputError e{names[k]};
    const size_t count = static_cast<size_t>(ElementCount(r.shape));
    for (size_t i = 0; i < count; ++i) {
      const double a = Load(r, i), b = Load(c, i);
      double diff;
      if (std::isfinite(a) && std::isfinite(b)) {
        diff = std::fabs(a - b);
      } else {
        const bool same = (std::isnan(a) && std::isnan(b)) || a == b;
        diff = same ? 0 : std::numeric_limits<double>::infinity();
      }
      e.max_abs_error = std::max(e.max_abs_error, diff);
      if (std::isfinite(a))
        e.max_reference = std::max(e.max_reference, std::fabs(a));
    }
    e.max_rel_error = e.max_reference > 0 ? e.max_abs_error / e.max_reference
                                          : e.max_abs_error;
    report.max_abs_error = std::max(report.max_abs_error, e.max_abs_error);
    report.max_rel_error = std::max(report.max_rel_error, e.max_rel_error);
    if (!(e.max_rel_error <= options.tolerance)) report.passed = false;
    report.outputs.push_back(std::move(e));
  }
  return report;
}

}  // namespace adlik::compiler
