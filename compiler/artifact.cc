#include "artifact.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace adlik::compiler {

std::string PropertyNames(unsigned properties) {
  std::string s;
  if (properties & kStaticShapes) s += "static";
  if (properties & kFp16) s += std::string(s.empty() ? "" : ",") + "fp16";
  if (properties & kInt8) s += std::string(s.empty() ? "" : ",") + "int8";
  return s;
}

std::string FormatName(const Format& format) {
  const std::string props = PropertyNames(format.properties);
  return props.empty() ? format.base : format.base + "(" + props + ")";
}

StatusOr<std::vector<FolderFile>> ReadFolder(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    return NotFound("'" + path + "' is not a folder");
  }
  std::vector<FolderFile> files;
  for (auto it = fs::recursive_directory_iterator(path, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    const std::string name = p.string();
    if (it->is_symlink(ec)) {
      return InvalidArgument("'" + name +
                             "' is a link; the model's folder must hold "
                             "plain files only");
    }
    if (it->is_directory(ec)) continue;
    if (!it->is_regular_file(ec)) {
      return InvalidArgument("'" + name +
                             "' is not a regular file; the model's folder "
                             "must hold plain files only");
    }
    std::ifstream in(p, std::ios::binary);
    FolderFile f{
        fs::relative(p, path).generic_string(),
        {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()}};
    if (!in.good() && !in.eof()) {
      return Internal("cannot read '" + name + "'");
    }
    files.push_back(std::move(f));
  }
  if (ec) return Internal("cannot read '" + path + "': " + ec.message());
  std::sort(
      files.begin(), files.end(),
      [](const FolderFile& a, const FolderFile& b) { return a.path < b.path; });
  return files;
}

Status WriteFolder(const std::string& path,
                   const std::vector<FolderFile>& files) {
  namespace fs = std::filesystem;
  std::error_code created;
  fs::create_directories(path, created);
  if (created) {
    return Internal("cannot create '" + path + "': " + created.message());
  }
  for (const FolderFile& f : files) {
    const fs::path file = fs::path(path) / f.path;
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    if (ec) {
      return Internal("cannot create '" + file.parent_path().string() +
                      "': " + ec.message());
    }
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(f.bytes.data(), static_cast<std::streamsize>(f.bytes.size()));
    out.close();
    if (!out) return Internal("cannot write '" + file.string() + "'");
  }
  return Status::Ok();
}

std::string SideFileName(const std::string& model_filename,
                         const SideFile& file) {
  return std::filesystem::path(model_filename)
      .replace_extension(file.extension)
      .string();
}

}  // namespace adlik::compiler
