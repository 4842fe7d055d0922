#include "frontends/kserve/kserve_json.h"

#include <gtest/gtest.h>

#include <cstring>

#include "adlik/bytes_tensor.h"
#include "frontends/kserve/kserve_protocol.h"

namespace adlik::kserve {
namespace {

std::vector<int32_t> Ints(const InferInput& in) {
  std::vector<int32_t> v(in.byte_size / 4);
  std::memcpy(v.data(), in.data, in.byte_size);
  return v;
}

TEST(KServeJsonTest, ParsesJsonTensorsNestedOrFlat) {
  auto p = ParseInferRequest(R"({"id":"r1","inputs":[
      {"name":"a","datatype":"INT32","shape":[2,2],"data":[[1,2],[3,4]]},
      {"name":"b","datatype":"BYTES","shape":[2],"data":["x","yz"]},
      {"name":"c","datatype":"BOOL","shape":[1],"data":[true]}],
      "outputs":[{"name":"o","parameters":{"binary_data":true,"classification":3}}]})",
                             std::nullopt);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const InferRequest& r = *p->request;
  EXPECT_EQ(r.id, "r1");
  EXPECT_EQ(Ints(r.inputs[0]), (std::vector<int32_t>{1, 2, 3, 4}));
  auto strings =
      SplitBytesElements({r.inputs[1].data, r.inputs[1].byte_size}, 2);
  ASSERT_TRUE(strings.ok());
  EXPECT_EQ((*strings)[1], "yz");
  EXPECT_EQ(r.inputs[2].byte_size, 1u);
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_EQ(r.outputs[0].classification, 3u);
  EXPECT_TRUE(p->binary_outputs[0]);
}

TEST(KServeJsonTest, ReadsBinaryInputsInPlace) {
  const std::string header =
      R"({"inputs":[{"name":"a","datatype":"INT32","shape":[2],"parameters":{"binary_data_size":8}},)"
      R"({"name":"b","datatype":"INT32","shape":[1],"parameters":{"binary_data_size":4}}]})";
  std::string body = header;
  const int32_t values[3] = {7, -1, 42};
  body.append(reinterpret_cast<const char*>(values), sizeof(values));
  auto p = ParseInferRequest(body, header.size());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(Ints(p->request->inputs[0]), (std::vector<int32_t>{7, -1}));
  EXPECT_EQ(Ints(p->request->inputs[1]), (std::vector<int32_t>{42}));
  EXPECT_TRUE(p->request->inputs[0].owned.empty());  // no copy
}

struct BadCase {
  std::string body;
  std::optional<size_t> header_length;
  const char* expected;
};
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.expected; }

class BadRequestTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadRequestTest, IsRefusedNamingTheProblem) {
  auto p = ParseInferRequest(GetParam().body, GetParam().header_length);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find(GetParam().expected), std::string::npos)
      << p.status().message();
}

const std::string kBinHeader =
    R"({"inputs":[{"name":"a","datatype":"INT32","shape":[2],"parameters":{"binary_data_size":8}}]})";

INSTANTIATE_TEST_SUITE_P(
    Cases, BadRequestTest,
    ::testing::Values(
        BadCase{"{\"inputs\": [", std::nullopt, "malformed JSON"},
        BadCase{"[1,2]", std::nullopt, "must be a JSON object"},
        BadCase{"{}", std::nullopt, "'inputs' (an array) is required"},
        BadCase{
            R"({"inputs":[{"name":"a","datatype":"FLOAT","shape":[1],"data":[1]}]})",
            std::nullopt, "unknown datatype 'FLOAT'"},
        BadCase{
            R"({"inputs":[{"name":"a","datatype":"INT32","shape":[3],"data":[1,2]}]})",
            std::nullopt, "shape [3] has 3 elements but 'data' has 2"},
        BadCase{
            R"({"inputs":[{"name":"a","datatype":"INT8","shape":[1],"data":[300]}]})",
            std::nullopt,
            "element 0 is not a INT8 value (or is out of its range)"},
        BadCase{
            R"({"inputs":[{"name":"a","datatype":"INT32","shape":[1],"data":["x"]}]})",
            std::nullopt, "element 0 is not a INT32 value"},
        BadCase{
            R"({"inputs":[{"name":"a","datatype":"INT32","shape":[-1],"data":[1]}]})",
            std::nullopt, "shape entries must be integers >= 0"},
        BadCase{R"({"inputs":[{"datatype":"INT32","shape":[1],"data":[1]}]})",
                std::nullopt, "'name' (a string) is required"},
        BadCase{kBinHeader + "1234", kBinHeader.size(),
                "binary_data_size 8 runs past the end of the body"},
        BadCase{kBinHeader + "123456789", kBinHeader.size(),
                "9 bytes of binary data"},
        BadCase{kBinHeader, kBinHeader.size() + 100,
                "is larger than the body"}));

