#include "artifact.h"

namespace adlik::compiler {

std::string PropertyNames(unsigned properties) {
  std::string s;
  if (properties & kStaticShapes) s += "static";
  if (properties & kFp16) s += std::string(s.empty() ? "" : ",") + "fp16";
  return s;
}

std::string FormatName(const Format& format) {
  const std::string props = PropertyNames(format.properties);
  return props.empty() ? format.base : format.base + "(" + props + ")";
}

}  // namespace adlik::compiler
