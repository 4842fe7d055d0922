// The TensorFlow runtime's engine: libadlik_tensorflow_engine.so, which
// libadlik_runtime_tensorflow.so (loader.cc) loads and forwards to. It serves
// TensorFlow SavedModels (platform "tensorflow_savedmodel"; the version
// folder's model.savedmodel/ is the SavedModel folder) through TensorFlow's C
// API (TF_LoadSessionFromSavedModel, TF_SessionRun), which keeps the plugin
// free of TensorFlow's C++ ABI.
//
// The served signature is the config parameter TF_SIGNATURE_DEF (default
// serving_default) of the MetaGraphDef tagged TF_GRAPH_TAG (default serve),
// the parameters of Triton's TensorFlow backend. Tensors take the
// signature's keys as names; the config completes from the signature (type,
// shape, -1 where unknown). With max_batch_size > 0 every tensor's first
// dimension must be the signature's unknown batch dimension.
//
// One TF_Session per model version, shared by its instances (TF_SessionRun
// is thread-safe). Inputs wrap the batch's bytes when they are aligned as
// TensorFlow needs (TF_NewTensor copies them otherwise); BYTES inputs become
// TF_TString tensors. Outputs are handed to the server without a copy (the
// response holds the TF_Tensor), except one that shares memory with an input,
// which is copied.
//
// Threads: TensorFlow's sessions share process-wide intra-op and inter-op
// pools, sized by the first session's options: both are the server's thread
// budget (--cores), set through the session's ConfigProto.
//
// Network: loading and running a SavedModel through the C API opens no
// socket (TensorFlow's gRPC runtime starts only for a distributed session,
// which this runtime never creates).
//
// Thread-safety: as the SDK states; a Model is immutable after LoadModel.
#include <tensorflow/c/c_api.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adlik/bytes_tensor.h"
#include "adlik/runtime.h"
#include "signature_def.h"

