// The treelite runtime: libadlik_runtime_treelite.so, serving decision-tree
// ensembles (XGBoost, LightGBM, scikit-learn through a treelite checkpoint)
// with treelite's GTIL predictor (platform "treelite"; default file
// model.json, an XGBoost JSON model).
//
// The file's format comes from the config parameter `model_type` (the names
// of Triton's FIL backend), else from the file's extension:
//   xgboost_json         .json  XGBoost JSON (Booster.save_model("m.json"))
//   xgboost_ubj          .ubj   XGBoost UBJSON
//   lightgbm             .txt   LightGBM text (Booster.save_model)
//   treelite_checkpoint  .tl    treelite's own (Model.serialize, e.g. after
//                                treelite.sklearn.import_model)
// so a LightGBM model is served with `default_model_filename: "model.txt"`.
//
// Tensors (the names of Triton's FIL backend): input__0, [rows, features] of
// the model's input type (FP32 or FP64), and output__0, [rows, targets,
// classes] of its output type: GTIL's prediction per row, after the model's
// own post-processing (probabilities for a classifier) unless the parameter
// predict_type is "raw" (margin scores). Rows are independent: a batch of
// any size is one predict call over its rows, so both max_batch_size 0 and
// > 0 work, and dynamic batching merges requests into more rows.
//
// One treelite model per model version, shared by its instances (GTIL only
// reads it); each prediction writes straight into the response's buffer.
//
// Config parameters (optional, string values):
//   model_type     see above
//   predict_type   default | raw
//   nthread        OpenMP threads of one prediction; default the server's
//                  thread budget (--cores)
//
// Thread-safety: as the SDK states; a Model is immutable after LoadModel.
#include <treelite/c_api.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "adlik/runtime.h"

namespace adlik::treelite {
namespace {

std::string LastError() { return TreeliteGetLastError(); }

StatusOr<DataType> TypeOf(const char* treelite_type, const char* what) {
  const std::string t = treelite_type != nullptr ? treelite_type : "";
  if (t == "float32") return DataType::kFp32;
  if (t == "float64") return DataType::kFp64;
  return Unimplemented(std::string(what) + " type '" + t +
                       "' is neither float32 nor float64");
}

// Owns a TreeliteModelHandle / TreeliteGTILConfigHandle.
struct ModelDeleter {
  void operator()(void* h) const { TreeliteFreeModel(h); }
};
struct ConfigDeleter {
  void operator()(void* h) const { TreeliteGTILDeleteConfig(h); }
};
using ModelHandle = std::unique_ptr<void, ModelDeleter>;
using ConfigHandle = std::unique_ptr<void, ConfigDeleter>;

// Loads `path` in the format `type` ("" picks it from the extension).
StatusOr<ModelHandle> LoadFile(const std::string& path, std::string type) {
  if (type.empty()) {
    const std::string ext = std::filesystem::path(path).extension().string();
    if (ext == ".json")
      type = "xgboost_json";
    else if (ext == ".ubj")
      type = "xgboost_ubj";
    else if (ext == ".txt")
      type = "lightgbm";
    else if (ext == ".tl")
      type = "treelite_checkpoint";
    else
      return InvalidArgument(
          "'" + path +
          "': cannot tell its format from the extension (.json, .ubj, .txt "
          "or .tl); set the parameter model_type");
  }
  TreeliteModelHandle h = nullptr;
  int rc = -1;
  if (type == "xgboost_json") {
    rc = TreeliteLoadXGBoostModelJSON(path.c_str(), "{}", &h);
  } else if (type == "xgboost_ubj") {
    rc = TreeliteLoadXGBoostModelUBJSON(path.c_str(), "{}", &h);
  } else if (type == "lightgbm") {
    rc = TreeliteLoadLightGBMModel(path.c_str(), "{}", &h);
  } else if (type == "treelite_checkpoint") {
    rc = TreeliteDeserializeModelFromFile(path.c_str(), &h);
  } else {
    return InvalidArgument("parameter model_type: '" + type +
                           "' is not one of xgboost_json, xgboost_ubj, "
                           "lightgbm, treelite_checkpoint");
  }
  if (rc != 0) {
    return InvalidArgument("cannot load '" + path + "' as " + type + ": " +
                           LastError());
  }
  return ModelHandle(h);
}

class TreeliteModel;

class TreeliteInstance : public Instance {
 public:
  explicit TreeliteInstance(const TreeliteModel* model) : model_(model) {}
  Status Execute(Batch& batch) override;

 private:
  const TreeliteModel* const model_;  // not owned
};

class TreeliteModel : public Model {
 public:
  TreeliteModel(ModelHandle model, ConfigHandle config, Signature signature,
                std::string input_type)
      : model_(std::move(model)),
        config_(std::move(config)),
        signature_(std::move(signature)),
        input_type_(std::move(input_type)) {}

  Signature signature() const override { return signature_; }

  StatusOr<std::unique_ptr<Instance>> CreateInstance(
      const InstanceSpec& spec) override {
    if (spec.kind != DeviceKind::kCpu) {
      return Unimplemented(
          "the treelite runtime runs on KIND_CPU instances only");
    }
    return std::unique_ptr<Instance>(new TreeliteInstance(this));
  }

