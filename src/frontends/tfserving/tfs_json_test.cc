#include "frontends/tfserving/tfs_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "adlik/bytes_tensor.h"
#include "frontends/kserve/json_parse.h"

namespace adlik::tfserving {
namespace {

using ::testing::HasSubstr;

ModelMetadata Meta(std::vector<TensorMetadata> inputs) {
  ModelMetadata m;
  m.name = "m";
  m.inputs = std::move(inputs);
  return m;
}

StatusOr<PredictJson> Parse(const std::string& text, const ModelMetadata& m) {
  static rapidjson::Document doc;  // the request copies what it keeps
  Status s = kserve::ParseJson(text, "body", &doc);
  if (!s.ok()) return s;
  return ParsePredictJson(doc, m);
}

TEST(TfsJsonTest, RowFormatStacksNamedInputs) {
  auto m =
      Meta({{"a", DataType::kInt32, {-1, 2}}, {"b", DataType::kFp32, {-1}}});
  auto p = Parse(R"({"instances": [{"a": [1, 2], "b": 0.5},
                                   {"a": [3, 4], "b": 1}]})",
                 m);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_TRUE(p->row_format);
  ASSERT_EQ(p->request->inputs.size(), 2u);
  const InferInput& a = p->request->inputs[0];
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 2}));
  int32_t v[4];
  ASSERT_EQ(a.byte_size, sizeof(v));
  std::memcpy(v, a.data, sizeof(v));
  EXPECT_EQ(v[3], 4);
  EXPECT_EQ(p->request->inputs[1].shape, (std::vector<int64_t>{2}));
}

TEST(TfsJsonTest, ColumnarSingleInputAndB64) {
  auto m = Meta({{"s", DataType::kBytes, {-1}}});
  auto p = Parse(R"({"inputs": [{"b64": "aGk="}, "x"]})", m);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_FALSE(p->row_format);
  std::string want;
  AppendBytesElement("hi", &want);
  AppendBytesElement("x", &want);
  const InferInput& s = p->request->inputs[0];
  EXPECT_EQ(std::string(s.data, s.byte_size), want);
}

TEST(TfsJsonTest, BadBodiesSayWhatIsWrong) {
  auto m =
      Meta({{"a", DataType::kInt32, {-1, 2}}, {"b", DataType::kBytes, {-1}}});
  auto error = [&](const std::string& text) {
    auto p = Parse(text, m);
    EXPECT_FALSE(p.ok()) << text;
    return p.ok() ? std::string() : p.status().message();
  };
  EXPECT_THAT(error("[]"), HasSubstr("JSON object"));
  EXPECT_THAT(error("{}"), HasSubstr("needs 'instances'"));
  EXPECT_THAT(error(R"({"instances": [], "inputs": 1})"), HasSubstr("both"));
  EXPECT_THAT(error(R"({"instances": []})"), HasSubstr("non-empty"));
  EXPECT_THAT(error(R"({"inputs": [1]})"), HasSubstr("2 inputs"));
  EXPECT_THAT(error(R"({"inputs": {"a": [[1, 2], [3]]}})"),
              HasSubstr("not rectangular"));
  EXPECT_THAT(error(R"({"inputs": {"a": [[1, [2]]]}})"),
              HasSubstr("not rectangular"));
  EXPECT_THAT(error(R"({"inputs": {"a": [["1", 2]]}})"), HasSubstr("INT32"));
  EXPECT_THAT(error(R"({"inputs": {"b": [{"b64": "***"}]}})"),
              HasSubstr("valid base64"));
  EXPECT_THAT(error(R"({"inputs": {"b": [3]}})"), HasSubstr("b64"));
  EXPECT_THAT(error(R"({"inputs": {"c": [3]}})"),
              HasSubstr("no input 'c' (its inputs: 'a', 'b')"));
  EXPECT_THAT(error(R"({"instances": [{"a": [1, 2]}, {"b": "x"}]})"),
              HasSubstr("missing"));
  EXPECT_THAT(error(R"({"signature_name": "other", "inputs": {}})"),
              HasSubstr("no signature 'other'"));
}

TEST(TfsJsonTest, RendersRowsAndColumns) {
  const int32_t a[4] = {1, 2, 3, 4};
  std::string bytes;
  AppendBytesElement("p", &bytes);
  AppendBytesElement("\xff", &bytes);
  InferResponse r;
  r.outputs.push_back(
      {"a", DataType::kInt32, {2, 2}, reinterpret_cast<const char*>(a), 16});
  r.outputs.push_back(Tensor::FromBytes("s", DataType::kBytes, {2}, bytes));
  auto rows = RenderPredictJson(r, true);
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  EXPECT_EQ(
      *rows,
      R"({"predictions":[{"a":[1,2],"s":"p"},{"a":[3,4],"s":{"b64":"/w=="}}]})");
  auto columns = RenderPredictJson(r, false);
  ASSERT_TRUE(columns.ok());
  EXPECT_EQ(*columns,
            R"({"outputs":{"a":[[1,2],[3,4]],"s":["p",{"b64":"/w=="}]}})");
  r.outputs.pop_back();
  EXPECT_EQ(*RenderPredictJson(r, false), R"({"outputs":[[1,2],[3,4]]})");
  r.outputs.push_back(
      {"c", DataType::kInt32, {4}, reinterpret_cast<const char*>(a), 16});
  EXPECT_THAT(RenderPredictJson(r, true).status().message(),
              HasSubstr("same first dimension"));
}

}  // namespace
}  // namespace adlik::tfserving
