#include <gtest/gtest.h>

#include <cstring>

#include "bench_report.h"
#include "bench_stats.h"
#include "infer_target.h"
#include "input_sets.h"

namespace adlik::bench {
namespace {

TEST(Summarize, UsesNearestRankPercentilesAndBatchThroughput) {
  std::vector<double> ms;
  for (int i = 100; i >= 1; --i) ms.push_back(i);  // 1..100, unsorted
  const LatencySummary s = Summarize(ms, 2.0, 4);
  EXPECT_EQ(s.requests, 100);
  EXPECT_DOUBLE_EQ(s.mean_ms, 50.5);
  EXPECT_DOUBLE_EQ(s.p50_ms, 50);
  EXPECT_DOUBLE_EQ(s.p90_ms, 90);
  EXPECT_DOUBLE_EQ(s.p99_ms, 99);
  EXPECT_DOUBLE_EQ(s.min_ms, 1);
  EXPECT_DOUBLE_EQ(s.max_ms, 100);
  EXPECT_DOUBLE_EQ(s.throughput, 200);  // 100 requests x 4 / 2 s
}

TEST(Summarize, EmptyGivesZeros) {
  const LatencySummary s = Summarize({}, 1.0, 1);
  EXPECT_EQ(s.requests, 0);
  EXPECT_EQ(s.throughput, 0);
}

inference::ModelConfig SimpleConfig() {
  inference::ModelConfig c;
  c.set_name("m");
  c.set_max_batch_size(8);
  auto* a = c.add_input();
  a->set_name("a");
  a->set_data_type(inference::TYPE_FP32);
  a->add_dims(3);
  auto* b = c.add_input();
  b->set_name("ids");
  b->set_data_type(inference::TYPE_INT64);
  b->add_dims(-1);
  return c;
}

TEST(InputSpecsFromConfig, PrependsTheBatchAndFillsVariableDims) {
  InputOptions o;
  o.batch_size = 4;
  o.shapes = {{"ids", {5}}};
  o.ranges = {{"ids", {0, 1}}};
  auto specs = InputSpecsFromConfig(SimpleConfig(), o);
  ASSERT_TRUE(specs.ok()) << specs.status().ToString();
  ASSERT_EQ(specs->size(), 2u);
  EXPECT_EQ((*specs)[0].shape, (std::vector<int64_t>{4, 3}));
  EXPECT_EQ((*specs)[1].shape, (std::vector<int64_t>{4, 5}));
  EXPECT_EQ((*specs)[1].hi, 1);
}

TEST(InputSpecsFromConfig, RefusesWhatTheModelCannotTake) {
  InputOptions o;
  o.batch_size = 9;
  o.shapes = {{"ids", {5}}};
  EXPECT_FALSE(
      InputSpecsFromConfig(SimpleConfig(), o).ok());  // over max_batch_size
  o.batch_size = 1;
  o.shapes.clear();
  auto missing = InputSpecsFromConfig(SimpleConfig(), o);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("--shape=ids:"), std::string::npos);
  o.shapes = {{"ids", {5}}, {"nope", {1}}};
  EXPECT_FALSE(InputSpecsFromConfig(SimpleConfig(), o).ok());
}

TEST(ParseFlags, ShapesAndRanges) {
  auto shapes = ParseShapes("ids:2x384,mask:7");
  ASSERT_TRUE(shapes.ok());
  EXPECT_EQ(shapes->at("ids"), (std::vector<int64_t>{2, 384}));
  EXPECT_FALSE(ParseShapes("ids:2xq").ok());
  auto ranges = ParseRanges("token_type_ids:0:1,x:-5:5");
  ASSERT_TRUE(ranges.ok());
  EXPECT_EQ(ranges->at("x"), (std::pair<int64_t, int64_t>{-5, 5}));
  EXPECT_FALSE(ParseRanges("x:5:1").ok());
}

TEST(MakeInputSets, SeededDistinctAndInRange) {
  InputOptions o;
  o.shapes = {{"ids", {64}}};
  o.ranges = {{"ids", {0, 1}}};
  auto specs = InputSpecsFromConfig(SimpleConfig(), o);
  ASSERT_TRUE(specs.ok());
  const auto a = MakeInputSets(*specs, 3, 7);
  const auto b = MakeInputSets(*specs, 3, 7);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[1].data, b[1].data);        // same seed, same bytes
  EXPECT_NE(a[0].data[0], a[1].data[0]);  // sets differ
  ASSERT_EQ(a[0].data[1].size(), 64u * 8);
  for (int i = 0; i < 64; ++i) {
    int64_t v;
    std::memcpy(&v, a[0].data[1].data() + i * 8, 8);
    EXPECT_TRUE(v == 0 || v == 1) << v;
  }
  EXPECT_EQ(InputSetBytes(*specs), 3 * 4 + 64 * 8);
}

TEST(CompareOutputs, ToleratesFloatNoiseNotIntegerChange) {
  auto tensor = [](DataType t, std::string bytes) {
    return OwnedTensor{
        "o", t, {static_cast<int64_t>(bytes.size() / 4)}, std::move(bytes)};
  };
  auto floats = [](std::vector<float> v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
  };
  double diff = 0;
  EXPECT_TRUE(CompareOutputs(
                  {tensor(DataType::kFp32, floats({1.0f, 2.0f}))},
                  {tensor(DataType::kFp32, floats({1.0f, 2.0000002f}))}, &diff)
                  .ok());
  EXPECT_FALSE(CompareOutputs({tensor(DataType::kFp32, floats({1.0f, 2.5f}))},
                              {tensor(DataType::kFp32, floats({1.0f, 2.0f}))},
                              &diff)
                   .ok());
  EXPECT_DOUBLE_EQ(diff, 0.5);
  EXPECT_FALSE(
      CompareOutputs({tensor(DataType::kInt32, std::string("\1\0\0\0", 4))},
                     {tensor(DataType::kInt32, std::string("\2\0\0\0", 4))},
                     &diff)
          .ok());
}

TEST(BenchReport, RatiosAgainstBareInEveryForm) {
  BenchReport r;
  r.model = "m";
  r.version = "1";
  ProtocolResult bare{"bare", Summarize({2, 2}, 1.0, 1), std::nullopt, 0};
  ProtocolResult grpc{"grpc", Summarize({3, 3}, 2.0, 1), true, 0};
  r.results = {bare, grpc};
  const std::string json = FormatJson(r);
  EXPECT_NE(json.find("\"latency_ratio\": 1.5"), std::string::npos) << json;
  EXPECT_NE(json.find("\"throughput_ratio\": 0.5"), std::string::npos) << json;
  const std::string csv = FormatCsv(r);
  EXPECT_NE(csv.find("m,1,grpc,"), std::string::npos) << csv;
  EXPECT_NE(FormatTable(r).find("1.500"), std::string::npos);
}

}  // namespace
}  // namespace adlik::bench
