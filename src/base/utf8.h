// UTF-8 checks for text that goes back to a client inside JSON or protobuf
// strings, which must be valid UTF-8. A client's bytes (a model name in a
// URL, a tensor name) are echoed in error messages; invalid sequences are
// written as the text \xNN instead of raw.
//
// Thread-safety: pure functions.
#ifndef ADLIK_BASE_UTF8_H_
#define ADLIK_BASE_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace adlik {

// The length of the valid UTF-8 sequence at the start of `s` (1-4), or 0
// when `s` does not start with one (overlong forms, surrogates and code
// points above U+10FFFF are invalid).
inline size_t Utf8SequenceLength(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](size_t i) {
    return i < s.size() && (b(i) & 0xC0) == 0x80;
  };
  if (s.empty()) return 0;
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && b(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

inline bool IsValidUtf8(std::string_view s) {
  while (!s.empty()) {
    const size_t n = Utf8SequenceLength(s);
    if (n == 0) return false;
    s.remove_prefix(n);
  }
  return true;
}

// `s` with every byte that is not part of a valid UTF-8 sequence written as
// the four characters \xNN (upper-case hex).
inline std::string EscapeInvalidUtf8(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    size_t n = Utf8SequenceLength(s);
    if (n == 0) {
      const auto c = static_cast<unsigned char>(s[0]);
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
      n = 1;
    } else {
      out.append(s.data(), n);
    }
    s.remove_prefix(n);
  }
  return out;
}

}  // namespace adlik

#endif  // ADLIK_BASE_UTF8_H_