TEST(KServeJsonTest, RendersJsonAndBinaryOutputs) {
  InferResponse r;
  r.model_name = "m";
  r.model_version = "1";
  std::string ints(8, '\0');
  const int32_t v[2] = {5, -6};
  std::memcpy(ints.data(), v, 8);
  r.outputs.push_back(Tensor::FromBytes("a", DataType::kInt32, {2}, ints));
  r.outputs.push_back(Tensor::FromBytes("b", DataType::kInt32, {2}, ints));
  RenderedResponse json = RenderInferResponse(r, {false, false});
  EXPECT_FALSE(json.header_length);
  EXPECT_NE(json.body.find(R"("data":[5,-6])"), std::string::npos) << json.body;
  RenderedResponse bin = RenderInferResponse(r, {false, true});
  ASSERT_TRUE(bin.header_length);
  EXPECT_EQ(bin.body.size(), *bin.header_length + 8);
  EXPECT_EQ(bin.body.substr(*bin.header_length), ints);
  EXPECT_NE(bin.body.find(R"("binary_data_size":8)"), std::string::npos);
}

TEST(KServeJsonTest, ErrorsMapToHttpCodes) {
  EXPECT_EQ(ErrorJson("bad \"x\""), R"({"error":"bad \"x\""})");
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInternal), 500);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnimplemented), 501);
  EXPECT_EQ(HttpStatusFor(StatusCode::kResourceExhausted), 413);
}

TEST(KServeJsonTest, RefusesDeepNestingWithoutRecursing) {
  // Enough brackets to overflow any recursive parser's stack.
  const std::string brackets(200000, '[');
  for (const std::string& body :
       {brackets, R"({"inputs":[{"name":"a","datatype":"INT32","shape":[1],)"
                  R"("data":)" +
                      std::string(30000, '[') + "1" + std::string(30000, ']') +
                      "}]}"}) {
    auto p = ParseInferRequest(body, std::nullopt);
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.status().message().find("nested deeper than 100"),
              std::string::npos)
        << p.status().message();
  }
  // 100 levels are fine: 3 around 'data', 97 in it.
  const std::string nested = std::string(97, '[') + "7" + std::string(97, ']');
  auto p = ParseInferRequest(
      R"({"inputs":[{"name":"a","datatype":"INT32","shape":[1],"data":)" +
          nested + "}]}",
      std::nullopt);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(Ints(p->request->inputs[0]), (std::vector<int32_t>{7}));
}

TEST(KServeJsonTest, RefusesShapesWhoseProductOverflows) {
  auto p =
      ParseInferRequest(R"({"inputs":[{"name":"a","datatype":"INT32",)"
                        R"("shape":[4294967296,4294967296,4],"data":[1]}]})",
                        std::nullopt);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("has too many elements"),
            std::string::npos)
      << p.status().message();
}

TEST(KServeJsonTest, ErrorJsonEscapesInvalidUtf8) {
  EXPECT_EQ(ErrorJson("model 'a\xff\xc3(' \xc3\xa9"),
            "{\"error\":\"model 'a\\\\xFF\\\\xC3(' \xc3\xa9\"}");
  EXPECT_EQ(ErrorJson("\xed\xa0\x80"), R"({"error":"\\xED\\xA0\\x80"})");
}

}  // namespace
}  // namespace adlik::kserve
