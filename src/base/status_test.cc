// Status/StatusOr, data types, tensor sizes and the BYTES serialization (the
// SDK headers).
#include "adlik/status.h"

#include <gtest/gtest.h>

#include <string_view>
#include <type_traits>

#include "adlik/bytes_tensor.h"
#include "adlik/data_type.h"
#include "adlik/tensor.h"

namespace adlik {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2) return InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}

Status Quarter(int x, int* out) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(*out, Half(h));
  return Status::Ok();
}

TEST(StatusTest, OkAndErrorsCarryCodeAndMessage) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = NotFound("no model 'x'");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NOT_FOUND: no model 'x'");
  EXPECT_EQ(s.WithPrefix("repo").message(), "repo: no model 'x'");
  EXPECT_EQ(Status::Ok().WithPrefix("repo"), Status::Ok());
}

TEST(StatusTest, AssignOrReturnPropagatesTheFirstError) {
  int out = 0;
  EXPECT_TRUE(Quarter(8, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = Quarter(6, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "odd: 3");
}

TEST(DataTypeTest, BothSpellingsOfEveryType) {
  const std::pair<const char*, DataType> cases[] = {
      {"BOOL", DataType::kBool},     {"UINT8", DataType::kUint8},
      {"UINT16", DataType::kUint16}, {"UINT32", DataType::kUint32},
      {"UINT64", DataType::kUint64}, {"INT8", DataType::kInt8},
      {"INT16", DataType::kInt16},   {"INT32", DataType::kInt32},
      {"INT64", DataType::kInt64},   {"FP16", DataType::kFp16},
      {"BF16", DataType::kBf16},     {"FP32", DataType::kFp32},
      {"FP64", DataType::kFp64},     {"BYTES", DataType::kBytes}};
  for (const auto& [name, type] : cases) {
    EXPECT_EQ(ParseDataType(name), type) << name;
    EXPECT_EQ(DataTypeName(type), name);
    EXPECT_EQ(ParseDataType(DataTypeConfigName(type)), type) << name;
  }
  EXPECT_EQ(ParseDataType("TYPE_STRING"), DataType::kBytes);
  EXPECT_EQ(DataTypeConfigName(DataType::kBytes), "TYPE_STRING");
  EXPECT_EQ(ParseDataType("fp32"), std::nullopt);  // case-sensitive
  EXPECT_EQ(ParseDataType("FLOAT"), std::nullopt);
  EXPECT_EQ(DataTypeSize(DataType::kFp16), 2u);
  EXPECT_EQ(DataTypeSize(DataType::kInt64), 8u);
  EXPECT_EQ(DataTypeSize(DataType::kBool), 1u);
  EXPECT_EQ(DataTypeSize(DataType::kBytes), 0u);
}

TEST(BytesTensorTest, RoundTripsElementsWithEmbeddedZeros) {
  std::string buffer;
  AppendBytesElement("ab", &buffer);
  AppendBytesElement("", &buffer);
  AppendBytesElement(std::string("x\0y", 3), &buffer);
  ASSERT_EQ(buffer.size(), 4 + 2 + 4 + 0 + 4 + 3);
  EXPECT_EQ(buffer.substr(0, 4),
            std::string("\x02\x00\x00\x00", 4));  // little-endian
  auto elements = SplitBytesElements(buffer, 3);
  ASSERT_TRUE(elements.ok()) << elements.status().ToString();
  EXPECT_EQ((*elements)[0], "ab");
  EXPECT_EQ((*elements)[1], "");
  EXPECT_EQ((*elements)[2], std::string_view("x\0y", 3));
}

TEST(BytesTensorTest, RefusesTruncatedAndMiscountedBuffers) {
  std::string buffer;
  AppendBytesElement("hello", &buffer);
  EXPECT_EQ(SplitBytesElements(buffer, 2).status().code(),
            StatusCode::kInvalidArgument);
  auto truncated = SplitBytesElements(std::string_view(buffer).substr(0, 7), 1);
  EXPECT_NE(truncated.status().message().find("runs past"), std::string::npos);
  auto short_prefix =
      SplitBytesElements(std::string_view(buffer).substr(0, 2), 0);
  EXPECT_NE(short_prefix.status().message().find("truncated"),
            std::string::npos);
  // A count the buffer cannot hold (4 bytes an element at least) is refused
  // before anything is sized from it.
  auto huge = SplitBytesElements(buffer, int64_t{1} << 40);
  EXPECT_NE(huge.status().message().find("9-byte buffer holds at most 2"),
            std::string::npos)
      << huge.status().message();
  EXPECT_FALSE(SplitBytesElements(buffer, -1).ok());
  EXPECT_TRUE(SplitBytesElements("", 0).ok());
}

// The tag VisitDataType passes for each type: its C++ element type, size and
// name agree with the tables above.
TEST(DataTypeTest, VisitorPassesEachTypesTag) {
  struct Seen {
    DataType type;
    size_t size;
    std::string_view name;
    bool arithmetic;
    size_t element_size;  // sizeof(Element); 0 for void and BYTES
  };
  auto visit = [](DataType t) {
    return VisitDataType(t, [](auto tag) {
      using Tag = decltype(tag);
      using T = typename Tag::Element;
      size_t element_size = 0;
      if constexpr (!std::is_void_v<T> && Tag::kType != DataType::kBytes) {
        element_size = sizeof(T);
      }
      return Seen{Tag::kType, Tag::kSize, Tag::kName, std::is_arithmetic_v<T>,
                  element_size};
    });
  };
  for (DataType t :
       {DataType::kBool, DataType::kUint8, DataType::kUint16, DataType::kUint32,
        DataType::kUint64, DataType::kInt8, DataType::kInt16, DataType::kInt32,
        DataType::kInt64, DataType::kFp16, DataType::kFp32, DataType::kFp64,
        DataType::kBytes, DataType::kBf16}) {
    const Seen seen = visit(t);
    EXPECT_EQ(seen.type, t);
    EXPECT_EQ(seen.size, DataTypeSize(t));
    EXPECT_EQ(seen.name, DataTypeName(t));
    EXPECT_EQ(seen.element_size, DataTypeSize(t)) << DataTypeName(t);
  }
  EXPECT_TRUE(visit(DataType::kBool).arithmetic);
  EXPECT_TRUE(visit(DataType::kFp32).arithmetic);
  // The 16-bit floats are not integers, and BYTES is not a number.
  EXPECT_FALSE(visit(DataType::kFp16).arithmetic);
  EXPECT_FALSE(visit(DataType::kBf16).arithmetic);
  EXPECT_FALSE(visit(DataType::kBytes).arithmetic);
  // A value outside the enum gets kInvalid's tag.
  EXPECT_EQ(visit(static_cast<DataType>(99)).type, DataType::kInvalid);
  EXPECT_EQ(visit(DataType::kInvalid).name, "INVALID");
}

TEST(TensorSizeTest, CountsAndByteSizesRefuseOverflow) {
  using V = std::vector<int64_t>;
  EXPECT_EQ(CheckedElementCount(V{}), 1);
  EXPECT_EQ(CheckedElementCount(V{2, 3}), 6);
  EXPECT_EQ(CheckedElementCount(V{1, -1}), std::nullopt);
  EXPECT_EQ(CheckedElementCount(V{int64_t{1} << 32, int64_t{1} << 31}),
            std::nullopt);
  EXPECT_EQ(CheckedByteSize(V{2, 3}, 4), 24u);
  EXPECT_EQ(CheckedByteSize(V{}, 8), 8u);
  EXPECT_EQ(CheckedByteSize(V{0, 5}, 4), 0u);
  // INT32 [1, 2^62]: the count fits in int64, its byte size not in 64 bits.
  EXPECT_EQ(CheckedByteSize(V{1, int64_t{1} << 62}, 4), std::nullopt);
  EXPECT_EQ(CheckedByteSize(V{-4}, 1), std::nullopt);
}

}  // namespace
}  // namespace adlik
