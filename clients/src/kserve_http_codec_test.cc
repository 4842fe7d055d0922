#include "kserve_http_codec.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstring>
#include <vector>

#include "adlik/bytes_tensor.h"
#include "adlik/client/inference_client.h"

namespace adlik::client::http_codec {
namespace {

TEST(EncodeInferHeader, DescribesEveryInputAsBinary) {
  std::vector<float> x(6, 1.5f);
  std::string names;
  AppendBytesElement("ab", &names);
  AppendBytesElement("", &names);
  const std::vector<InferInput> inputs = {
      {"x", DataType::kFp32, {2, 3}, AsBytes(x)},
      {"s", DataType::kBytes, {2}, names},
  };
  InferOptions options;
  options.request_id = "r1";
  options.outputs = {"y"};
  auto header = EncodeInferHeader(inputs, options);
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  rapidjson::Document doc;
  doc.Parse(header->c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_STREQ(doc["id"].GetString(), "r1");
  EXPECT_TRUE(doc["parameters"]["binary_data_output"].GetBool());
  ASSERT_EQ(doc["inputs"].Size(), 2u);
  EXPECT_STREQ(doc["inputs"][0]["datatype"].GetString(), "FP32");
  EXPECT_EQ(doc["inputs"][0]["shape"][1].GetInt(), 3);
  EXPECT_EQ(doc["inputs"][0]["parameters"]["binary_data_size"].GetInt(), 24);
  EXPECT_EQ(doc["inputs"][1]["parameters"]["binary_data_size"].GetInt(), 10);
  EXPECT_FALSE(doc["inputs"][0].HasMember("data"));
  EXPECT_STREQ(doc["outputs"][0]["name"].GetString(), "y");
  EXPECT_TRUE(doc["outputs"][0]["parameters"]["binary_data"].GetBool());
}

TEST(EncodeInferHeader, RefusesBytesThatDoNotMatchTheShape) {
  std::vector<int32_t> x(5);
  const std::vector<InferInput> inputs = {
      {"x", DataType::kInt32, {2, 3}, AsBytes(x)}};
  auto header = EncodeInferHeader(inputs, {});
  ASSERT_FALSE(header.ok());
  EXPECT_EQ(header.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(header.status().message().find("'x'"), std::string::npos);
}

TEST(DecodeInferResponse, SplitsBinaryOutputsInHeaderOrder) {
  const std::string json =
      R"({"model_name":"m","model_version":"2","id":"r","outputs":[)"
      R"({"name":"a","datatype":"INT32","shape":[2],"parameters":{"binary_data_size":8}},)"
      R"({"name":"b","datatype":"UINT8","shape":[3],"parameters":{"binary_data_size":3}}]})";
  const int32_t a[2] = {7, -9};
  std::string body = json;
  body.append(reinterpret_cast<const char*>(a), sizeof(a));
  body.append("xyz");
  InferResult result;
  ASSERT_TRUE(DecodeInferResponse(std::make_shared<std::string>(body),
                                  json.size(), &result)
                  .ok());
  EXPECT_EQ(result.model_name, "m");
  EXPECT_EQ(result.model_version, "2");
  ASSERT_EQ(result.outputs.size(), 2u);
  int32_t got[2];
  std::memcpy(got, result.Find("a")->data.data(), sizeof(got));
  EXPECT_EQ(got[0], 7);
  EXPECT_EQ(got[1], -9);
  EXPECT_EQ(result.Find("b")->data, "xyz");
  EXPECT_EQ(result.Find("c"), nullptr);
}

TEST(DecodeInferResponse, ReadsJsonData) {
  const std::string json =
      R"({"model_name":"m","outputs":[)"
      R"({"name":"f","datatype":"FP32","shape":[2,2],"data":[[1,2.5],[3,-4]]},)"
      R"({"name":"s","datatype":"BYTES","shape":[1],"data":["hi"]}]})";
  InferResult result;
  ASSERT_TRUE(DecodeInferResponse(std::make_shared<std::string>(json),
                                  std::nullopt, &result)
                  .ok());
  float f[4];
  ASSERT_EQ(result.Find("f")->data.size(), sizeof(f));
  std::memcpy(f, result.Find("f")->data.data(), sizeof(f));
  EXPECT_EQ(f[1], 2.5f);
  EXPECT_EQ(f[3], -4.0f);
  EXPECT_EQ(result.Find("s")->data, std::string("\x02\x00\x00\x00hi", 6));
}

TEST(DecodeInferResponse, ReadsSixteenBitFloatsAsJsonNumbers) {
  const std::string json =
      R"({"outputs":[{"name":"h","datatype":"FP16","shape":[2],"data":[1.5,-2]},)"
      R"({"name":"b","datatype":"BF16","shape":[1],"data":[0.25]}]})";
  InferResult result;
  const Status s = DecodeInferResponse(std::make_shared<std::string>(json),
                                       std::nullopt, &result);
  ASSERT_TRUE(s.ok()) << s.ToString();
  uint16_t h[2];
  ASSERT_EQ(result.Find("h")->data.size(), sizeof(h));
  std::memcpy(h, result.Find("h")->data.data(), sizeof(h));
  EXPECT_EQ(h[0], 0x3e00);  // 1.5 in IEEE half
  EXPECT_EQ(h[1], 0xc000);  // -2
  EXPECT_EQ(result.Find("b")->data, std::string("\x80\x3e", 2));  // 0.25
}

TEST(DecodeInferResponse, NamesTheOutputWhoseDataIsWrong) {
  const std::string json =
      R"({"outputs":[{"name":"a","datatype":"INT8","shape":[2],"data":[1,200]}]})";
  InferResult result;
  const Status s = DecodeInferResponse(std::make_shared<std::string>(json),
                                       std::nullopt, &result);
  EXPECT_EQ(s.message(),
            "output 'a': element 1 is not a INT8 value (or is out of its "
            "range)");
}

TEST(DecodeInferResponse, RefusesBinarySizesPastTheBody) {
  const std::string json =
      R"({"outputs":[{"name":"a","datatype":"INT32","shape":[2],)"
      R"("parameters":{"binary_data_size":8}}]})";
  InferResult result;
  const Status s = DecodeInferResponse(
      std::make_shared<std::string>(json + "1234"), json.size(), &result);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

TEST(ErrorFromResponse, KeepsTheServersMessageAndMapsTheCode) {
  const Status s =
      ErrorFromResponse(404, R"({"error":"Request for unknown model 'x'"})");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "Request for unknown model 'x'");
  EXPECT_EQ(ErrorFromResponse(503, "").code(), StatusCode::kUnavailable);
  EXPECT_EQ(ErrorFromResponse(400, "plain text").message(), "plain text");
}

TEST(DecodeModelMetadata, ReadsTensors) {
  auto m = DecodeModelMetadata(
      R"({"name":"simple","versions":["1"],"platform":"onnxruntime_onnx",)"
      R"("inputs":[{"name":"INPUT0","datatype":"INT32","shape":[-1,16]}],"outputs":[]})");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->name, "simple");
  ASSERT_EQ(m->inputs.size(), 1u);
  EXPECT_EQ(m->inputs[0].shape, (std::vector<int64_t>{-1, 16}));
  EXPECT_EQ(m->versions, std::vector<std::string>{"1"});
}

TEST(DecodeModelConfig, ReadsTheConfigJson) {
  auto c = DecodeModelConfig(
      R"({"name":"simple","max_batch_size":8,"input":[{"name":"INPUT0",)"
      R"("data_type":"TYPE_INT32","dims":["16"]}],"some_future_field":1})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->max_batch_size(), 8);
  ASSERT_EQ(c->input_size(), 1);
  EXPECT_EQ(c->input(0).dims(0), 16);
}

TEST(ModelPath, EncodesNamesAndAddsVersion) {
  EXPECT_EQ(ModelPath("simple", "", "infer"), "/v2/models/simple/infer");
  EXPECT_EQ(ModelPath("a b", "3", "ready"),
            "/v2/models/a%20b/versions/3/ready");
  EXPECT_EQ(ModelPath("m", "", ""), "/v2/models/m");
}

}  // namespace
}  // namespace adlik::client::http_codec
