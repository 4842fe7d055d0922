// The ONNX Runtime runtime: libadlik_runtime_onnxruntime.so.
//
// CPU instances share one Ort::Session per model version (Session::Run is
// safe to call concurrently), so N instances hold one copy of the weights;
// they run without copying inputs or outputs (ort_instance.h).
//
// GPU instances (instance_group kind KIND_GPU) run on a session of their own
// device, created when the first instance on that device is, and shared by
// the instances of that device. Its execution providers are, in order:
// TensorRT where its libraries are present, CUDA, then the CPU for nodes
// neither takes. Each GPU instance runs through an IoBinding
// (ort_instance.h). The provider libraries come with the plugin when it is
// built with -DADLIK_ORT_GPU=ON (`ADLIK_ORT_GPU=1 scripts/setup.sh` fetches
// them); without them, without the CUDA libraries or without a GPU, a GPU
// instance fails to load with a reason naming what is missing, and so its
// model is UNAVAILABLE.
//
// Threads: every session runs on the process-wide thread pools of the
// runtime's Ort::Env, sized from the server's thread budget (--cores), so the
// thread count does not grow with the number of models (ONNX Runtime's
// global thread pools; sessions made with DisablePerSessionThreads).
//
// Inputs a config marks `optional` may be left out of a request: the
// session runs without them, which ONNX Runtime allows for an initializer
// the graph also lists as an input (its value is then the initializer's);
// any other input left out is ONNX Runtime's error, naming it.
//
// Config parameters understood (all optional, string values):
//   intra_op_thread_count, inter_op_thread_count  give this model pools of
//                             its own of these sizes instead
//   allow_spinning            "1" lets idle threads of the model's own pools
//                             spin (lower latency, burns CPU while idle);
//                             default "0"
//   graph_optimization_level  disable|basic|extended|all (default all)
//   tensorrt                  GPU instances: "0" leaves TensorRT out even
//                             where present; default "1"
//
// Thread-safety: as the SDK states. A model's GPU sessions are created under
// a mutex and only read afterwards.
//
// ORT_API_MANUAL_INIT is defined for the whole plugin (CMakeLists.txt): the
// runtime checks the library's API version before using it.
#include <dlfcn.h>
#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "adlik/runtime.h"
#include "ort_instance.h"

namespace adlik::onnxruntime {
namespace {

std::string Param(const ModelSpec& spec, std::string_view key) {
  return spec.Parameter(key);
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

// Session options from the model's spec and config parameters; the same for
// the CPU session and every GPU session of a model.
StatusOr<Ort::SessionOptions> MakeSessionOptions(const ModelSpec& spec) {
  Ort::SessionOptions options;
  int intra = -1, inter = -1;  // -1: not set
  // A thread count is a whole number in 0..kMaxThreads (0: ONNX Runtime's
  // default); anything else is refused rather than read as a number.
  constexpr int kMaxThreads = 256;
  for (auto [key, count] : {std::pair{"intra_op_thread_count", &intra},
                            std::pair{"inter_op_thread_count", &inter}}) {
    const std::string v = Param(spec, key);
    if (v.empty()) continue;
    int n = -1;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || n < 0 ||
        n > kMaxThreads) {
      return InvalidArgument("parameter " + std::string(key) + ": '" + v +
                             "' is not a whole number in 0.." +
                             std::to_string(kMaxThreads));
    }
    *count = n;
  }
  if (intra < 0 && inter < 0) {
    // The runtime's shared pools.
    options.DisablePerSessionThreads();
  } else {
    if (intra >= 0) options.SetIntraOpNumThreads(intra);
    options.SetInterOpNumThreads(inter >= 0 ? inter : 1);
    const char* spin = Param(spec, "allow_spinning") == "1" ? "1" : "0";
    options.AddConfigEntry("session.intra_op.allow_spinning", spin);
    options.AddConfigEntry("session.inter_op.allow_spinning", spin);
  }
  const std::string level = Param(spec, "graph_optimization_level");
  GraphOptimizationLevel opt = ORT_ENABLE_ALL;
  if (level == "disable")
    opt = ORT_DISABLE_ALL;
  else if (level == "basic")
    opt = ORT_ENABLE_BASIC;
  else if (level == "extended")
    opt = ORT_ENABLE_EXTENDED;
  else if (!level.empty() && level != "all")
    return InvalidArgument("parameter graph_optimization_level: '" + level +
                           "' is not one of disable, basic, extended, all");
  options.SetGraphOptimizationLevel(opt);
  return options;
}

// Why ONNX Runtime could not load the execution provider library `name`
// (e.g. "cuda"): it reports only "not enabled in this build" and logs the
// loader's reason. The providers sit beside libonnxruntime, where ONNX
// Runtime looks for them; loading them here gives that reason back.
std::string DiagnoseProvider(const std::string& name) {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&OrtGetApiBase), &info) == 0 ||
      info.dli_fname == nullptr) {
    return "cannot locate the ONNX Runtime library";
  }
  const std::filesystem::path dir =
      std::filesystem::path(info.dli_fname).parent_path();
  for (const std::string& lib : {std::string("shared"), name}) {
    const std::string path =
        (dir / ("libonnxruntime_providers_" + lib + ".so")).string();
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return "no " + path + " (build the plugin with -DADLIK_ORT_GPU=ON)";
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* error = dlerror();
      return error != nullptr ? error : "cannot load " + path;
    }
    dlclose(handle);
  }
  return "its libraries load; ONNX Runtime refused it";
}

