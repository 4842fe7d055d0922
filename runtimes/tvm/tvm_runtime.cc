// The TVM runtime: libadlik_runtime_tvm.so, serving model libraries that TVM
// compiled from a relax module (platform "tvm"; default file model.so, what
// `adlik_compiler --serving_type=tvm` writes, or tvm.compile(...)
// .export_library("model.so") in Python).
//
// It uses only TVM's FFI (tvm/ffi/*.h, libtvm_ffi.so) and libtvm_runtime.so:
// Module::LoadFromFile loads the library, its "vm_load_executable" makes a
// relax virtual machine, and the VM's "main" runs the model.
//
// Signature: a model library records neither tensor types nor shapes, so the
// config declares the model's `input` and `output` (as for LibTorch); the
// compiler writes them. Inputs are passed to main() by name where main's
// parameters carry the config's input names (the relax ONNX frontend keeps
// the ONNX names), else in the config's order. main() returns a tensor or a
// tuple of tensors, in the config's output order.
//
// Batch: a library built from a model whose first dimension is symbolic (an
// ONNX dim_param; the relax frontend keeps it a shape variable) takes any
// batch, so max_batch_size > 0 and dynamic batching work. A library built for
// a fixed shape takes that shape only: declare max_batch_size 0 and the full
// shape; a batch of another size is refused by the VM with its reason.
//
// Execution: one VM per instance (a relax VM is not thread-safe), over the
// model's one loaded library. Inputs are borrowed from the request where they
// are 64-byte aligned (TVM's kernels assume it) and copied otherwise; outputs
// are copied from the VM's tensors into the response's buffers.
//
// Threads: TVM's thread pool is sized from the server's thread budget
// (--cores) through TVM_NUM_THREADS when the runtime starts, unless the
// environment sets it; the pool does not pin threads unless TVM_BIND_THREADS
// is set. TVM keeps one pool per thread that runs a model, so two instances
// executing at once use two pools of that size.
//
// Thread-safety: as the SDK states; a Model is immutable after LoadModel, and
// each Instance owns its VM. Ownership: the Model owns the library; its
// instances (destroyed first) hold VMs made from it.
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/module.h>
#include <tvm/ffi/function.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adlik/runtime.h"

namespace adlik::tvm_runtime {
namespace {

namespace ffi = ::tvm::ffi;

constexpr DLDevice kCpu{kDLCPU, 0};
constexpr size_t kAlignment = 64;  // TVM's kAllocAlignment

std::optional<DLDataType> ToDl(DataType t) {
  auto dl = [](uint8_t code, uint8_t bits) {
    return DLDataType{code, bits, 1};
  };
  switch (t) {
    case DataType::kBool:
      return dl(kDLBool, 8);
    case DataType::kUint8:
      return dl(kDLUInt, 8);
    case DataType::kUint16:
      return dl(kDLUInt, 16);
    case DataType::kUint32:
      return dl(kDLUInt, 32);
    case DataType::kUint64:
      return dl(kDLUInt, 64);
    case DataType::kInt8:
      return dl(kDLInt, 8);
    case DataType::kInt16:
      return dl(kDLInt, 16);
    case DataType::kInt32:
      return dl(kDLInt, 32);
    case DataType::kInt64:
      return dl(kDLInt, 64);
    case DataType::kFp16:
      return dl(kDLFloat, 16);
    case DataType::kFp32:
      return dl(kDLFloat, 32);
    case DataType::kFp64:
      return dl(kDLFloat, 64);
    case DataType::kBf16:
      return dl(kDLBfloat, 16);
    default:
      return std::nullopt;  // BYTES
  }
}

bool SameType(DLDataType a, DLDataType b) {
  return a.code == b.code && a.bits == b.bits && a.lanes == b.lanes;
}

// The first line of a TVM error (its message; the traceback follows).
std::string Message(const std::exception& e) {
  std::string m = e.what();
  if (auto nl = m.find('\n'); nl != std::string::npos) m.resize(nl);
  return m;
}

// An ffi::Tensor over memory someone else owns (the request's input buffer
// or the instance's aligned copy), valid while that memory is.
struct BorrowedAlloc {
  void* data;
  void AllocData(DLTensor* tensor) { tensor->data = data; }
  void FreeData(DLTensor*) {}
};

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

class TvmModel;

class TvmInstance : public Instance {
 public:
  // `model` outlives the instance; `vm` is this instance's own VM.
  TvmInstance(const TvmModel* model, ffi::Module vm, ffi::Function main)
      : model_(model), vm_(std::move(vm)), main_(std::move(main)) {}

  Status Execute(Batch& batch) override {
    try {
      return Run(batch);
    } catch (const std::exception& e) {
      return InvalidArgument("tvm: " + Message(e));
    }
  }

 private:
  Status Run(Batch& batch);

