// IEEE half (FP16) and bfloat16 to and from float, for the few places that
// must read or write those types element by element (JSON, classification,
// the compiler's fp16 pass and numeric check, the benchmark's inputs): on
// their bits, and on the element types of adlik/data_type.h (Fp16, Bf16) for
// code written once over every DataType.
//
// Float to FP16 and to BF16 round to nearest, ties to even; a value beyond
// the range becomes an infinity (callers that must avoid that clamp first,
// to kHalfMax); FP16 subnormals are produced and read; a NaN stays a quiet
// NaN of the same sign (its payload is not kept). base/half_test.cc pins
// these rules.
//
// Thread-safety: pure functions.
#ifndef ADLIK_BASE_HALF_H_
#define ADLIK_BASE_HALF_H_

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "adlik/data_type.h"

namespace adlik {

// The largest finite FP16 value.
inline constexpr float kHalfMax = 65504.0f;

inline float HalfToFloat(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  float v;
  if (exp == 0) {
    v = std::ldexp(static_cast<float>(frac), -24);
  } else if (exp == 31) {
    v = frac ? std::numeric_limits<float>::quiet_NaN()
             : std::numeric_limits<float>::infinity();
  } else {
    v = std::ldexp(static_cast<float>(frac | 0x400),
                   static_cast<int>(exp) - 25);
  }
  return sign ? -v : v;
}

// Round to nearest even; overflow gives infinity.
inline uint16_t FloatToHalf(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint32_t sign = (x >> 16) & 0x8000;
  const uint32_t abs = x & 0x7fffffff;
  if (abs >= 0x7f800000)
    return static_cast<uint16_t>(sign | 0x7c00 |
                                 (abs > 0x7f800000 ? 0x200 : 0));
  if (abs >= 0x477ff000)
    return static_cast<uint16_t>(sign | 0x7c00);  // too big
  if (abs < 0x38800000) {                         // subnormal or zero in half
    const float a = std::bit_cast<float>(abs);
    return static_cast<uint16_t>(
        sign | static_cast<uint32_t>(std::nearbyint(a * 16777216.0f)));
  }
  const uint32_t rounded = abs + 0xfff + ((abs >> 13) & 1);
  return static_cast<uint16_t>(sign | ((rounded - 0x38000000) >> 13));
}

inline float Bf16ToFloat(uint16_t b) {
  return std::bit_cast<float>(uint32_t{b} << 16);
}

inline uint16_t FloatToBf16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  if ((x & 0x7fffffff) > 0x7f800000)
    return static_cast<uint16_t>((x >> 16) | 0x40);
  return static_cast<uint16_t>((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

// Whether T is one of the 16-bit float element types.
template <typename T>
inline constexpr bool kIsHalfType =
    std::is_same_v<T, Fp16> || std::is_same_v<T, Bf16>;

inline float ToFloat(Fp16 h) { return HalfToFloat(h.bits); }
inline float ToFloat(Bf16 b) { return Bf16ToFloat(b.bits); }

// FromFloat<Fp16>(f), FromFloat<Bf16>(f): rounded as above.
template <typename T>
requires kIsHalfType<T> T FromFloat(float f) {
  if constexpr (std::is_same_v<T, Fp16>) {
    return Fp16{FloatToHalf(f)};
  } else {
    return Bf16{FloatToBf16(f)};
  }
}

}  // namespace adlik

#endif  // ADLIK_BASE_HALF_H_
