// IEEE 754 half precision (binary16) conversions, round to nearest even.
//
// Used by the fp16 pass to convert weights and by the numeric check to read
// fp16 outputs. Values beyond the fp16 range become infinities; callers that
// must avoid that clamp first (kHalfMax).
//
// Thread-safety: pure functions.
#ifndef ADLIK_COMPILER_HALF_FLOAT_H_
#define ADLIK_COMPILER_HALF_FLOAT_H_

#include <cstdint>
#include <cstring>

namespace adlik::compiler {

inline constexpr float kHalfMax = 65504.0f;

inline uint16_t FloatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  const uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t mantissa = x & 0x7fffffu;
  const int exponent = static_cast<int>((x >> 23) & 0xffu);
  if (exponent == 0xff) {  // infinity or NaN (kept quiet)
    return static_cast<uint16_t>(sign | 0x7c00u |
                                 (mantissa ? 0x200u | (mantissa >> 13) : 0u));
  }
  const int e = exponent - 127 + 15;
  if (e >= 0x1f) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow
  if (e <= 0) {  // a subnormal half, or zero
    if (e < -10) return static_cast<uint16_t>(sign);
    mantissa |= 0x800000u;
    const int shift = 14 - e;
    uint32_t half = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1u))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = sign | (static_cast<uint32_t>(e) << 10) | (mantissa >> 13);
  const uint32_t rest = mantissa & 0x1fffu;
  // A carry out of the mantissa correctly bumps the exponent.
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;
  return static_cast<uint16_t>(half);
}

inline float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  int exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t x;
  if (exponent == 0) {
    if (mantissa == 0) {
      x = sign;
    } else {  // subnormal: normalize
      exponent = 1;
      while (!(mantissa & 0x400u)) {
        mantissa <<= 1;
        --exponent;
      }
      mantissa &= 0x3ffu;
      x = sign | (static_cast<uint32_t>(exponent + 112) << 23) |
          (mantissa << 13);
    }
  } else if (exponent == 0x1f) {
    x = sign | 0x7f800000u | (mantissa << 13);
  } else {
    x = sign | (static_cast<uint32_t>(exponent + 112) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &x, sizeof f);
  return f;
}

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_HALF_FLOAT_H_