namespace adlik::tensorflow {
namespace {

std::optional<DataType> FromTf(int dtype) {
  switch (dtype) {
    case TF_BOOL:
      return DataType::kBool;
    case TF_UINT8:
      return DataType::kUint8;
    case TF_UINT16:
      return DataType::kUint16;
    case TF_UINT32:
      return DataType::kUint32;
    case TF_UINT64:
      return DataType::kUint64;
    case TF_INT8:
      return DataType::kInt8;
    case TF_INT16:
      return DataType::kInt16;
    case TF_INT32:
      return DataType::kInt32;
    case TF_INT64:
      return DataType::kInt64;
    case TF_HALF:
      return DataType::kFp16;
    case TF_FLOAT:
      return DataType::kFp32;
    case TF_DOUBLE:
      return DataType::kFp64;
    case TF_BFLOAT16:
      return DataType::kBf16;
    case TF_STRING:
      return DataType::kBytes;
    default:
      return std::nullopt;  // complex, quantized, resource, variant, ...
  }
}

struct StatusDeleter {
  void operator()(TF_Status* s) const { TF_DeleteStatus(s); }
};
struct TensorDeleter {
  void operator()(TF_Tensor* t) const { TF_DeleteTensor(t); }
};
struct GraphDeleter {
  void operator()(TF_Graph* g) const { TF_DeleteGraph(g); }
};
struct BufferDeleter {
  void operator()(TF_Buffer* b) const { TF_DeleteBuffer(b); }
};
struct OptionsDeleter {
  void operator()(TF_SessionOptions* o) const { TF_DeleteSessionOptions(o); }
};
struct SessionDeleter {
  void operator()(TF_Session* s) const {
    std::unique_ptr<TF_Status, StatusDeleter> status(TF_NewStatus());
    TF_CloseSession(s, status.get());
    TF_DeleteSession(s, status.get());
  }
};
using StatusPtr = std::unique_ptr<TF_Status, StatusDeleter>;
using TensorPtr = std::unique_ptr<TF_Tensor, TensorDeleter>;

// A serialized tensorflow.ConfigProto setting intra_op_parallelism_threads
// (field 2) and inter_op_parallelism_threads (field 5), both varints.
std::string ThreadConfig(uint32_t threads) {
  std::string bytes;
  for (char tag : {char{0x10}, char{0x28}}) {
    bytes.push_back(tag);
    for (uint32_t v = threads;; v >>= 7) {
      if (v < 0x80) {
        bytes.push_back(static_cast<char>(v));
        break;
      }
      bytes.push_back(static_cast<char>((v & 0x7f) | 0x80));
    }
  }
  return bytes;
}

// One tensor of the served signature.
struct Port {
  TensorSpec spec;
  TF_Output output;
  TF_DataType dtype;
};

StatusOr<Port> MakePort(TF_Graph* graph, const TensorInfo& info,
                        const char* kind, int max_batch_size) {
  const std::string what = std::string(kind) + " '" + info.key + "'";
  if (info.tensor.empty()) {
    return Unimplemented(what +
                         " is not a dense tensor (a sparse or composite "
                         "one), which the KServe protocol cannot carry");
  }
  const std::optional<DataType> type = FromTf(info.dtype);
  if (!type) {
    return Unimplemented(what + " has TensorFlow DataType " +
                         std::to_string(info.dtype) +
                         ", which the KServe protocol cannot carry");
  }
  if (!info.shape) {
    return Unimplemented(what + " has an unknown rank; the runtime needs it");
  }
  if (max_batch_size > 0 && (info.shape->empty() || (*info.shape)[0] != -1)) {
    return InvalidArgument(
        what +
        " has no unknown first dimension to batch on; set max_batch_size 0");
  }
  // "op:index"; a bare "op" is output 0.
  std::string op = info.tensor;
  int index = 0;
  if (const size_t colon = op.rfind(':'); colon != std::string::npos) {
    index = std::atoi(op.c_str() + colon + 1);
    op.resize(colon);
  }
  TF_Operation* oper = TF_GraphOperationByName(graph, op.c_str());
  if (oper == nullptr) {
    return InvalidArgument(what + " names tensor '" + info.tensor +
                           "', which is not in the graph");
  }
  return Port{{info.key, *type, *info.shape},
              {oper, index},
              static_cast<TF_DataType>(info.dtype)};
}

// A TF_STRING tensor holding the elements of a serialized BYTES tensor.
StatusOr<TensorPtr> StringTensor(const TensorView& in) {
  const int64_t count = ElementCount(in.shape);
  ADLIK_ASSIGN_OR_RETURN(
      std::vector<std::string_view> elements,
      SplitBytesElements(std::string_view(in.data, in.byte_size), count));
  TensorPtr t(TF_AllocateTensor(TF_STRING, in.shape.data(),
                                static_cast<int>(in.shape.size()),
                                elements.size() * sizeof(TF_TString)));
  auto* strings = static_cast<TF_TString*>(TF_TensorData(t.get()));
  for (size_t i = 0; i < elements.size(); ++i) {
    TF_StringInit(&strings[i]);
    TF_StringCopy(&strings[i], elements[i].data(), elements[i].size());
  }
  return t;
}

void NoDeallocation(void*, size_t, void*) {}

// The server checks that the model folder resolves inside the repository;
// TensorFlow then reads every file in it, so a link in it must stay inside
// it too. "" when none leaves, else what is wrong.
std::string LinkOutside(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path real_root = fs::canonical(root, ec);
  if (ec) return "cannot resolve it: " + ec.message();
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (!it->is_symlink(ec)) continue;
    const fs::path target = fs::canonical(it->path(), ec);
    const std::string inside = real_root.string() + "/";
    if (ec || !target.string().starts_with(inside)) {
      return "'" + it->path().string() +
             "' links outside the SavedModel folder";
    }
  }
  return ec ? "cannot list it: " + ec.message() : "";
}

class TfModel;

class TfInstance : public Instance {
 public:
  explicit TfInstance(const TfModel* model) : model_(model) {}
  Status Execute(Batch& batch) override;

 private:
  const TfModel* const model_;  // not owned
};

class TfModel : public Model {
 public:
  TfModel(std::unique_ptr<TF_Graph, GraphDeleter> graph,
          std::unique_ptr<TF_Session, SessionDeleter> session,
          std::vector<Port> inputs, std::vector<Port> outputs)
      : graph_(std::move(graph)),
        session_(std::move(session)),
        inputs_(std::move(inputs)),
        outputs_(std::move(outputs)) {}

  Signature signature() const override {
    Signature sig;
    for (const Port& p : inputs_) sig.inputs.push_back(p.spec);
    for (const Port& p : outputs_) sig.outputs.push_back(p.spec);
    return sig;
  }

  StatusOr<std::unique_ptr<Instance>> CreateInstance(
      const InstanceSpec& spec) override {
    if (spec.kind != DeviceKind::kCpu) {
      return Unimplemented(
          "the TensorFlow runtime runs on KIND_CPU instances only");
    }
    return std::unique_ptr<Instance>(new TfInstance(this));
  }

