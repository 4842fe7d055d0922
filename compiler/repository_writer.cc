#include "repository_writer.h"

#include <google/protobuf/text_format.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "config/model_config.h"
#include "repository/repository.h"

namespace adlik::compiler {
namespace fs = std::filesystem;
namespace {

std::string DimsString(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

// The config dims of an engine tensor: its shape without the batch dimension.
StatusOr<std::vector<int64_t>> ConfigDims(const CompileRequest& request,
                                          const TensorSpec& spec,
                                          std::string_view kind) {
  if (request.max_batch_size == 0) return spec.shape;
  const std::string where = std::string(kind) + " '" + spec.name + "'";
  if (spec.shape.empty()) {
    return InvalidArgument(where +
                           " is a scalar, so the model has no batch "
                           "dimension: set max_batch_size to 0");
  }
  if (spec.shape[0] != -1 && spec.shape[0] != request.max_batch_size) {
    return InvalidArgument(
        where + " has shape " + DimsString(spec.shape) +
        ": its first dimension is fixed to " + std::to_string(spec.shape[0]) +
        ", so max_batch_size cannot be " +
        std::to_string(request.max_batch_size) + " (use max_batch_size " +
        std::to_string(spec.shape[0]) +
        ", or 0 to treat the first dimension as data)");
  }
  return std::vector<int64_t>(spec.shape.begin() + 1, spec.shape.end());
}

inference::ModelInput::Format ToConfigFormat(InputFormat f) {
  switch (f) {
    case InputFormat::kChannelsFirst:
      return inference::ModelInput::FORMAT_NCHW;
    case InputFormat::kChannelsLast:
      return inference::ModelInput::FORMAT_NHWC;
    default:
      return inference::ModelInput::FORMAT_NONE;
  }
}

Status WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return Internal("cannot write '" + path + "'");
  return Status::Ok();
}

// Writes `path` through a temporary file and a rename.
Status WriteFileAtomically(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  RETURN_IF_ERROR(WriteFile(tmp, bytes));
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Internal("cannot write '" + path + "': " + ec.message());
  }
  return Status::Ok();
}

Status WriteZip(
    const std::string& path,
    const std::vector<std::pair<std::string, std::string_view>>& entries) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  int error = 0;
  zip_t* zip = zip_open(tmp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (zip == nullptr) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, error);
    Status s =
        Internal("cannot create '" + path + "': " + zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return s;
  }
  for (const auto& [name, bytes] : entries) {
    zip_source_t* source =
        zip_source_buffer(zip, bytes.data(), bytes.size(), 0);
    if (source == nullptr ||
        zip_file_add(zip, name.c_str(), source, ZIP_FL_ENC_UTF_8) < 0) {
      if (source != nullptr) zip_source_free(source);
      Status s = Internal("cannot add '" + name + "' to '" + path +
                          "': " + zip_strerror(zip));
      zip_discard(zip);
      return s;
    }
  }
  if (zip_close(zip) != 0) {
    Status s = Internal("cannot write '" + path + "': " + zip_strerror(zip));
    zip_discard(zip);
    std::error_code ec;
    fs::remove(tmp, ec);
    return s;
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Internal("cannot write '" + path + "': " + ec.message());
  return Status::Ok();
}

}  // namespace

StatusOr<inference::ModelConfig> MakeModelConfig(const CompileRequest& request,
                                                 std::string_view runtime,
                                                 const Signature& signature) {
  inference::ModelConfig config;
  config.set_name(request.model_name);
  config.set_backend(std::string(runtime));
  config.set_max_batch_size(request.max_batch_size);

  std::vector<const TensorSpec*> inputs;
  if (request.input_names.empty()) {
    for (const auto& s : signature.inputs) inputs.push_back(&s);
  } else {
    std::string known;
    for (const auto& s : signature.inputs)
      known += (known.empty() ? "" : ", ") + s.name;
    for (const std::string& name : request.input_names) {
      auto it =
          std::find_if(signature.inputs.begin(), signature.inputs.end(),
                       [&](const TensorSpec& s) { return s.name == name; });
      if (it == signature.inputs.end()) {
        return InvalidArgument(
            "input_names: '" + name +
            "' is not an input of the model (its inputs: " + known + ")");
      }
      if (std::find(inputs.begin(), inputs.end(), &*it) != inputs.end()) {
        return InvalidArgument("input_names: '" + name + "' is listed twice");
      }
      inputs.push_back(&*it);
    }
    for (const auto& s : signature.inputs) {
      if (std::find(inputs.begin(), inputs.end(), &s) == inputs.end()) {
        return InvalidArgument("input_names: the model's input '" + s.name +
                               "' is missing (an ONNX model takes all its "
                               "inputs; list each one)");
      }
    }
  }
  if (!request.input_formats.empty() &&
      request.input_formats.size() != inputs.size()) {
    return InvalidArgument(
        "input_formats: " + std::to_string(request.input_formats.size()) +
        " given for " + std::to_string(inputs.size()) +
        " inputs (give one per input, null for none)");
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    ASSIGN_OR_RETURN(std::vector<int64_t> dims,
                     ConfigDims(request, *inputs[i], "input"));
    auto* in = config.add_input();
    in->set_name(inputs[i]->name);
    in->set_data_type(static_cast<inference::DataType>(inputs[i]->type));
    if (!request.input_formats.empty()) {
      in->set_format(ToConfigFormat(request.input_formats[i]));
      if (in->format() != inference::ModelInput::FORMAT_NONE &&
          dims.size() != 3) {
        return InvalidArgument(
            "input_formats: input '" + in->name() + "' has dims " +
            DimsString(dims) + "; " +
            std::string(InputFormatName(request.input_formats[i])) +
            " needs 3 (an image without the batch dimension)");
      }
    }
    for (int64_t d : dims) in->add_dims(d);
  }
  for (const auto& spec : signature.outputs) {
    ASSIGN_OR_RETURN(std::vector<int64_t> dims,
                     ConfigDims(request, spec, "output"));
    auto* out = config.add_output();
    out->set_name(spec.name);
    out->set_data_type(static_cast<inference::DataType>(spec.type));
    for (int64_t d : dims) out->add_dims(d);
  }
  if (request.dynamic_batching) {
    auto* db = config.mutable_dynamic_batching();
    for (int p : request.preferred_batch_size) {
      if (p > request.max_batch_size) {
        return InvalidArgument("preferred_batch_size: " + std::to_string(p) +
                               " is above max_batch_size " +
                               std::to_string(request.max_batch_size));
      }
      db->add_preferred_batch_size(p);
    }
    if (request.max_queue_delay_microseconds) {
      db->set_max_queue_delay_microseconds(
          *request.max_queue_delay_microseconds);
    }
  }
  if (request.instance_count || !request.instance_kind.empty()) {
    auto* group = config.add_instance_group();
    group->set_count(request.instance_count.value_or(1));
    const std::string& k = request.instance_kind;
    group->set_kind(k == "cpu"     ? inference::ModelInstanceGroup::KIND_CPU
                    : k == "gpu"   ? inference::ModelInstanceGroup::KIND_GPU
                    : k == "model" ? inference::ModelInstanceGroup::KIND_MODEL
                                   : inference::ModelInstanceGroup::KIND_AUTO);
  }
  // The server's own check: what is written here must load there.
  inference::ModelConfig checked = config;
  RETURN_IF_ERROR(config::CompleteAndValidate(signature, &checked,
                                              "the generated config.pbtxt"));
  return config;
}

