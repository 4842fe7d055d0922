#include "frontends/tfserving/tensor_proto.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "adlik/bytes_tensor.h"

namespace adlik::tfserving {
namespace {

using ::testing::HasSubstr;

tensorflow::TensorProto Proto(tensorflow::DataType type,
                              std::vector<int64_t> shape) {
  tensorflow::TensorProto p;
  p.set_dtype(type);
  for (int64_t d : shape) p.mutable_tensor_shape()->add_dim()->set_size(d);
  return p;
}

TEST(TensorProtoTest, TypesMapBothWays) {
  EXPECT_EQ(FromTfType(tensorflow::DT_FLOAT), DataType::kFp32);
  EXPECT_EQ(FromTfType(tensorflow::DT_STRING), DataType::kBytes);
  EXPECT_EQ(FromTfType(tensorflow::DT_HALF), DataType::kFp16);
  EXPECT_EQ(FromTfType(tensorflow::DT_COMPLEX64), std::nullopt);
  for (DataType t : {DataType::kBool, DataType::kUint8, DataType::kInt64,
                     DataType::kBf16, DataType::kUint64, DataType::kFp64}) {
    EXPECT_EQ(FromTfType(ToTfType(t)), t);
  }
}

TEST(TensorProtoTest, TensorContentIsReadInPlace) {
  auto p = Proto(tensorflow::DT_INT32, {2});
  const int32_t v[2] = {7, -1};
  p.set_tensor_content(reinterpret_cast<const char*>(v), sizeof(v));
  auto in = FromTensorProto("x", p);
  ASSERT_TRUE(in.ok()) << in.status().message();
  EXPECT_EQ(in->type, DataType::kInt32);
  EXPECT_EQ(in->shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(in->data, p.tensor_content().data());
  EXPECT_EQ(in->byte_size, 8u);
}

TEST(TensorProtoTest, TypedValuesAreConvertedAndChecked) {
  auto p = Proto(tensorflow::DT_INT8, {3});
  p.add_int_val(1);
  p.add_int_val(-128);
  p.add_int_val(127);
  auto in = FromTensorProto("x", p);
  ASSERT_TRUE(in.ok()) << in.status().message();
  in->UseOwned();
  ASSERT_EQ(in->byte_size, 3u);
  EXPECT_EQ(static_cast<int8_t>(in->data[1]), -128);
  p.set_int_val(2, 128);
  EXPECT_THAT(FromTensorProto("x", p).status().message(),
              HasSubstr("128 is out of the dtype's range"));
  p.set_int_val(2, 127);
  p.add_int_val(0);
  EXPECT_THAT(FromTensorProto("x", p).status().message(),
              HasSubstr("4 values of DT_INT8, but tensor_shape [3] has 3"));
}

TEST(TensorProtoTest, ImpliedShapeOnlyWithoutTensorShape) {
  tensorflow::TensorProto p;
  p.set_dtype(tensorflow::DT_FLOAT);
  p.add_float_val(1);
  p.add_float_val(2);
  const std::vector<int64_t> implied{1, 2};
  auto in = FromTensorProto("x", p, &implied);
  ASSERT_TRUE(in.ok()) << in.status().message();
  EXPECT_EQ(in->shape, implied);
  EXPECT_FALSE(FromTensorProto("x", p).ok());  // a scalar has 1 element
}

TEST(TensorProtoTest, StringsBecomeBytesElements) {
  auto p = Proto(tensorflow::DT_STRING, {2});
  p.add_string_val("ab");
  p.add_string_val("");
  auto in = FromTensorProto("s", p);
  ASSERT_TRUE(in.ok()) << in.status().message();
  EXPECT_EQ(in->data, nullptr);  // for the caller to point at `owned`
  in->UseOwned();
  std::string want;
  AppendBytesElement("ab", &want);
  AppendBytesElement("", &want);
  EXPECT_EQ(std::string(in->data, in->byte_size), want);
  p.set_tensor_content("xxxx");
  EXPECT_THAT(FromTensorProto("s", p).status().message(),
              HasSubstr("string_val, not tensor_content"));
}

TEST(TensorProtoTest, BadProtosNameTheInput) {
  auto p = Proto(tensorflow::DT_FLOAT, {2});
  p.set_tensor_content(std::string(7, '\0'));
  EXPECT_THAT(FromTensorProto("in0", p).status().message(),
              HasSubstr("input 'in0': tensor_content has 7 bytes, but "
                        "tensor_shape [2] of DT_FLOAT needs 8"));
  EXPECT_THAT(FromTensorProto("in0", Proto(tensorflow::DT_INVALID, {}))
                  .status()
                  .message(),
              HasSubstr("dtype is missing"));
  EXPECT_THAT(FromTensorProto("in0", Proto(tensorflow::DT_COMPLEX64, {}))
                  .status()
                  .message(),
              HasSubstr("DT_COMPLEX64 is not supported"));
  EXPECT_THAT(FromTensorProto("in0", Proto(tensorflow::DT_FLOAT, {-1}))
                  .status()
                  .message(),
              HasSubstr("negative"));
  auto unknown = Proto(tensorflow::DT_FLOAT, {});
  unknown.mutable_tensor_shape()->set_unknown_rank(true);
  EXPECT_THAT(FromTensorProto("in0", unknown).status().message(),
              HasSubstr("unknown rank"));
  tensorflow::TensorProto bad_enum;
  bad_enum.set_dtype(static_cast<tensorflow::DataType>(999));
  EXPECT_THAT(FromTensorProto("in0", bad_enum).status().message(),
              HasSubstr("dtype 999"));
}

TEST(TensorProtoTest, OutputsAsTensorContentOrStrings) {
  const float v[2] = {1.5f, -2};
  Tensor t{"out",
           DataType::kFp32,
           {1, 2},
           reinterpret_cast<const char*>(v),
           sizeof(v)};
  tensorflow::TensorProto p;
  ASSERT_TRUE(ToTensorProto(t, &p).ok());
  EXPECT_EQ(p.dtype(), tensorflow::DT_FLOAT);
  ASSERT_EQ(p.tensor_shape().dim_size(), 2);
  EXPECT_EQ(p.tensor_shape().dim(1).size(), 2);
  EXPECT_EQ(p.tensor_content(),
            std::string(reinterpret_cast<const char*>(v), sizeof(v)));
  std::string bytes;
  AppendBytesElement("hi", &bytes);
  Tensor s = Tensor::FromBytes("s", DataType::kBytes, {1}, bytes);
  ASSERT_TRUE(ToTensorProto(s, &p).ok());
  EXPECT_EQ(p.dtype(), tensorflow::DT_STRING);
  EXPECT_THAT(p.string_val(), ::testing::ElementsAre("hi"));
  EXPECT_TRUE(p.tensor_content().empty());
}

}  // namespace
}  // namespace adlik::tfserving