  Status Run(Batch& batch) const;

 private:
  const std::unique_ptr<TF_Graph, GraphDeleter> graph_;
  const std::unique_ptr<TF_Session, SessionDeleter> session_;
  const std::vector<Port> inputs_, outputs_;
};

Status TfInstance::Execute(Batch& batch) { return model_->Run(batch); }

Status TfModel::Run(Batch& batch) const {
  std::vector<TF_Output> in_ports;
  std::vector<TensorPtr> in_tensors;
  std::vector<TF_Tensor*> in_values;
  for (const Port& port : inputs_) {
    const TensorView* in = nullptr;
    for (const TensorView& t : batch.inputs())
      if (t.name == port.spec.name) in = &t;
    if (in == nullptr)
      return InvalidArgument("tensorflow: no input '" + port.spec.name + "'");
    TensorPtr tensor;
    if (port.dtype == TF_STRING) {
      ADLIK_ASSIGN_OR_RETURN(tensor, StringTensor(*in));
    } else {
      // TensorFlow reads an input and never writes it.
      tensor.reset(TF_NewTensor(port.dtype, in->shape.data(),
                                static_cast<int>(in->shape.size()),
                                const_cast<char*>(in->data), in->byte_size,
                                &NoDeallocation, nullptr));
    }
    if (tensor == nullptr) {
      return InvalidArgument("tensorflow: input '" + port.spec.name +
                             "': its bytes do not fit its type and shape");
    }
    in_ports.push_back(port.output);
    in_values.push_back(tensor.get());
    in_tensors.push_back(std::move(tensor));
  }
  std::vector<const Port*> wanted;
  for (const std::string& name : batch.output_names()) {
    auto at = std::find_if(outputs_.begin(), outputs_.end(),
                           [&](const Port& p) { return p.spec.name == name; });
    if (at == outputs_.end())
      return InvalidArgument("tensorflow: the model has no output '" + name +
                             "'");
    wanted.push_back(&*at);
  }
  std::vector<TF_Output> out_ports;
  for (const Port* p : wanted) out_ports.push_back(p->output);
  std::vector<TF_Tensor*> out_values(wanted.size(), nullptr);
  StatusPtr status(TF_NewStatus());
  TF_SessionRun(session_.get(), nullptr, in_ports.data(), in_values.data(),
                static_cast<int>(in_ports.size()), out_ports.data(),
                out_values.data(), static_cast<int>(out_ports.size()), nullptr,
                0, nullptr, status.get());
  std::vector<TensorPtr> outs;
  for (TF_Tensor* t : out_values) outs.emplace_back(t);
  if (TF_GetCode(status.get()) != TF_OK)
    return Internal(std::string("tensorflow: ") + TF_Message(status.get()));

  for (size_t i = 0; i < wanted.size(); ++i) {
    TF_Tensor* t = outs[i].get();
    const Port& port = *wanted[i];
    std::vector<int64_t> shape(TF_NumDims(t));
    for (size_t d = 0; d < shape.size(); ++d)
      shape[d] = TF_Dim(t, static_cast<int>(d));
    if (TF_TensorType(t) != port.dtype)
      return Internal("tensorflow: output '" + port.spec.name +
                      "' changed type");
    const char* data = static_cast<const char*>(TF_TensorData(t));
    const size_t bytes = TF_TensorByteSize(t);
    if (port.dtype == TF_STRING) {
      std::string serialized;
      const auto* strings = reinterpret_cast<const TF_TString*>(data);
      for (int64_t e = 0, n = ElementCount(shape); e < n; ++e) {
        AppendBytesElement(
            std::string_view(TF_StringGetDataPointer(&strings[e]),
                             TF_StringGetSize(&strings[e])),
            &serialized);
      }
      ADLIK_RETURN_IF_ERROR(batch.AdoptOutput(Tensor::FromBytes(
          port.spec.name, port.spec.type, shape, std::move(serialized))));
      continue;
    }
    // An output may share memory with an input (an identity, a slice), which
    // the server frees once Execute returns: copy that one.
    const bool aliases_input = std::any_of(
        in_tensors.begin(), in_tensors.end(), [&](const TensorPtr& in) {
          const char* b = static_cast<const char*>(TF_TensorData(in.get()));
          return data < b + TF_TensorByteSize(in.get()) && b < data + bytes;
        });
    if (aliases_input) {
      ADLIK_ASSIGN_OR_RETURN(
          char* buffer,
          batch.AllocateOutput(port.spec.name, port.spec.type, shape));
      if (bytes != 0) std::memcpy(buffer, data, bytes);
      continue;
    }
    Tensor out{port.spec.name, port.spec.type, shape, data, bytes, nullptr};
    out.holder =
        std::shared_ptr<const void>(outs[i].release(), [](const void* p) {
          TF_DeleteTensor(static_cast<TF_Tensor*>(const_cast<void*>(p)));
        });
    ADLIK_RETURN_IF_ERROR(batch.AdoptOutput(std::move(out)));
  }
  return Status::Ok();
}

class TfRuntime : public Runtime {
 public:
  Status Init(const RuntimeSpec& spec) override {
    threads_ = std::max<uint32_t>(1, spec.thread_budget);
    Log(ADLIK_LOG_INFO, std::string("tensorflow: ") + TF_Version() + ", " +
                            std::to_string(threads_) +
                            " intra-op and inter-op threads");
    return Status::Ok();
  }

