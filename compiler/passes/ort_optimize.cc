#include "passes/ort_optimize.h"

#include <stdlib.h>

#include <filesystem>

#include "onnx_model.h"
#include "ort_model.h"

namespace adlik::compiler {
namespace {

// A folder under the system's temporary folder, removed on destruction.
class TempDir {
 public:
  static StatusOr<TempDir> Create() {
    std::error_code ec;
    std::string pattern =
        (std::filesystem::temp_directory_path(ec) / "adlik_compiler_XXXXXX")
            .string();
    if (ec || mkdtemp(pattern.data()) == nullptr) {
      return Internal("cannot create a temporary folder under " +
                      std::filesystem::temp_directory_path(ec).string());
    }
    return TempDir(pattern);
  }
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) {
    other.path_.clear();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace

StatusOr<onnx::ModelProto> OptimizeWithOrt(const onnx::ModelProto& model,
                                           std::string_view level) {
  ASSIGN_OR_RETURN(std::string bytes, SerializeOnnx(model));
  ASSIGN_OR_RETURN(TempDir dir, TempDir::Create());
  OrtModel::Options options;
  options.optimization_level = std::string(level);
  options.optimized_model_path = dir.path() + "/optimized.onnx";
  options.intra_op_threads = 1;
  { ASSIGN_OR_RETURN(auto session, OrtModel::Create(bytes, options)); }
  auto optimized = ReadOnnxFile(options.optimized_model_path);
  if (!optimized.ok()) {
    return Internal("ONNX Runtime did not write the optimised model: " +
                    optimized.status().message());
  }
  return optimized;
}

}  // namespace adlik::compiler
