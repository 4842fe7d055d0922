#include "repository/repository.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <functional>

namespace adlik::repository {
namespace fs = std::filesystem;

namespace {
bool ParseVersion(const std::string& s, int64_t* v) {
  if (s.empty() || s.size() > 18 || s[0] == '0') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size() && *v > 0;
}
}  // namespace

bool IsValidModelName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

Status ForEachEntry(const fs::path& dir, bool recursive,
                    const std::function<void(const fs::directory_entry&)>& f) {
  std::error_code ec;
  auto walk = [&](auto it) {
    for (; !ec && it != decltype(it)(); it.increment(ec)) f(*it);
  };
  if (recursive) {
    walk(fs::recursive_directory_iterator(dir, ec));
  } else {
    walk(fs::directory_iterator(dir, ec));
  }
  if (ec) return Unavailable(dir.string() + ": " + ec.message());
  return Status::Ok();
}

StatusOr<std::vector<ModelDir>> Scan(const std::string& base_path) {
  std::error_code ec;
  if (!fs::is_directory(base_path, ec)) {
    return NotFound("model repository '" + base_path + "' is not a folder");
  }
  std::vector<std::string> names;
  Status listed = ForEachEntry(base_path, false, [&](const auto& entry) {
    std::error_code ec;
    std::string name = entry.path().filename().string();
    if (entry.is_directory(ec) && !name.starts_with("."))
      names.push_back(std::move(name));
  });
  if (!listed.ok()) {
    return NotFound("model repository '" + base_path +
                    "' cannot be read: " + listed.message());
  }
  std::vector<ModelDir> models;
  for (std::string& name : names) {
    ModelDir model{name, (fs::path(base_path) / name).string(), {}};
    // A model folder that vanishes or cannot be read while the scan runs
    // lists no versions; reading the model then says why.
    (void)ForEachEntry(model.path, false, [&](const auto& sub) {
      std::error_code ec;
      int64_t v;
      if (sub.is_directory(ec) &&
          ParseVersion(sub.path().filename().string(), &v))
        model.versions.push_back(v);
    });
    std::sort(model.versions.begin(), model.versions.end());
    models.push_back(std::move(model));
  }
  std::sort(
      models.begin(), models.end(),
      [](const ModelDir& a, const ModelDir& b) { return a.name < b.name; });
  return models;
}

std::vector<std::string> ListEntries(const std::string& dir) {
  std::vector<std::string> files;
  (void)ForEachEntry(dir, false, [&](const auto& entry) {
    std::error_code ec;
    if (entry.is_regular_file(ec) || entry.is_directory(ec))
      files.push_back(entry.path().filename().string());
  });
  std::sort(files.begin(), files.end());
  return files;
}

StatusOr<std::string> ResolveInside(const std::string& folder,
                                    const std::string& name,
                                    std::string_view what, bool folder_ok) {
  const auto outside = [&] {
    return InvalidArgument(std::string(what) + " '" + name +
                           "' must name a file inside the model's folder");
  };
  const fs::path relative(name);
  if (name.empty() || relative.is_absolute() ||
      name.find('\0') != std::string::npos)
    return outside();
  std::error_code ec;
  const fs::path root = fs::canonical(folder, ec);
  if (ec) return NotFound("model folder " + folder + ": " + ec.message());
  // Resolves every symlink of the part that exists; a loop or an unreadable
  // folder on the way fails, reported as outside (saying nothing of what is
  // there).
  const fs::path full = fs::weakly_canonical(root / relative, ec);
  if (ec) return outside();
  auto [r, f] =
      std::mismatch(root.begin(), root.end(), full.begin(), full.end());
  if (r != root.end() || f == full.end()) return outside();
  const fs::file_status status = fs::status(full, ec);
  if (ec || !fs::exists(status)) {
    return NotFound(std::string(what) + " " +
                    (fs::path(folder) / relative).string() + " does not exist");
  }
  if (!fs::is_regular_file(status) &&
      !(folder_ok && fs::is_directory(status))) {
    return InvalidArgument(std::string(what) + " " +
                           (fs::path(folder) / relative).string() +
                           (folder_ok ? " is not a regular file or a folder"
                                      : " is not a regular file"));
  }
  return full.string();
}

}  // namespace adlik::repository
