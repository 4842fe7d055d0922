// The model repository on disk (Triton's layout, which the original Adlik
// shares):
//
//   BASE/NAME/config.pbtxt          optional
//   BASE/NAME/<labels and other files the config names>
//   BASE/NAME/VERSION/model.<ext>   VERSION: a positive integer
//
// Folders whose name is not a positive integer are not versions and are
// ignored, as are files at the top level.
//
// Thread-safety: pure functions over the file system.
#ifndef ADLIK_REPOSITORY_REPOSITORY_H_
#define ADLIK_REPOSITORY_REPOSITORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "adlik/status.h"

namespace adlik::repository {

struct ModelDir {
  std::string name;
  std::string path;               // BASE/NAME
  std::vector<int64_t> versions;  // ascending
};

// Lists the model folders of `base_path`, sorted by name. A base path that is
// not a readable folder is an error; an empty one is not.
StatusOr<std::vector<ModelDir>> Scan(const std::string& base_path);

// Names of the regular files directly inside `dir` (empty if unreadable).
std::vector<std::string> ListFiles(const std::string& dir);

// Whether `name` is a usable model name: not empty, not "." or "..", no '/'.
bool IsValidModelName(const std::string& name);

}  // namespace adlik::repository

#endif  // ADLIK_REPOSITORY_REPOSITORY_H_