  const TvmModel* const model_;
  ffi::Module vm_;  // keeps main_'s VM alive
  ffi::Function main_;
  // Aligned copies of misaligned inputs, one per input, reused.
  std::vector<std::unique_ptr<void, FreeDeleter>> copies_;
  std::vector<size_t> copy_sizes_;
};

class TvmModel : public Model {
 public:
  TvmModel(std::string path, ffi::Module library, Signature signature,
           std::vector<size_t> argument_order)
      : path_(std::move(path)),
        library_(std::move(library)),
        signature_(std::move(signature)),
        argument_order_(std::move(argument_order)) {}

  Signature signature() const override { return signature_; }

  StatusOr<std::unique_ptr<Instance>> CreateInstance(
      const InstanceSpec& spec) override {
    if (spec.kind != DeviceKind::kCpu) {
      return Unimplemented("instance '" + spec.name +
                           "': the TVM runtime runs libraries built for the "
                           "CPU (llvm target) on KIND_CPU instances only");
    }
    try {
      ADLIK_ASSIGN_OR_RETURN(ffi::Module vm, MakeVm(library_, path_));
      return std::unique_ptr<Instance>(
          new TvmInstance(this, vm, *vm->GetFunction("main")));
    } catch (const std::exception& e) {
      return Internal("tvm: '" + path_ + "': " + Message(e));
    }
  }

  // A new relax VM over `library`, initialised for the CPU, with a "main".
  static StatusOr<ffi::Module> MakeVm(const ffi::Module& library,
                                      const std::string& path) {
    ffi::Optional<ffi::Function> load =
        library->GetFunction("vm_load_executable");
    if (!load) {
      return InvalidArgument("'" + path +
                             "' is not a relax VM library (it has no "
                             "vm_load_executable); build it with "
                             "tvm.compile(...).export_library");
    }
    ffi::Module vm = (*load)().cast<ffi::Module>();
    // (device type, id, allocator) for the device, then for the host; 2 is
    // the pooled allocator.
    (*vm->GetFunction("vm_initialization"))(static_cast<int>(kDLCPU), 0, 2,
                                            static_cast<int>(kDLCPU), 0, 2);
    if (!vm->GetFunction("main")) {
      return InvalidArgument("'" + path + "' has no relax function main");
    }
    return vm;
  }

  const Signature& spec() const { return signature_; }
  // argument_order()[k]: the signature input passed as main's argument k.
  const std::vector<size_t>& argument_order() const { return argument_order_; }

 private:
  const std::string path_;
  const ffi::Module library_;
  const Signature signature_;
  const std::vector<size_t> argument_order_;
};

Status TvmInstance::Run(Batch& batch) {
  const Signature& sig = model_->spec();
  const std::vector<size_t>& order = model_->argument_order();
  copies_.resize(sig.inputs.size());
  copy_sizes_.resize(sig.inputs.size(), 0);
  std::vector<ffi::Tensor> args;
  args.reserve(order.size());
  for (size_t k : order) {
    const TensorSpec& spec = sig.inputs[k];
    const TensorView* view = nullptr;
    for (const TensorView& in : batch.inputs())
      if (in.name == spec.name) view = &in;
    if (view == nullptr) {
      return InvalidArgument("tvm: input '" + spec.name + "' is missing");
    }
    void* data = const_cast<char*>(view->data);  // main() only reads it
    if (reinterpret_cast<uintptr_t>(data) % kAlignment != 0) {
      if (copy_sizes_[k] < view->byte_size) {
        const size_t size =
            std::max<size_t>(1,
                             (view->byte_size + kAlignment - 1) / kAlignment) *
            kAlignment;
        copies_[k].reset(std::aligned_alloc(kAlignment, size));
        if (!copies_[k]) return ResourceExhausted("tvm: out of memory");
        copy_sizes_[k] = size;
      }
      std::memcpy(copies_[k].get(), view->data, view->byte_size);
      data = copies_[k].get();
    }
    args.push_back(ffi::Tensor::FromNDAlloc(
        BorrowedAlloc{data},
        ffi::ShapeView(view->shape.data(), view->shape.size()),
        *ToDl(spec.type), kCpu));
  }
  std::vector<ffi::AnyView> views(args.begin(), args.end());
  ffi::Any result;
  main_.CallPacked(views.data(), static_cast<int32_t>(views.size()), &result);

  std::vector<ffi::Tensor> results;
  if (auto t = result.try_cast<ffi::Tensor>()) {
    results.push_back(*t);
  } else if (auto a = result.try_cast<ffi::Array<ffi::Tensor>>()) {
    results.assign(a->begin(), a->end());
  } else {
    return Internal("tvm: main() returned " + result.GetTypeKey() +
                    "; expected a tensor or a tuple of tensors");
  }
  if (results.size() != sig.outputs.size()) {
    return Internal("tvm: main() returned " + std::to_string(results.size()) +
                    " tensors; the config declares " +
                    std::to_string(sig.outputs.size()) + " outputs");
  }
  for (const std::string& name : batch.output_names()) {
    size_t k = 0;
    while (k < sig.outputs.size() && sig.outputs[k].name != name) ++k;
    if (k == sig.outputs.size()) {
      return InvalidArgument("tvm: the model has no output '" + name + "'");
    }
    const TensorSpec& spec = sig.outputs[k];
    const DLTensor& t = *results[k].GetDLTensorPtr();
    if (!SameType(t.dtype, *ToDl(spec.type))) {
      return Internal("tvm: output '" + name +
                      "': main() returned another element type than the "
                      "config's " +
                      std::string(DataTypeName(spec.type)));
    }
    if (!ffi::IsContiguous(t)) {
      return Internal("tvm: output '" + name + "' is not contiguous");
    }
    const std::vector<int64_t> shape(t.shape, t.shape + t.ndim);
    ADLIK_ASSIGN_OR_RETURN(char* out,
                           batch.AllocateOutput(name, spec.type, shape));
    if (const size_t bytes = ffi::GetDataSize(t); bytes > 0) {
      std::memcpy(out, static_cast<const char*>(t.data) + t.byte_offset, bytes);
    }
  }
  return Status::Ok();
}

class TvmRuntime : public Runtime {
 public:
  Status Init(const RuntimeSpec& spec) override {
    const std::string threads =
        std::to_string(std::max<uint32_t>(1, spec.thread_budget));
    setenv("TVM_NUM_THREADS", threads.c_str(), /*overwrite=*/0);
    setenv("TVM_BIND_THREADS", "0", /*overwrite=*/0);
    return Status::Ok();
  }

