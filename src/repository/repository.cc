#include "repository/repository.h"

#include <algorithm>
#include <charconv>
#include <filesystem>

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

StatusOr<std::vector<ModelDir>> Scan(const std::string& base_path) {
  std::error_code ec;
  if (!fs::is_directory(base_path, ec)) {
    return NotFound("model repository '" + base_path + "' is not a folder");
  }
  std::vector<ModelDir> models;
  fs::directory_iterator it(base_path, ec);
  if (ec) {
    return NotFound("model repository '" + base_path + "': " + ec.message());
  }
  for (const auto& entry : it) {
    if (!entry.is_directory(ec)) continue;
    std::string name = entry.path().filename().string();
    if (name.starts_with(".")) continue;
    ModelDir model{name, entry.path().string(), {}};
    for (const auto& sub : fs::directory_iterator(entry.path(), ec)) {
      int64_t v;
      if (sub.is_directory(ec) &&
          ParseVersion(sub.path().filename().string(), &v))
        model.versions.push_back(v);
    }
    std::sort(model.versions.begin(), model.versions.end());
    models.push_back(std::move(model));
  }
  std::sort(
      models.begin(), models.end(),
      [](const ModelDir& a, const ModelDir& b) { return a.name < b.name; });
  return models;
}

std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec))
      files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace adlik::repository
