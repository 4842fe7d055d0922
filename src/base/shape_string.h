// The one way a shape is written in messages: "[1,3,224,224]".
//
// Thread-safety: a pure function.
#ifndef ADLIK_BASE_SHAPE_STRING_H_
#define ADLIK_BASE_SHAPE_STRING_H_

#include <cstdint>
#include <span>
#include <string>

namespace adlik {

inline std::string ShapeString(std::span<const int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace adlik

#endif  // ADLIK_BASE_SHAPE_STRING_H_
