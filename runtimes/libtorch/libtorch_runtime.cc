// The LibTorch runtime: libadlik_runtime_libtorch.so, serving TorchScript
// models (model.pt; platform "pytorch_libtorch", or the original Adlik's
// "libtorch").
//
// A TorchScript file records the number of forward()'s arguments and results
// but not their element types or shapes, which the platform needs to check
// requests. The runtime takes them, in this order, from:
//   1. the archive's extra file "signature.txt"
//      (torch.jit.save(m, "model.pt", _extra_files={"signature.txt": text}));
//   2. the file signature.txt in the version folder;
//   3. the config's `input` and `output` (in forward()'s argument order and
//      result order), when it declares both.
// Its lines, in forward()'s argument order and then result order:
//   input  NAME TYPE DIM...      output NAME TYPE DIM...
// TYPE is a KServe type (FP32, INT64, ...); DIMs are the full shape the
// module sees, -1 for a dimension of any size (the batch dimension first
// when max_batch_size > 0); '#' starts a comment.
//
// Execution: inputs are passed to forward() in the signature's order, wrapped
// as tensors over the request's bytes (no copy); forward() may return a
// tensor, a tuple or list of tensors (in the signature's output order), or a
// dict from output name to tensor. Outputs stay in the tensors LibTorch
// allocated and reach the server through Batch::AdoptOutput (no copy). It runs
// under c10::InferenceMode.
//
// One torch::jit::Module per model version, shared by its instances
// (forward() may run on several threads at once). CPU only: Debian's
// libtorch is built without CUDA.
//
// Config parameters (optional, string values):
//   intra_op_thread_count   threads of LibTorch's intra-op pool. LibTorch has
//                           ONE pool per process, sized from the server's
//                           thread budget (--cores) when the runtime starts;
//                           a model with this parameter resizes it for all.
//
// Thread-safety: as the SDK states; a Model is immutable after LoadModel.
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <torch/script.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "adlik/runtime.h"

namespace adlik::libtorch {
namespace {

std::optional<at::ScalarType> ToTorch(DataType t) {
  switch (t) {
    case DataType::kBool:
      return at::kBool;
    case DataType::kUint8:
      return at::kByte;
    case DataType::kInt8:
      return at::kChar;
    case DataType::kInt16:
      return at::kShort;
    case DataType::kInt32:
      return at::kInt;
    case DataType::kInt64:
      return at::kLong;
    case DataType::kFp16:
      return at::kHalf;
    case DataType::kFp32:
      return at::kFloat;
    case DataType::kFp64:
      return at::kDouble;
    case DataType::kBf16:
      return at::kBFloat16;
    default:
      return std::nullopt;  // UINT16/32/64 and BYTES: not in LibTorch
  }
}

std::string Param(const ModelSpec& spec, std::string_view key) {
  for (const auto& [k, v] : spec.parameters)
    if (k == key) return v;
  return "";
}

// Parses a signature text (see the top of this file). `source` names where it
// came from, for messages.
StatusOr<Signature> ParseSignature(const std::string& text,
                                   const std::string& source) {
  Signature sig;
  std::istringstream lines(text);
  int n = 0;
  for (std::string line; std::getline(lines, line);) {
    ++n;
    const std::string where = source + ":" + std::to_string(n) + ": ";
    if (auto hash = line.find('#'); hash != std::string::npos)
      line.resize(hash);
    std::istringstream words(line);
    std::string kind, name, type_name;
    if (!(words >> kind)) continue;
    if (kind != "input" && kind != "output") {
      return InvalidArgument(where + "'" + kind +
                             "' is neither 'input' nor 'output'");
    }
    words >> name >> type_name;
    auto type = ParseDataType(type_name);
    if (name.empty() || !type) {
      return InvalidArgument(where + "expected '" + kind +
                             " NAME TYPE DIM...' with a KServe TYPE");
    }
    if (!ToTorch(*type)) {
      return InvalidArgument(where + kind + " '" + name +
                             "': LibTorch has no " +
                             std::string(DataTypeName(*type)) + " tensors");
    }
    TensorSpec spec{name, *type, {}};
    for (int64_t d; words >> d;) {
      if (d < -1) {
        return InvalidArgument(where + kind + " '" + name +
                               "': a dimension is -1 or >= 0");
      }
      spec.shape.push_back(d);
    }
    if (!words.eof()) {
      return InvalidArgument(where + kind + " '" + name +
                             "': dimensions must be whole numbers");
    }
    (kind == "input" ? sig.inputs : sig.outputs).push_back(std::move(spec));
  }
  if (sig.inputs.empty() || sig.outputs.empty()) {
    return InvalidArgument(source +
                           ": needs at least one input and one output");
  }
  return sig;
}

class TorchInstance : public Instance {
 public:
  // `module` and `signature` are the model's, which outlives the instance.
  TorchInstance(torch::jit::Module* module, const Signature* signature)
      : module_(module), signature_(signature) {}