  StatusOr<std::unique_ptr<Model>> LoadModel(const ModelSpec& spec) override {
    const std::string& path = spec.model_path;
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) {
      return Unavailable(
          "'" + path + "' " +
          (std::filesystem::exists(path, ec) ? "is not a folder"
                                             : "does not exist") +
          ": a TensorFlow SavedModel is a folder holding saved_model.pb");
    }
    if (const std::string bad = LinkOutside(path); !bad.empty())
      return InvalidArgument("'" + path + "': " + bad);
    const std::string tag = spec.Parameter("TF_GRAPH_TAG").empty()
                                ? "serve"
                                : spec.Parameter("TF_GRAPH_TAG");
    const std::string name = spec.Parameter("TF_SIGNATURE_DEF").empty()
                                 ? "serving_default"
                                 : spec.Parameter("TF_SIGNATURE_DEF");

    StatusPtr status(TF_NewStatus());
    std::unique_ptr<TF_SessionOptions, OptionsDeleter> options(
        TF_NewSessionOptions());
    const std::string config = ThreadConfig(threads_);
    TF_SetConfig(options.get(), config.data(), config.size(), status.get());
    if (TF_GetCode(status.get()) != TF_OK)
      return Internal(std::string("tensorflow: ") + TF_Message(status.get()));
    std::unique_ptr<TF_Graph, GraphDeleter> graph(TF_NewGraph());
    std::unique_ptr<TF_Buffer, BufferDeleter> meta(TF_NewBuffer());
    const char* tags[] = {tag.c_str()};
    std::unique_ptr<TF_Session, SessionDeleter> session(
        TF_LoadSessionFromSavedModel(options.get(), nullptr, path.c_str(), tags,
                                     1, graph.get(), meta.get(), status.get()));
    if (TF_GetCode(status.get()) != TF_OK || session == nullptr) {
      return Unavailable("cannot load the SavedModel '" + path + "' (tag '" +
                         tag + "'): " + TF_Message(status.get()));
    }
    auto defs = ParseSignatureDefs(
        std::string_view(static_cast<const char*>(meta->data), meta->length));
    if (!defs.ok()) {
      return Unavailable("'" + path + "': " + defs.status().message());
    }
    auto found = defs->find(name);
    if (found == defs->end()) {
      std::string names;
      for (const auto& [n, unused] : *defs)
        if (!n.starts_with("__")) names += (names.empty() ? "" : ", ") + n;
      return InvalidArgument("'" + path + "' has no signature '" + name +
                             "' (parameter TF_SIGNATURE_DEF); it has: " +
                             (names.empty() ? "none" : names));
    }
    std::vector<Port> inputs, outputs;
    for (const TensorInfo& t : found->second.inputs) {
      ADLIK_ASSIGN_OR_RETURN(
          Port p, MakePort(graph.get(), t, "input", spec.max_batch_size));
      inputs.push_back(std::move(p));
    }
    for (const TensorInfo& t : found->second.outputs) {
      ADLIK_ASSIGN_OR_RETURN(
          Port p, MakePort(graph.get(), t, "output", spec.max_batch_size));
      outputs.push_back(std::move(p));
    }
    return std::unique_ptr<Model>(
        new TfModel(std::move(graph), std::move(session), std::move(inputs),
                    std::move(outputs)));
  }

 private:
  uint32_t threads_ = 1;
};

}  // namespace
}  // namespace adlik::tensorflow

ADLIK_DEFINE_RUNTIME(adlik::tensorflow::TfRuntime, "tensorflow",
                     "model.savedmodel", "tensorflow_savedmodel")