class OrtModel : public Model {
 public:
  // `env` must outlive the model (it is the runtime's).
  OrtModel(Ort::Env* env, ModelSpec spec, std::unique_ptr<Ort::Session> session,
           Signature signature)
      : env_(env),
        spec_(std::move(spec)),
        session_(std::move(session)),
        signature_(std::move(signature)) {}

  Signature signature() const override { return signature_; }

  StatusOr<std::unique_ptr<Instance>> CreateInstance(
      const InstanceSpec& spec) override;

 private:
  // The model's scalars a config gives as [1] (OrtInstanceBase::Scalars).
  OrtInstanceBase::Scalars ScalarTensors() const;
  // The session of GPU `device`, created on first use.
  StatusOr<Ort::Session*> GpuSession(const InstanceSpec& spec);
  StatusOr<std::unique_ptr<Ort::Session>> CreateGpuSession(int device);

  Ort::Env* const env_;
  const ModelSpec spec_;
  const std::unique_ptr<Ort::Session> session_;  // CPU
  const Signature signature_;
  std::mutex mu_;
  std::map<int, std::unique_ptr<Ort::Session>> gpu_sessions_;  // guarded by mu_
};

OrtInstanceBase::Scalars OrtModel::ScalarTensors() const {
  OrtInstanceBase::Scalars scalars;
  if (spec_.max_batch_size > 0) return scalars;
  for (const TensorSpec& t : signature_.inputs)
    if (t.shape.empty()) scalars.inputs.push_back(t.name);
  for (const TensorSpec& t : signature_.outputs) {
    if (!t.shape.empty()) continue;
    for (const TensorSpec& d : spec_.declared.outputs) {
      if (d.name == t.name && d.shape == std::vector<int64_t>{1})
        scalars.outputs.push_back(t.name);
    }
  }
  return scalars;
}

StatusOr<std::unique_ptr<Instance>> OrtModel::CreateInstance(
    const InstanceSpec& spec) {
  switch (spec.kind) {
    case DeviceKind::kCpu: {
      auto instance = std::make_unique<OrtInstance>(session_.get());
      instance->set_scalars(ScalarTensors());
      return std::unique_ptr<Instance>(std::move(instance));
    }
    case DeviceKind::kGpu: {
      ADLIK_ASSIGN_OR_RETURN(Ort::Session * session, GpuSession(spec));
      try {
        auto instance = std::make_unique<OrtGpuInstance>(session);
        instance->set_scalars(ScalarTensors());
        return std::unique_ptr<Instance>(std::move(instance));
      } catch (const Ort::Exception& e) {
        return Unavailable("instance '" + spec.name + "' on GPU " +
                           std::to_string(spec.device_id) +
                           ": cannot bind the session: " + e.what());
      }
    }
    case DeviceKind::kVendor:
      break;
  }
  return Unimplemented("instance '" + spec.name +
                       "': the ONNX Runtime runtime runs on KIND_CPU and "
                       "KIND_GPU instances only");
}

StatusOr<Ort::Session*> OrtModel::GpuSession(const InstanceSpec& spec) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = gpu_sessions_.find(spec.device_id);
  if (it == gpu_sessions_.end()) {
    auto session = CreateGpuSession(spec.device_id);
    if (!session.ok()) {
      return session.status().WithPrefix("instance '" + spec.name + "'");
    }
    it =
        gpu_sessions_.emplace(spec.device_id, std::move(session).value()).first;
  }
  return it->second.get();
}

StatusOr<std::unique_ptr<Ort::Session>> OrtModel::CreateGpuSession(int device) {
  const std::string where = "GPU " + std::to_string(device);
  if (device < 0) return InvalidArgument(where + ": not a device ordinal");
  ADLIK_ASSIGN_OR_RETURN(Ort::SessionOptions options,
                         MakeSessionOptions(spec_));
  const std::string id = std::to_string(device);
  // TensorRT first where it is present: it takes the subgraphs it supports
  // and leaves the rest to CUDA. Its absence is not an error.
  if (Param(spec_, "tensorrt") != "0") {
    try {
      Ort::TensorRTProviderOptions trt;
      trt.Update({{"device_id", id}});
      options.AppendExecutionProvider_TensorRT_V2(*trt);
    } catch (const Ort::Exception&) {
      // No libonnxruntime_providers_tensorrt.so or no TensorRT libraries.
    }
  }
  try {
    Ort::CUDAProviderOptions cuda;
    cuda.Update({{"device_id", id}});
    options.AppendExecutionProvider_CUDA_V2(*cuda);
  } catch (const Ort::Exception& e) {
    return Unavailable(where +
                       ": ONNX Runtime's CUDA execution provider is not "
                       "available: " +
                       DiagnoseProvider("cuda") + " (" + e.what() + ")");
  }
  try {
    return std::make_unique<Ort::Session>(*env_, spec_.model_path.c_str(),
                                          options);
  } catch (const Ort::Exception& e) {
    return Unavailable(where +
                       ": cannot create a session with the CUDA "
                       "execution provider (no usable GPU " +
                       id + "?): " + e.what());
  }
}

