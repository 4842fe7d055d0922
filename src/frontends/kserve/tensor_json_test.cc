#include "frontends/kserve/tensor_json.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "adlik/bytes_tensor.h"
#include "base/half.h"
#include "frontends/kserve/json_parse.h"

namespace adlik::kserve {
namespace {

StatusOr<std::string> Decode(std::string_view json, DataType type,
                             std::vector<int64_t> shape) {
  rapidjson::Document doc;
  RETURN_IF_ERROR(ParseJson(json, "test", &doc));
  std::string out;
  RETURN_IF_ERROR(DecodeTensorData(doc, type, shape, &out));
  return out;
}

std::string Write(DataType type, int64_t count, std::string_view bytes) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  WriteTensorData(w, type, count, bytes);
  return std::string(buffer.GetString(), buffer.GetSize());
}

template <typename T>
std::vector<T> As(const std::string& bytes) {
  std::vector<T> v(bytes.size() / sizeof(T));
  std::memcpy(v.data(), bytes.data(), bytes.size());
  return v;
}

TEST(TensorJsonTest, DecodesNestedArraysOfEachKind) {
  auto ints = Decode("[[1,-2],[3,4]]", DataType::kInt16, {2, 2});
  ASSERT_TRUE(ints.ok()) << ints.status().ToString();
  EXPECT_EQ(As<int16_t>(*ints), (std::vector<int16_t>{1, -2, 3, 4}));
  auto u64 = Decode("[18446744073709551615]", DataType::kUint64, {1});
  ASSERT_TRUE(u64.ok());
  EXPECT_EQ(As<uint64_t>(*u64)[0], UINT64_MAX);
  auto bools = Decode("[true,false]", DataType::kBool, {2});
  ASSERT_TRUE(bools.ok());
  EXPECT_EQ(*bools, std::string("\x01\x00", 2));
  auto strings = Decode(R"(["a",""])", DataType::kBytes, {2});
  ASSERT_TRUE(strings.ok());
  auto elements = SplitBytesElements(*strings, 2);
  ASSERT_TRUE(elements.ok());
  EXPECT_EQ((*elements)[0], "a");
  EXPECT_EQ((*elements)[1], "");
}

TEST(TensorJsonTest, SixteenBitFloatsAreJsonNumbersBothWays) {
  auto half = Decode("[1.5,-2]", DataType::kFp16, {2});
  ASSERT_TRUE(half.ok()) << half.status().ToString();
  EXPECT_EQ(As<uint16_t>(*half),
            (std::vector<uint16_t>{FloatToHalf(1.5f), FloatToHalf(-2.0f)}));
  EXPECT_EQ(Write(DataType::kFp16, 2, *half), "[1.5,-2.0]");
  auto bf16 = Decode("[0.25]", DataType::kBf16, {1});
  ASSERT_TRUE(bf16.ok());
  EXPECT_EQ(As<uint16_t>(*bf16)[0], FloatToBf16(0.25f));
  EXPECT_EQ(Write(DataType::kBf16, 1, *bf16), "[0.25]");
}

TEST(TensorJsonTest, WritesEachKind) {
  const int32_t ints[] = {-1, 7};
  EXPECT_EQ(Write(DataType::kInt32, 2,
                  {reinterpret_cast<const char*>(ints), sizeof(ints)}),
            "[-1,7]");
  EXPECT_EQ(Write(DataType::kBool, 2, std::string("\x00\x02", 2)),
            "[false,true]");
  std::string bytes;
  AppendBytesElement("xy", &bytes);
  EXPECT_EQ(Write(DataType::kBytes, 1, bytes), R"(["xy"])");
  // A BYTES buffer that does not hold its count is not read.
  EXPECT_EQ(Write(DataType::kBytes, 2, bytes), "[]");
}

TEST(TensorJsonTest, RefusesValuesOfTheWrongKindOrRange) {
  auto wide = Decode("[1,300]", DataType::kUint8, {2});
  ASSERT_FALSE(wide.ok());
  EXPECT_EQ(wide.status().message(),
            "element 1 is not a UINT8 value (or is out of its range)");
  auto text = Decode(R"([1,"2"])", DataType::kFp32, {2});
  EXPECT_EQ(text.status().message(), "element 1 is not a FP32 value");
  auto negative = Decode("[-1]", DataType::kUint32, {1});
  EXPECT_FALSE(negative.ok());
  auto fraction = Decode("[1.5]", DataType::kInt32, {1});
  EXPECT_FALSE(fraction.ok());
  auto number = Decode("[1]", DataType::kBytes, {1});
  EXPECT_FALSE(number.ok());
}

TEST(TensorJsonTest, RefusesACountThatDoesNotMatchTheShape) {
  auto few = Decode("[1,2,3]", DataType::kInt32, {2, 2});
  ASSERT_FALSE(few.ok());
  EXPECT_EQ(few.status().message(),
            "shape [2,2] has 4 elements but 'data' has 3");
  auto huge =
      Decode("[1]", DataType::kInt32, {int64_t{1} << 40, int64_t{1} << 40});
  EXPECT_NE(huge.status().message().find("has too many elements"),
            std::string::npos);
}

}  // namespace
}  // namespace adlik::kserve
