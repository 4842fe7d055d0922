// Writing a compiled model into a model repository, in the original Adlik
// compiler's layout:
//
//   EXPORT/NAME/config.pbtxt        from the model's signature
//   EXPORT/NAME/VERSION/model.<ext> the compiled model
//   EXPORT/NAME_VERSION.zip         "config.pbtxt" and "VERSION/model.<ext>"
//
// The config names the runtime that serves the target (`backend`), the batch
// size, and every input and output with its dims (the batch dimension left
// out when max_batch_size > 0), plus dynamic_batching and instance_group when
// the request asks. It is checked with the server's own validation against
// the signature before anything is written, so what is written loads in
// adlik_serving unchanged.
//
// The version folder is written under a hidden temporary name and renamed
// into place, so a server watching the repository never sees half a model. An
// existing version is never overwritten.
//
// Thread-safety: pure functions over the file system; two writers of the same
// model and version race (one of them fails with ALREADY_EXISTS).
#ifndef ADLIK_COMPILER_REPOSITORY_WRITER_H_
#define ADLIK_COMPILER_REPOSITORY_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "adlik/status.h"
#include "adlik/tensor.h"
#include "artifact.h"
#include "config/model_config.pb.h"
#include "request.h"

namespace adlik::compiler {

// The config.pbtxt for `signature` served by `runtime` ("onnxruntime"), from
// the request's model_name, max_batch_size, input_names, input_formats and
// serving options. Errors name the request key or the tensor at fault.
StatusOr<inference::ModelConfig> MakeModelConfig(const CompileRequest& request,
                                                 std::string_view runtime,
                                                 const Signature& signature);

struct WrittenModel {
  int64_t version = 0;
  std::string model_dir;    // EXPORT/NAME
  std::string model_file;   // EXPORT/NAME/VERSION/model.<ext>
  std::string config_file;  // EXPORT/NAME/config.pbtxt
  std::string zip_file;     // EXPORT/NAME_VERSION.zip

  // The model's side files, beside model_file (EXPORT/NAME/VERSION/model.bin).
  std::vector<std::string> side_files;
};

// The version the request writes: its `version`, or one more than the
// largest version folder of EXPORT/NAME (1 if there is none).
StatusOr<int64_t> ChooseVersion(const CompileRequest& request);

// Writes the model file (named `model_filename`, e.g. "model.onnx") and its
// side files, the config and the zip package. A model that is a folder
// (`model_folder` not empty; `model_bytes` unused) is written as the folder
// `model_filename` ("model.savedmodel") holding its files, in the version
// folder and in the zip.
StatusOr<WrittenModel> WriteRepository(
    const CompileRequest& request, const inference::ModelConfig& config,
    std::string_view model_filename, std::string_view model_bytes,
    const std::vector<SideFile>& side_files = {},
    const std::vector<FolderFile>& model_folder = {});

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_REPOSITORY_WRITER_H_
