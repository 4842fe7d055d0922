#include "artifact.h"

#include <filesystem>

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

std::string SideFileName(const std::string& model_filename,
                         const SideFile& file) {
  return std::filesystem::path(model_filename)
      .replace_extension(file.extension)
      .string();
}

}  // namespace adlik::compiler
