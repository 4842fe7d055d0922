#include "server/classification.h"

#include <gtest/gtest.h>

#include <cstring>

#include "adlik/bytes_tensor.h"
#include "base/half.h"

namespace adlik {
namespace {

template <typename T>
Tensor Make(std::vector<int64_t> shape, std::vector<T> values, DataType type) {
  std::string bytes(values.size() * sizeof(T), '\0');
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return Tensor::FromBytes("out", type, std::move(shape), std::move(bytes));
}

std::vector<std::string> Entries(const Tensor& t) {
  auto e = SplitBytesElements({t.data, t.byte_size}, ElementCount(t.shape));
  EXPECT_TRUE(e.ok());
  return {e->begin(), e->end()};
}

TEST(ClassificationTest, TopKPerBatchRowWithLabels) {
  Tensor t = Make<float>({2, 4}, {0.1f, 0.9f, 0.5f, 0.2f, 3, 2, 1, 4},
                         DataType::kFp32);
  auto c = Classify(t, 2, /*batched=*/true, {"a", "b", "c", "d"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->type, DataType::kBytes);
  EXPECT_EQ(c->shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(Entries(*c),
            (std::vector<std::string>{"0.900000:1:b", "0.500000:2:c",
                                      "4.000000:3:d", "3.000000:0:a"}));
}

TEST(ClassificationTest, WithoutLabelsAndKLargerThanTheRow) {
  Tensor t = Make<int32_t>({3}, {5, 7, 6}, DataType::kInt32);
  auto c = Classify(t, 10, /*batched=*/false, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(Entries(*c), (std::vector<std::string>{"7.000000:1", "6.000000:2",
                                                   "5.000000:0"}));
}

TEST(ClassificationTest, ReadsHalfPrecision) {
  Tensor t = Make<uint16_t>({2}, {FloatToHalf(1.5f), FloatToHalf(-2.0f)},
                            DataType::kFp16);
  auto c = Classify(t, 1, false, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(Entries(*c), (std::vector<std::string>{"1.500000:0"}));
}

TEST(ClassificationTest, RefusesBytesOutputs) {
  std::string s;
  AppendBytesElement("x", &s);
  Tensor t = Tensor::FromBytes("out", DataType::kBytes, {1}, s);
  EXPECT_EQ(Classify(t, 1, false, {}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace adlik