StatusOr<int64_t> ChooseVersion(const CompileRequest& request) {
  if (request.version) return *request.version;
  std::error_code ec;
  if (!fs::is_directory(request.export_path, ec)) return 1;
  ASSIGN_OR_RETURN(auto models, repository::Scan(request.export_path));
  for (const auto& m : models) {
    if (m.name == request.model_name && !m.versions.empty())
      return m.versions.back() + 1;
  }
  return 1;
}

StatusOr<WrittenModel> WriteRepository(
    const CompileRequest& request, const inference::ModelConfig& config,
    std::string_view model_filename, std::string_view model_bytes,
    const std::vector<SideFile>& side_files,
    const std::vector<FolderFile>& model_folder) {
  WrittenModel w;
  ASSIGN_OR_RETURN(w.version, ChooseVersion(request));
  const fs::path model_dir = fs::path(request.export_path) / request.model_name;
  const std::string version = std::to_string(w.version);
  const fs::path version_dir = model_dir / version;
  w.model_dir = model_dir.string();
  w.model_file = (version_dir / model_filename).string();
  w.config_file = (model_dir / "config.pbtxt").string();
  w.zip_file = (fs::path(request.export_path) /
                (request.model_name + "_" + version + ".zip"))
                   .string();

  std::error_code ec;
  fs::create_directories(model_dir, ec);
  if (ec)
    return Internal("cannot create '" + w.model_dir + "': " + ec.message());
  if (fs::exists(version_dir, ec)) {
    return AlreadyExists("version " + version + " of '" + request.model_name +
                         "' exists already (" + version_dir.string() +
                         "); choose another version or leave version out");
  }
  std::string text;
  if (!google::protobuf::TextFormat::PrintToString(config, &text)) {
    return Internal("cannot print the config");
  }
  RETURN_IF_ERROR(WriteFileAtomically(w.config_file, text));

  const fs::path tmp_dir =
      model_dir / ("." + version + ".tmp." + std::to_string(getpid()));
  fs::remove_all(tmp_dir, ec);
  fs::create_directory(tmp_dir, ec);
  if (ec)
    return Internal("cannot create '" + tmp_dir.string() +
                    "': " + ec.message());
  const std::string model_path = (tmp_dir / model_filename).string();
  std::vector<std::pair<std::string, std::string_view>> zipped = {
      {"config.pbtxt", text}};
  Status written;
  if (model_folder.empty()) {
    written = WriteFile(model_path, model_bytes);
    zipped.emplace_back(version + "/" + std::string(model_filename),
                        model_bytes);
  } else {
    written = WriteFolder(model_path, model_folder);
    for (const FolderFile& f : model_folder) {
      zipped.emplace_back(
          version + "/" + std::string(model_filename) + "/" + f.path, f.bytes);
    }
  }
  for (const SideFile& f : side_files) {
    const std::string name = SideFileName(std::string(model_filename), f);
    if (written.ok()) written = WriteFile((tmp_dir / name).string(), f.bytes);
    w.side_files.push_back((version_dir / name).string());
    zipped.emplace_back(version + "/" + name, f.bytes);
  }
  if (written.ok()) {
    fs::rename(tmp_dir, version_dir, ec);
    if (ec) {
      written = AlreadyExists("cannot create '" + version_dir.string() +
                              "': " + ec.message());
    }
  }
  if (!written.ok()) {
    fs::remove_all(tmp_dir, ec);
    return written;
  }
  RETURN_IF_ERROR(WriteZip(w.zip_file, zipped));
  return w;
}

}  // namespace adlik::compiler
