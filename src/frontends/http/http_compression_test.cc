#include "frontends/http/http_compression.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>

namespace adlik::http {
namespace {

std::string Sample(size_t n) {
  std::mt19937 rng(7);
  std::string s(n, '\0');
  // Compressible, but not trivially.
  for (char& c : s) c = static_cast<char>('a' + rng() % 4);
  return s;
}

TEST(HttpCompressionTest, RoundTripsBothCodings) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{100000}}) {
    const std::string body = Sample(n);
    for (ContentCoding c : {ContentCoding::kGzip, ContentCoding::kDeflate}) {
      const std::string packed = Encode(body, c);
      auto back = Decode(packed, c, n);
      ASSERT_TRUE(back.ok()) << back.status().message();
      EXPECT_EQ(*back, body);
    }
  }
  EXPECT_EQ(Encode("x", ContentCoding::kGzip).substr(0, 2), "\x1f\x8b");
}

TEST(HttpCompressionTest, DeflateAcceptsARawStream) {
  const std::string body = Sample(5000);
  z_stream z{};
  ASSERT_EQ(deflateInit2(&z, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string raw(deflateBound(&z, body.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  z.avail_in = body.size();
  z.next_out = reinterpret_cast<Bytef*>(raw.data());
  z.avail_out = raw.size();
  ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  raw.resize(z.total_out);
  deflateEnd(&z);
  auto back = Decode(raw, ContentCoding::kDeflate, body.size());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, body);
}

TEST(HttpCompressionTest, ConcatenatedGzipMembers) {
  const std::string a = Encode("hello ", ContentCoding::kGzip);
  const std::string b = Encode("world", ContentCoding::kGzip);
  auto back = Decode(a + b, ContentCoding::kGzip, 100);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, "hello world");
}

TEST(HttpCompressionTest, TheLimitIsCheckedWhileInflating) {
  // 64 MiB of zeros is about 64 KiB of gzip.
  const std::string bomb =
      Encode(std::string(64 << 20, '\0'), ContentCoding::kGzip);
  ASSERT_LT(bomb.size(), 1u << 20);
  auto r = Decode(bomb, ContentCoding::kGzip, 1 << 20);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("more than 1048576 bytes"),
            std::string::npos)
      << r.status().message();
  // Exactly at the limit is fine.
  const std::string body = Sample(1000);
  EXPECT_TRUE(Decode(Encode(body, ContentCoding::kDeflate),
                     ContentCoding::kDeflate, 1000)
                  .ok());
  EXPECT_EQ(Decode(Encode(body, ContentCoding::kDeflate),
                   ContentCoding::kDeflate, 999)
                .status()
                .code(),
            StatusCode::kResourceExhausted);
}

TEST(HttpCompressionTest, CorruptTruncatedAndTrailingDataAreRefused) {
  const std::string packed = Encode(Sample(10000), ContentCoding::kGzip);
  for (const std::string& bad :
       {std::string("not gzip at all"), packed.substr(0, packed.size() / 2),
        std::string()}) {
    auto r = Decode(bad, ContentCoding::kGzip, 1 << 20);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("gzip"), std::string::npos)
        << r.status().message();
  }
  const std::string zlib = Encode("abc", ContentCoding::kDeflate);
  auto r = Decode(zlib + "junk", ContentCoding::kDeflate, 100);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("4 bytes follow"), std::string::npos)
      << r.status().message();
}

TEST(HttpCompressionTest, ContentEncodingHeader) {
  EXPECT_EQ(*ParseContentEncoding(""), ContentCoding::kIdentity);
  EXPECT_EQ(*ParseContentEncoding("identity"), ContentCoding::kIdentity);
  EXPECT_EQ(*ParseContentEncoding(" GZIP "), ContentCoding::kGzip);
  EXPECT_EQ(*ParseContentEncoding("x-gzip"), ContentCoding::kGzip);
  EXPECT_EQ(*ParseContentEncoding("Deflate"), ContentCoding::kDeflate);
  for (const char* bad : {"br", "gzip, deflate", "compress"}) {
    auto r = ParseContentEncoding(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kUnimplemented) << bad;
    EXPECT_NE(r.status().message().find(bad), std::string::npos);
  }
}

TEST(HttpCompressionTest, AcceptEncodingPicksTheBestCoding) {
  EXPECT_EQ(ChooseResponseCoding(""), ContentCoding::kIdentity);
  EXPECT_EQ(ChooseResponseCoding("identity"), ContentCoding::kIdentity);
  EXPECT_EQ(ChooseResponseCoding("gzip"), ContentCoding::kGzip);
  EXPECT_EQ(ChooseResponseCoding("deflate"), ContentCoding::kDeflate);
  EXPECT_EQ(ChooseResponseCoding("gzip, deflate"), ContentCoding::kGzip);
  EXPECT_EQ(ChooseResponseCoding("gzip;q=0.5, deflate"),
            ContentCoding::kDeflate);
  EXPECT_EQ(ChooseResponseCoding("gzip;q=0, deflate;q=0"),
            ContentCoding::kIdentity);
  EXPECT_EQ(ChooseResponseCoding("*"), ContentCoding::kGzip);
  EXPECT_EQ(ChooseResponseCoding("br, *;q=0"), ContentCoding::kIdentity);
}

}  // namespace
}  // namespace adlik::http