  Status Execute(Batch& batch) override {
    try {
      std::vector<Tensor> outputs;
      ADLIK_RETURN_IF_ERROR(
          Run(batch.inputs(), batch.output_names(), &outputs));
      for (Tensor& t : outputs)
        ADLIK_RETURN_IF_ERROR(batch.AdoptOutput(std::move(t)));
      return Status::Ok();
    } catch (const std::exception& e) {
      // c10::Error's what() carries a C++ backtrace after the first line.
      std::string message = e.what();
      if (auto nl = message.find('\n'); nl != std::string::npos) {
        message.resize(nl);
      }
      return Internal("libtorch: " + message);
    }
  }

 private:
  Status Run(std::span<const TensorView> inputs,
             std::span<const std::string> output_names,
             std::vector<Tensor>* outputs) {
    c10::InferenceMode inference_mode;
    std::vector<c10::IValue> args;
    args.reserve(signature_->inputs.size());
    for (const TensorSpec& spec : signature_->inputs) {
      const TensorView* view = nullptr;
      for (const TensorView& in : inputs)
        if (in.name == spec.name) view = &in;
      if (view == nullptr) {
        return InvalidArgument("input '" + spec.name + "' is missing");
      }
      if (view->type != spec.type) {
        return InvalidArgument("input '" + spec.name + "': expected " +
                               std::string(DataTypeName(spec.type)));
      }
      const std::vector<int64_t> shape(view->shape.begin(), view->shape.end());
      // The module only reads its inputs; from_blob needs a non-const pointer.
      args.emplace_back(
          torch::from_blob(const_cast<char*>(view->data), shape,
                           torch::TensorOptions().dtype(*ToTorch(spec.type))));
    }
    c10::IValue result = module_->forward(std::move(args));

    // The results, in the signature's output order (or by name for a dict).
    std::vector<at::Tensor> results;
    if (result.isTensor()) {
      results.push_back(result.toTensor());
    } else if (result.isTuple()) {
      for (const c10::IValue& v : result.toTupleRef().elements()) {
        if (!v.isTensor()) return Internal("forward() returned a non-tensor");
        results.push_back(v.toTensor());
      }
    } else if (result.isTensorList()) {
      for (const at::Tensor& t : result.toTensorVector()) results.push_back(t);
    } else if (result.isGenericDict()) {
      auto dict = result.toGenericDict();
      for (const TensorSpec& spec : signature_->outputs) {
        auto it = dict.find(spec.name);
        if (it == dict.end() || !it->value().isTensor()) {
          return Internal("forward()'s dict has no tensor '" + spec.name + "'");
        }
        results.push_back(it->value().toTensor());
      }
    } else {
      return Internal("forward() returned a " + result.tagKind() +
                      "; expected a tensor, a tuple or list of tensors, or a "
                      "dict of tensors");
    }
    if (results.size() != signature_->outputs.size()) {
      return Internal("forward() returned " + std::to_string(results.size()) +
                      " tensors; the signature declares " +
                      std::to_string(signature_->outputs.size()) + " outputs");
    }

    for (const std::string& name : output_names) {
      size_t k = 0;
      while (k < signature_->outputs.size() &&
             signature_->outputs[k].name != name) {
        ++k;
      }
      if (k == signature_->outputs.size()) {
        return InvalidArgument("the model has no output '" + name + "'");
      }
      const TensorSpec& spec = signature_->outputs[k];
      at::Tensor t = results[k].contiguous();
      if (t.scalar_type() != *ToTorch(spec.type)) {
        return Internal("output '" + name + "': forward() returned " +
                        std::string(c10::toString(t.scalar_type())) +
                        ", the signature declares " +
                        std::string(DataTypeName(spec.type)));
      }
      auto holder = std::make_shared<at::Tensor>(std::move(t));
      Tensor out;
      out.name = name;
      out.type = spec.type;
      out.shape = holder->sizes().vec();
      out.data = static_cast<const char*>(holder->data_ptr());
      out.byte_size = holder->numel() * holder->element_size();
      out.holder = std::move(holder);
      outputs->push_back(std::move(out));
    }
    return Status::Ok();
  }

