// Pins the rounding of base/half.h: round to nearest, ties to even, for FP16
// and BF16; FP16 subnormals; infinities and NaNs.
#include "base/half.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace adlik {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

float Bits(uint32_t x) { return std::bit_cast<float>(x); }

TEST(HalfTest, ExactValuesAndTheEdgesOfTheRange) {
  EXPECT_EQ(FloatToHalf(0.0f), 0x0000);
  EXPECT_EQ(FloatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(FloatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(FloatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(FloatToHalf(kHalfMax), 0x7bff);
  EXPECT_EQ(FloatToHalf(-kHalfMax), 0xfbff);
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -14)), 0x0400);  // smallest normal
  EXPECT_EQ(HalfToFloat(0x7bff), kHalfMax);
  EXPECT_EQ(HalfToFloat(0x0400), std::ldexp(1.0f, -14));
}

TEST(HalfTest, RoundsToNearestTiesToEven) {
  const float ulp = std::ldexp(1.0f, -10);  // of values in [1, 2)
  EXPECT_EQ(FloatToHalf(1.0f + ulp / 2), 0x3c00) << "tie, down to even";
  EXPECT_EQ(FloatToHalf(1.0f + 3 * ulp / 2), 0x3c02) << "tie, up to even";
  EXPECT_EQ(FloatToHalf(std::nextafter(1.0f + ulp / 2, 2.0f)), 0x3c01)
      << "just above the tie";
  EXPECT_EQ(FloatToHalf(std::nextafter(1.0f + 3 * ulp / 2, 1.0f)), 0x3c01)
      << "just below the tie";
  EXPECT_EQ(FloatToHalf(2.0f - ulp / 4), 0x4000)
      << "a carry out of the mantissa raises the exponent";
  EXPECT_EQ(FloatToHalf(-(1.0f + 3 * ulp / 2)), 0xbc02) << "sign apart";
}

TEST(HalfTest, OverflowBecomesInfinityAtTheTie) {
  EXPECT_EQ(FloatToHalf(65519.0f), 0x7bff) << "below the tie: the largest";
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7c00) << "the tie rounds to even: inf";
  EXPECT_EQ(FloatToHalf(1e6f), 0x7c00);
  EXPECT_EQ(FloatToHalf(-1e6f), 0xfc00);
  EXPECT_EQ(FloatToHalf(kInf), 0x7c00);
  EXPECT_EQ(FloatToHalf(-kInf), 0xfc00);
  EXPECT_EQ(HalfToFloat(0x7c00), kInf);
  EXPECT_EQ(HalfToFloat(0xfc00), -kInf);
}

TEST(HalfTest, Subnormals) {
  const float tiny = std::ldexp(1.0f, -24);  // the smallest subnormal
  EXPECT_EQ(FloatToHalf(tiny), 0x0001);
  EXPECT_EQ(FloatToHalf(-tiny), 0x8001);
  EXPECT_EQ(FloatToHalf(tiny / 2), 0x0000) << "tie with zero: even";
  EXPECT_EQ(FloatToHalf(std::nextafter(tiny / 2, 1.0f)), 0x0001);
  EXPECT_EQ(FloatToHalf(3 * tiny / 2), 0x0002) << "tie: up to even";
  EXPECT_EQ(FloatToHalf(5 * tiny / 2), 0x0002) << "tie: down to even";
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -30)), 0x0000);
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -14) - tiny / 2), 0x0400)
      << "the largest subnormal's tie rounds up to the smallest normal";
  EXPECT_EQ(HalfToFloat(0x0001), tiny);
  EXPECT_EQ(HalfToFloat(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_EQ(HalfToFloat(0x8001), -tiny);
}

TEST(HalfTest, NanStaysAQuietNanOfTheSameSign) {
  const uint16_t h = FloatToHalf(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(h & 0x7c00, 0x7c00);
  EXPECT_NE(h & 0x0200, 0) << "quiet";
  EXPECT_EQ(h & 0x8000, 0);
  // A signalling NaN whose payload lives in the low bits only.
  const uint16_t s = FloatToHalf(Bits(0xff800001));
  EXPECT_EQ(s & 0xfe00, 0xfe00) << "negative, quiet, not infinity";
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7e00)));
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7c01)));
  EXPECT_TRUE(std::signbit(HalfToFloat(0xfe00)));
}

TEST(HalfTest, EveryHalfSurvivesARoundTrip) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = HalfToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(FloatToHalf(f), h) << std::hex << h;
  }
}

TEST(HalfTest, TheElementTypesRoundTheSameWay) {
  EXPECT_EQ(FromFloat<Fp16>(1.0f).bits, 0x3c00);
  EXPECT_EQ(FromFloat<Fp16>(65520.0f).bits, 0x7c00);
  EXPECT_EQ(ToFloat(Fp16{0x0001}), std::ldexp(1.0f, -24));
  EXPECT_EQ(FromFloat<Bf16>(Bits(0x3f818000)).bits, 0x3f82);
  EXPECT_EQ(ToFloat(FromFloat<Bf16>(-3.0f)), -3.0f);
}

TEST(Bf16Test, TruncatesExactValuesAndRoundsTiesToEven) {
  EXPECT_EQ(FloatToBf16(1.0f), 0x3f80);
  EXPECT_EQ(FloatToBf16(-3.0f), 0xc040);
  EXPECT_EQ(Bf16ToFloat(0x3f80), 1.0f);
  // 1 + 2^-8 is the tie between 0x3f80 and 0x3f81: even is 0x3f80.
  EXPECT_EQ(FloatToBf16(Bits(0x3f808000)), 0x3f80);
  EXPECT_EQ(FloatToBf16(Bits(0x3f818000)), 0x3f82) << "tie: up to even";
  EXPECT_EQ(FloatToBf16(Bits(0x3f808001)), 0x3f81) << "above the tie";
  EXPECT_EQ(FloatToBf16(Bits(0x3f807fff)), 0x3f80) << "below the tie";
  EXPECT_EQ(FloatToBf16(Bits(0x3fffffff)), 0x4000) << "carry into exponent";
}

TEST(Bf16Test, SubnormalsInfinitiesAndNans) {
  EXPECT_EQ(FloatToBf16(Bits(0x00010000)), 0x0001) << "a float subnormal";
  EXPECT_EQ(FloatToBf16(Bits(0x00008000)), 0x0000) << "tie with zero: even";
  EXPECT_EQ(Bf16ToFloat(0x0001), Bits(0x00010000));
  EXPECT_EQ(FloatToBf16(kInf), 0x7f80);
  EXPECT_EQ(FloatToBf16(-kInf), 0xff80);
  EXPECT_EQ(FloatToBf16(std::numeric_limits<float>::max()), 0x7f80)
      << "above bf16's largest finite value's tie: infinity";
  EXPECT_EQ(FloatToBf16(Bits(0x7f7f7fff)), 0x7f7f) << "the largest finite";
  const uint16_t nan = FloatToBf16(Bits(0x7f800001));  // payload in low bits
  EXPECT_TRUE(std::isnan(Bf16ToFloat(nan))) << "not rounded to infinity";
  EXPECT_NE(nan & 0x0040, 0) << "quiet";
  EXPECT_TRUE(std::signbit(Bf16ToFloat(FloatToBf16(Bits(0xffc00000)))));
}

TEST(Bf16Test, EveryBf16SurvivesARoundTrip) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const float f = Bf16ToFloat(static_cast<uint16_t>(b));
    if (std::isnan(f)) continue;
    ASSERT_EQ(FloatToBf16(f), b) << std::hex << b;
  }
}

}  // namespace
}  // namespace adlik