  StatusOr<std::unique_ptr<Model>> LoadModel(const ModelSpec& spec) override {
    const std::string& path = spec.model_path;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      return NotFound("model library '" + path + "' does not exist");
    }
    ADLIK_RETURN_IF_ERROR(CheckSignature(spec));
    try {
      ffi::Module library = ffi::Module::LoadFromFile(path);
      ADLIK_ASSIGN_OR_RETURN(ffi::Module vm, TvmModel::MakeVm(library, path));
      ADLIK_ASSIGN_OR_RETURN(std::vector<size_t> order,
                             ArgumentOrder(spec, vm));
      return std::unique_ptr<Model>(
          new TvmModel(path, library, spec.declared, std::move(order)));
    } catch (const std::exception& e) {
      return InvalidArgument("cannot load '" + path +
                             "' as a TVM model library: " + Message(e));
    }
  }

 private:
  static Status CheckSignature(const ModelSpec& spec) {
    const Signature& sig = spec.declared;
    if (sig.inputs.empty() || sig.outputs.empty()) {
      return InvalidArgument(
          spec.model_path +
          ": a TVM model library does not record its tensors' names, types "
          "and shapes; declare the model's `input` and `output` in "
          "config.pbtxt (adlik_compiler --serving_type=tvm writes them)");
    }
    for (const auto* list : {&sig.inputs, &sig.outputs}) {
      for (const TensorSpec& t : *list) {
        if (!ToDl(t.type)) {
          return InvalidArgument(
              spec.model_path + ": tensor '" + t.name + "': TVM has no " +
              std::string(DataTypeName(t.type)) + " tensors");
        }
      }
    }
    return Status::Ok();
  }

  // Which config input goes to each of main's parameters.
  static StatusOr<std::vector<size_t>> ArgumentOrder(const ModelSpec& spec,
                                                     const ffi::Module& vm) {
    const std::vector<TensorSpec>& inputs = spec.declared.inputs;
    const int64_t arity =
        (*vm->GetFunction("get_function_arity"))("main").cast<int64_t>();
    if (arity != static_cast<int64_t>(inputs.size())) {
      return InvalidArgument(
          spec.model_path + ": main() takes " + std::to_string(arity) +
          " inputs; the config declares " + std::to_string(inputs.size()));
    }
    ffi::Function param_name = *vm->GetFunction("get_function_param_name");
    std::vector<size_t> order;
    for (int64_t k = 0; k < arity; ++k) {
      const std::string name =
          std::string(param_name("main", k).cast<ffi::String>());
      size_t i = 0;
      while (i < inputs.size() && inputs[i].name != name) ++i;
      if (i == inputs.size()) {
        // Parameters named otherwise: the config's order.
        order.clear();
        for (size_t j = 0; j < inputs.size(); ++j) order.push_back(j);
        return order;
      }
      order.push_back(i);
    }
    return order;
  }
};

}  // namespace
}  // namespace adlik::tvm_runtime

ADLIK_DEFINE_RUNTIME(adlik::tvm_runtime::TvmRuntime, "tvm", "model.so", "tvm")