  torch::jit::Module* const module_;  // the model's
  const Signature* const signature_;  // the model's
};

class TorchModel : public Model {
 public:
  TorchModel(torch::jit::Module module, Signature signature)
      : module_(std::move(module)), signature_(std::move(signature)) {}

  Signature signature() const override { return signature_; }

  StatusOr<std::unique_ptr<Instance>> CreateInstance(
      const InstanceSpec& spec) override {
    if (spec.kind != DeviceKind::kCpu) {
      return Unimplemented("instance '" + spec.name +
                           "': this LibTorch runtime runs on the CPU only "
                           "(Debian's libtorch has no CUDA)");
    }
    return std::unique_ptr<Instance>(new TorchInstance(&module_, &signature_));
  }

 private:
  torch::jit::Module module_;
  const Signature signature_;
};

class TorchRuntime : public Runtime {
 public:
  Status Init(const RuntimeSpec& spec) override {
    at::set_num_threads(
        static_cast<int>(std::max<uint32_t>(1, spec.thread_budget)));
    return Status::Ok();
  }

  StatusOr<std::unique_ptr<Model>> LoadModel(const ModelSpec& spec) override {
    try {
      return Load(spec);
    } catch (const std::exception& e) {
      std::string message = e.what();
      if (auto nl = message.find('\n'); nl != std::string::npos) {
        message.resize(nl);
      }
      return InvalidArgument("cannot load '" + spec.model_path +
                             "' as TorchScript: " + message);
    }
  }

 private:
  StatusOr<std::unique_ptr<Model>> Load(const ModelSpec& spec) {
    if (auto v = Param(spec, "intra_op_thread_count"); !v.empty()) {
      if (const int threads = std::atoi(v.c_str()); threads > 0)
        at::set_num_threads(threads);
    }

    torch::jit::ExtraFilesMap extra{{"signature.txt", ""}};
    torch::jit::Module module =
        torch::jit::load(spec.model_path, torch::kCPU, extra);
    module.eval();

    std::string text = extra["signature.txt"];
    std::string source = spec.model_path + " (extra file signature.txt)";
    Signature sig;
    if (text.empty()) {
      source = spec.version_path + "/signature.txt";
      std::ifstream in(source);
      if (in) {
        std::ostringstream s;
        s << in.rdbuf();
        text = s.str();
      } else if (!spec.declared.inputs.empty() &&
                 !spec.declared.outputs.empty()) {
        source = "the config's inputs and outputs";
        sig = spec.declared;
      } else {
        return InvalidArgument(
            spec.model_path +
            ": TorchScript does not record tensor types and shapes; declare "
            "the model's `input` and `output` in config.pbtxt, save the "
            "model with _extra_files={\"signature.txt\": ...} or put a "
            "signature.txt beside it (see runtimes/libtorch/)");
      }
    }
    if (!text.empty()) {
      ADLIK_ASSIGN_OR_RETURN(sig, ParseSignature(text, source));
    }
    for (const auto* list : {&sig.inputs, &sig.outputs}) {
      for (const TensorSpec& t : *list) {
        if (!ToTorch(t.type)) {
          return InvalidArgument(source + ": '" + t.name + "': type " +
                                 std::string(DataTypeName(t.type)) +
                                 " has no LibTorch equivalent");
        }
      }
    }

    // forward(self, args...): the signature names one input per argument.
    const auto& arguments =
        module.get_method("forward").function().getSchema().arguments();
    const size_t expected = arguments.empty() ? 0 : arguments.size() - 1;
    if (sig.inputs.size() != expected) {
      return InvalidArgument(
          source + ": declares " + std::to_string(sig.inputs.size()) +
          " inputs; forward() takes " + std::to_string(expected));
    }
    return std::unique_ptr<Model>(
        new TorchModel(std::move(module), std::move(sig)));
  }
};

}  // namespace
}  // namespace adlik::libtorch

ADLIK_DEFINE_RUNTIME(adlik::libtorch::TorchRuntime, "libtorch", "model.pt",
                     "pytorch_libtorch", "libtorch", "pytorch_torchscript",
                     "pytorch")