class OrtRuntime : public Runtime {
 public:
  Status Init(const RuntimeSpec& spec) override {
    // ONNX Runtime's official build sends usage telemetry unless told not
    // to: it starts its telemetry system (a Microsoft collector host, a log
    // in /tmp, a database under ~/.cache) when the first environment is
    // created, unless ORT_DISABLE_TELEMETRY is set then. Nothing of a served
    // model may leave the machine, so it is set before anything else.
    setenv("ORT_DISABLE_TELEMETRY", "1", /*overwrite=*/1);
    const OrtApi* api = OrtGetApiBase()->GetApi(ORT_API_VERSION);
    if (api == nullptr) {
      return Internal(
          "the ONNX Runtime library found at run time (" +
          std::string(OrtGetApiBase()->GetVersionString()) +
          ") is older than the headers this runtime was built with (API " +
          std::to_string(ORT_API_VERSION) + ")");
    }
    Ort::InitApi(api);
    // One intra-op pool of the budget's size (the calling thread is one of
    // them) for every session; operators of a graph run one after another.
    Ort::ThreadingOptions threading;
    threading.SetGlobalIntraOpNumThreads(
        static_cast<int>(std::max<uint32_t>(1, spec.thread_budget)));
    threading.SetGlobalInterOpNumThreads(1);
    threading.SetGlobalSpinControl(false);
    env_ = std::make_unique<Ort::Env>(threading, ORT_LOGGING_LEVEL_WARNING,
                                      "adlik");
    env_->DisableTelemetryEvents();  // and no events, should it start
    Log(ADLIK_LOG_INFO, "onnxruntime: " + std::to_string(spec.thread_budget) +
                            " threads shared by all models");
    return Status::Ok();
  }

  StatusOr<std::unique_ptr<Model>> LoadModel(const ModelSpec& spec) override {
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
    ADLIK_ASSIGN_OR_RETURN(Ort::SessionOptions options,
                           MakeSessionOptions(spec));
    auto session =
        std::make_unique<Ort::Session>(*env_, spec.model_path.c_str(), options);
    Signature sig;
    Ort::AllocatorWithDefaultOptions allocator;
    for (size_t i = 0; i < session->GetInputCount(); ++i) {
      std::string name = session->GetInputNameAllocated(i, allocator).get();
      ADLIK_ASSIGN_OR_RETURN(
          TensorSpec t, DescribeTensor(name, session->GetInputTypeInfo(i)));
      sig.inputs.push_back(std::move(t));
    }
    // An initializer the graph also lists as an input may be overridden by a
    // request (ONNX IR 4 and later); it is an input of the model only when
    // the config declares it, usually as `optional: true`, so that a request
    // may leave it out and the session uses the initializer.
    for (size_t i = 0; i < session->GetOverridableInitializerCount(); ++i) {
      std::string name =
          session->GetOverridableInitializerNameAllocated(i, allocator).get();
      const auto& declared = spec.declared.inputs;
      if (std::none_of(declared.begin(), declared.end(),
                       [&](const TensorSpec& d) { return d.name == name; }))
        continue;
      ADLIK_ASSIGN_OR_RETURN(
          TensorSpec t,
          DescribeTensor(name, session->GetOverridableInitializerTypeInfo(i)));
      sig.inputs.push_back(std::move(t));
    }
    for (size_t i = 0; i < session->GetOutputCount(); ++i) {
      std::string name = session->GetOutputNameAllocated(i, allocator).get();
      ADLIK_ASSIGN_OR_RETURN(
          TensorSpec t, DescribeTensor(name, session->GetOutputTypeInfo(i)));
      sig.outputs.push_back(std::move(t));
    }
    return std::unique_ptr<Model>(
        new OrtModel(env_.get(), spec, std::move(session), std::move(sig)));
  }

  std::unique_ptr<Ort::Env> env_;
};

}  // namespace
}  // namespace adlik::onnxruntime

ADLIK_DEFINE_RUNTIME(adlik::onnxruntime::OrtRuntime, "onnxruntime",
                     "model.onnx", "onnxruntime_onnx", "onnxruntime", "onnx",
                     "onnx_onnxv1")
