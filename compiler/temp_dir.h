// A private folder under the system's temporary folder, removed with its
// contents when the TempDir is destroyed. The compiler writes models there
// for ONNX Runtime's optimiser and for the runtimes of the numeric check.
//
// Thread-safety: each TempDir is its own folder (mkdtemp).
// Ownership: the TempDir owns the folder; moving it moves the ownership.
#ifndef ADLIK_COMPILER_TEMP_DIR_H_
#define ADLIK_COMPILER_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "adlik/status.h"

namespace adlik::compiler {

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
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_TEMP_DIR_H_
