// libFuzzer target: splitting a serialized BYTES tensor. The first 8 bytes
// are the element count the request claims (any int64), the rest the
// buffer; a count the buffer cannot hold must be refused, not allocated.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "adlik/bytes_tensor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < sizeof(int64_t)) return 0;
  int64_t count;
  std::memcpy(&count, data, sizeof(count));
  const std::string_view buffer(reinterpret_cast<const char*>(data) + 8,
                                size - 8);
  auto elements = adlik::SplitBytesElements(buffer, count);
  if (elements.ok()) {
    size_t total = 0;
    for (auto e : *elements) total += 4 + e.size();
    if (total != buffer.size()) __builtin_trap();  // must cover it exactly
  }
  return 0;
}
