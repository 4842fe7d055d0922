#include "repository/repository_source.h"

#include <filesystem>

#include "config/model_config.h"
#include "repository/repository.h"

namespace adlik::repository {
namespace fs = std::filesystem;

namespace {

// name:size:mtime of every regular file under `dir` (recursively or not).
// A walk cut short (an entry vanished) is marked, so that it differs from
// both the state before and the state after.
std::string Fingerprint(const fs::path& dir, bool recursive) {
  std::vector<std::string> entries;
  Status walked = ForEachEntry(dir, recursive, [&](const auto& e) {
    std::error_code ec;
    if (!e.is_regular_file(ec)) return;
    const auto size = e.file_size(ec);
    const auto mtime = e.last_write_time(ec).time_since_epoch().count();
    entries.push_back(fs::relative(e.path(), dir, ec).string() + ":" +
                      std::to_string(size) + ":" + std::to_string(mtime));
  });
  std::sort(entries.begin(), entries.end());
  std::string fp;
  for (const auto& e : entries) fp += e + ";";
  if (!walked.ok()) fp += "(incomplete: " + walked.message() + ")";
  return fp;
}

}  // namespace

StatusOr<std::vector<std::string>> FileSystemSource::ListModels() const {
  ASSIGN_OR_RETURN(std::vector<ModelDir> dirs, Scan(base_path_));
  std::vector<std::string> names;
  for (const auto& d : dirs) names.push_back(d.name);
  return names;
}

StatusOr<ModelSnapshot> FileSystemSource::Read(const std::string& name) const {
  if (!IsValidModelName(name)) {
    return InvalidArgument("'" + name +
                           "' is not a model name (no '/', not '.' or '..')");
  }
  const fs::path path = fs::path(base_path_) / name;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    return NotFound("no model folder '" + name + "' in the repository " +
                    base_path_);
  }
  ASSIGN_OR_RETURN(std::vector<ModelDir> dirs, Scan(base_path_));
  ModelSnapshot s;
  s.name = name;
  s.path = path.string();
  for (const auto& d : dirs)
    if (d.name == name) s.versions = d.versions;
  const std::string config_path = (path / "config.pbtxt").string();
  // Present means any entry of that name, so that a config.pbtxt that is a
  // folder, a FIFO, a dangling symlink or a loop is this model's error, not
  // a model without a config.
  s.has_config = fs::exists(fs::symlink_status(config_path, ec));
  if (s.has_config) {
    auto resolved = ResolveInside(path.string(), "config.pbtxt", "config");
    auto config = resolved.ok() ? config::ReadModelConfig(*resolved)
                                : StatusOr<inference::ModelConfig>(
                                      resolved.status().WithPrefix(name));
    if (config.ok()) {
      s.config = std::move(config).value();
    } else {
      s.config_status = config.status();
    }
  }
  s.model_fingerprint = Fingerprint(path, /*recursive=*/false);
  for (int64_t v : s.versions) {
    s.version_fingerprints[v] =
        Fingerprint(path / std::to_string(v), /*recursive=*/true);
  }
  return s;
}

}  // namespace adlik::repository
