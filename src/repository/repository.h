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
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
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

// Names of the regular files and folders directly inside `dir`, sorted
// (empty if unreadable): a model file may be a folder (a TensorFlow
// SavedModel's model.savedmodel).
std::vector<std::string> ListEntries(const std::string& dir);

// The path of the file `name` (relative, as a config gives it) inside
// `folder`, after following every symlink. INVALID_ARGUMENT, in the same
// words whether or not such a file exists, when it is absolute or resolves
// outside `folder` (`..`, a symlink out, a loop); NOT_FOUND when it is inside
// but missing; INVALID_ARGUMENT when it is not a regular file (a FIFO, a
// device, or a folder unless `folder_ok`: a model "file" may be a folder, as
// a TensorFlow SavedModel is). `what` names the file in messages
// ("label_filename").
StatusOr<std::string> ResolveInside(const std::string& folder,
                                    const std::string& name,
                                    std::string_view what,
                                    bool folder_ok = false);

// Calls `f` for each entry of `dir` (and of its subfolders when
// `recursive`). An entry that vanishes or a folder that cannot be read ends
// the walk with UNAVAILABLE naming it; nothing throws.
Status ForEachEntry(
    const std::filesystem::path& dir, bool recursive,
    const std::function<void(const std::filesystem::directory_entry&)>& f);

// Whether `name` is a usable model name: not empty, not "." or "..", no '/'.
bool IsValidModelName(const std::string& name);

}  // namespace adlik::repository

#endif  // ADLIK_REPOSITORY_REPOSITORY_H_