  // Predicts `rows` rows of `input` into `output` (rows x output row size).
  Status Predict(const char* input, uint64_t rows, char* output) const {
    if (TreeliteGTILPredict(model_.get(), input, input_type_.c_str(), rows,
                            output, config_.get()) != 0) {
      return Internal("treelite: " + LastError());
    }
    return Status::Ok();
  }

  const TensorSpec& input() const { return signature_.inputs[0]; }
  const TensorSpec& output() const { return signature_.outputs[0]; }

 private:
  const ModelHandle model_;
  const ConfigHandle config_;
  const Signature signature_;
  const std::string input_type_;  // "float32" or "float64"
};

Status TreeliteInstance::Execute(Batch& batch) {
  const TensorSpec& in = model_->input();
  const TensorSpec& out = model_->output();
  const TensorView* x = nullptr;
  for (const TensorView& t : batch.inputs())
    if (t.name == in.name) x = &t;
  if (x == nullptr) return InvalidArgument("treelite: no input " + in.name);
  if (x->shape.size() != 2 || x->shape[1] != in.shape[1]) {
    return InvalidArgument("treelite: " + in.name + " must be [rows, " +
                           std::to_string(in.shape[1]) + "]");
  }
  const int64_t rows = x->shape[0];
  // GTIL reads the rows as an array of the input type: copy them when the
  // server's buffer is not aligned for it.
  std::vector<char> aligned;
  const char* data = x->data;
  if (reinterpret_cast<uintptr_t>(data) % DataTypeSize(in.type) != 0) {
    aligned.assign(data, data + x->byte_size);
    data = aligned.data();
  }
  std::vector<int64_t> shape = out.shape;
  shape[0] = rows;
  for (const std::string& name : batch.output_names()) {
    if (name != out.name) {
      return InvalidArgument("treelite: the model has no output '" + name +
                             "'");
    }
    ADLIK_ASSIGN_OR_RETURN(char* buffer,
                           batch.AllocateOutput(out.name, out.type, shape));
    if (rows == 0) continue;
    ADLIK_RETURN_IF_ERROR(
        model_->Predict(data, static_cast<uint64_t>(rows), buffer));
  }
  return Status::Ok();
}

class TreeliteRuntime : public Runtime {
 public:
  Status Init(const RuntimeSpec& spec) override {
    thread_budget_ = std::max<uint32_t>(1, spec.thread_budget);
    return Status::Ok();
  }

  StatusOr<std::unique_ptr<Model>> LoadModel(const ModelSpec& spec) override {
    ADLIK_ASSIGN_OR_RETURN(
        ModelHandle model,
        LoadFile(spec.model_path, spec.Parameter("model_type")));
    const std::string predict_type = spec.Parameter("predict_type").empty()
                                         ? "default"
                                         : spec.Parameter("predict_type");
    if (predict_type != "default" && predict_type != "raw") {
      return InvalidArgument("parameter predict_type: '" + predict_type +
                             "' is neither default nor raw");
    }
    int nthread = static_cast<int>(thread_budget_);
    if (const std::string v = spec.Parameter("nthread"); !v.empty()) {
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), nthread);
      if (ec != std::errc() || end != v.data() + v.size() || nthread < 1 ||
          nthread > 1024) {
        return InvalidArgument("parameter nthread: '" + v +
                               "' is not a whole number in 1..1024");
      }
    }
    TreeliteGTILConfigHandle c = nullptr;
    const std::string config_json =
        "{\"predict_type\": \"" + predict_type +
        "\", \"nthread\": " + std::to_string(nthread) + "}";
    if (TreeliteGTILParseConfig(config_json.c_str(), &c) != 0)
      return Internal("treelite: " + LastError());
    ConfigHandle config(c);

    const char* input_type = nullptr;
    const char* output_type = nullptr;
    int features = 0;
    const uint64_t* out_shape = nullptr;
    uint64_t out_rank = 0;
    if (TreeliteGetInputType(model.get(), &input_type) != 0 ||
        TreeliteGetOutputType(model.get(), &output_type) != 0 ||
        TreeliteQueryNumFeature(model.get(), &features) != 0 ||
        TreeliteGTILGetOutputShape(model.get(), 1, config.get(), &out_shape,
                                   &out_rank) != 0) {
      return Internal("treelite: '" + spec.model_path + "': " + LastError());
    }
    ADLIK_ASSIGN_OR_RETURN(DataType in_type, TypeOf(input_type, "input"));
    ADLIK_ASSIGN_OR_RETURN(DataType out_type, TypeOf(output_type, "output"));
    Signature sig;
    sig.inputs.push_back({"input__0", in_type, {-1, features}});
    TensorSpec out{"output__0", out_type, {-1}};
    for (uint64_t i = 1; i < out_rank; ++i)
      out.shape.push_back(static_cast<int64_t>(out_shape[i]));
    sig.outputs.push_back(std::move(out));
    return std::unique_ptr<Model>(new TreeliteModel(
        std::move(model), std::move(config), std::move(sig), input_type));
  }

 private:
  uint32_t thread_budget_ = 1;
};

}  // namespace
}  // namespace adlik::treelite

ADLIK_DEFINE_RUNTIME(adlik::treelite::TreeliteRuntime, "treelite", "model.json",
                     "treelite")
