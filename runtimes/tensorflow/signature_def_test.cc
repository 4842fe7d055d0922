#include "signature_def.h"

#include <gtest/gtest.h>

#include <string>

namespace adlik::tensorflow {
namespace {

// Protobuf wire encoding, enough to write the messages the parser reads.
std::string Varint(uint64_t v) {
  std::string out;
  for (; v >= 0x80; v >>= 7)
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
  out.push_back(static_cast<char>(v));
  return out;
}
std::string Field(uint32_t field, uint64_t v) {
  return Varint(field << 3) + Varint(v);
}
std::string Field(uint32_t field, const std::string& bytes) {
  return Varint((field << 3) | 2) + Varint(bytes.size()) + bytes;
}
std::string Shape(std::initializer_list<int64_t> dims) {
  std::string s;
  for (int64_t d : dims) s += Field(2, Field(1, static_cast<uint64_t>(d)));
  return s;
}
std::string Info(const std::string& name, int dtype, const std::string& shape) {
  return Field(1, name) + Field(2, dtype) + Field(3, shape);
}
std::string Entry(const std::string& key, const std::string& value) {
  return Field(1, key) + Field(2, value);
}

TEST(SignatureDefTest, ReadsInputsOutputsSortedWithShapesAndTypes) {
  const std::string sig =
      Field(1, Entry("x", Info("serving_default_x:0", 1, Shape({-1, 4})))) +
      Field(2, Entry("z", Info("Call:1", 9, Shape({-1})))) +
      Field(2, Entry("y", Info("Call:0", 7, Field(3, 1)))) +
      Field(3, "tensorflow/serving/predict");
  // Fields the parser skips around the signatures: a string, a fixed64, a
  // fixed32 and a varint.
  const std::string meta = Field(1, "meta_info_def") + Varint((2 << 3) | 1) +
                           std::string(8, '\x01') + Varint((3 << 3) | 5) +
                           std::string(4, '\x02') + Field(4, 77) +
                           Field(5, Entry("serving_default", sig)) +
                           Field(5, Entry("other", ""));
  auto defs = ParseSignatureDefs(meta);
  ASSERT_TRUE(defs.ok()) << defs.status().message();
  ASSERT_EQ(defs->size(), 2u);
  const SignatureDef& s = defs->at("serving_default");
  EXPECT_EQ(s.method_name, "tensorflow/serving/predict");
  ASSERT_EQ(s.inputs.size(), 1u);
  EXPECT_EQ(s.inputs[0].key, "x");
  EXPECT_EQ(s.inputs[0].tensor, "serving_default_x:0");
  EXPECT_EQ(s.inputs[0].dtype, 1);
  EXPECT_EQ(s.inputs[0].shape, (std::vector<int64_t>{-1, 4}));
  ASSERT_EQ(s.outputs.size(), 2u);
  EXPECT_EQ(s.outputs[0].key, "y");
  EXPECT_FALSE(s.outputs[0].shape.has_value());  // unknown_rank
  EXPECT_EQ(s.outputs[1].key, "z");
  EXPECT_EQ(s.outputs[1].dtype, 9);
  EXPECT_EQ(s.outputs[1].shape, (std::vector<int64_t>{-1}));
  EXPECT_TRUE(defs->at("other").inputs.empty());
}

TEST(SignatureDefTest, AScalarHasAnEmptyShape) {
  auto defs = ParseSignatureDefs(
      Field(5, Entry("s", Field(1, Entry("k", Info("k:0", 1, ""))))));
  ASSERT_TRUE(defs.ok()) << defs.status().message();
  EXPECT_EQ(defs->at("s").inputs[0].shape, std::vector<int64_t>{});
}

TEST(SignatureDefTest, MalformedBytesSayWhere) {
  const std::string good = Field(5, Entry("s", Field(3, "m")));
  auto truncated = ParseSignatureDefs(good.substr(0, good.size() - 1));
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(truncated.status().message().find("malformed MetaGraphDef"),
            std::string::npos)
      << truncated.status().message();

  auto group = ParseSignatureDefs(Varint((7 << 3) | 3));
  ASSERT_FALSE(group.ok());
  EXPECT_NE(group.status().message().find("wire type 3"), std::string::npos);

  auto bad_name = ParseSignatureDefs(
      Field(5, Entry("s", Field(1, Entry("k", Field(1, 5))))));
  ASSERT_FALSE(bad_name.ok());
  EXPECT_NE(bad_name.status().message().find("malformed TensorInfo"),
            std::string::npos)
      << bad_name.status().message();

  EXPECT_FALSE(ParseSignatureDefs(std::string(11, '\xff')).ok());
}

}  // namespace
}  // namespace adlik::tensorflow
