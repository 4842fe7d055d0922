// The serialized form of a BYTES tensor: for each element, in row-major order,
// a 4-byte little-endian unsigned length followed by that many bytes. This is
// the form of the KServe binary extension, gRPC raw contents, and of BYTES
// tensors between the platform and a runtime.
//
// Thread-safety: pure functions.
#ifndef ADLIK_BYTES_TENSOR_H_
#define ADLIK_BYTES_TENSOR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "adlik/status.h"

namespace adlik {

// Appends one element to a serialized BYTES buffer.
inline void AppendBytesElement(std::string_view element, std::string* out) {
  const auto n = static_cast<uint32_t>(element.size());
  const char len[4] = {
      static_cast<char>(n & 0xff), static_cast<char>((n >> 8) & 0xff),
      static_cast<char>((n >> 16) & 0xff), static_cast<char>((n >> 24) & 0xff)};
  out->append(len, 4);
  out->append(element);
}

// Splits a serialized BYTES buffer into its elements (views into `data`).
// Fails unless the buffer holds exactly `expected_count` whole elements.
inline StatusOr<std::vector<std::string_view>> SplitBytesElements(
    std::string_view data, int64_t expected_count) {
  std::vector<std::string_view> elements;
  // Each element takes at least its 4-byte length: a count the buffer cannot
  // hold is refused before anything is sized from it.
  if (expected_count < 0 ||
      static_cast<uint64_t>(expected_count) > data.size() / 4) {
    return InvalidArgument(
        "expected " + std::to_string(expected_count) +
        " BYTES elements, but a " + std::to_string(data.size()) +
        "-byte buffer holds at most " + std::to_string(data.size() / 4) +
        " (each has a 4-byte length)");
  }
  elements.reserve(static_cast<size_t>(expected_count));
  size_t pos = 0;
  while (pos < data.size()) {
    if (data.size() - pos < 4) {
      return InvalidArgument("BYTES element " +
                             std::to_string(elements.size()) +
                             ": truncated 4-byte length prefix");
    }
    const auto* p = reinterpret_cast<const unsigned char*>(data.data() + pos);
    const uint64_t n = uint64_t{p[0]} | (uint64_t{p[1]} << 8) |
                       (uint64_t{p[2]} << 16) | (uint64_t{p[3]} << 24);
    pos += 4;
    if (n > data.size() - pos) {
      return InvalidArgument("BYTES element " +
                             std::to_string(elements.size()) + ": length " +
                             std::to_string(n) + " runs past the " +
                             std::to_string(data.size()) + "-byte buffer");
    }
    elements.emplace_back(data.data() + pos, static_cast<size_t>(n));
    pos += n;
  }
  if (static_cast<int64_t>(elements.size()) != expected_count) {
    return InvalidArgument("expected " + std::to_string(expected_count) +
                           " BYTES elements, got " +
                           std::to_string(elements.size()));
  }
  return elements;
}

}  // namespace adlik

#endif  // ADLIK_BYTES_TENSOR_H_
