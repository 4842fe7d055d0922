#include "frontends/kserve/proto_json.h"

#include <gtest/gtest.h>

#include <limits>

#include "config/model_config.pb.h"
#include "frontends/kserve/json_parse.h"
#include "frontends/kserve/kserve_render.h"

namespace adlik::kserve {
namespace {

TEST(ProtoJsonTest, WritesAConfigAsTritonDoes) {
  inference::ModelConfig config;
  config.set_name("m");
  config.set_max_batch_size(8);
  auto* in = config.add_input();
  in->set_name("x");
  in->set_data_type(inference::TYPE_FP16);
  in->add_dims(16);
  in->add_dims(-1);
  config.mutable_dynamic_batching()->set_max_queue_delay_microseconds(
      uint64_t{1} << 40);
  (*config.mutable_parameters())["k"].set_string_value("v");
  const std::string json = ProtoJson(config);
  rapidjson::Document doc;
  ASSERT_TRUE(ParseJson(json, "config", &doc).ok()) << json;
  // 64-bit integers are numbers, enums names, field names the .proto's.
  EXPECT_TRUE(doc["input"][0]["dims"][0].IsInt64()) << json;
  EXPECT_EQ(doc["input"][0]["dims"][1].GetInt64(), -1);
  EXPECT_STREQ(doc["input"][0]["data_type"].GetString(), "TYPE_FP16");
  EXPECT_EQ(doc["dynamic_batching"]["max_queue_delay_microseconds"].GetUint64(),
            uint64_t{1} << 40);
  EXPECT_STREQ(doc["parameters"]["k"]["string_value"].GetString(), "v");
  // Defaults are written; unset messages are not.
  EXPECT_STREQ(doc["backend"].GetString(), "");
  EXPECT_TRUE(doc["output"].IsArray());
  EXPECT_FALSE(doc.HasMember("version_policy"));
}

TEST(ProtoJsonTest, FloatsInTheirShortestFormAndBytesInBase64) {
  inference::InferTensorContents c;
  c.add_fp32_contents(0.1f);
  c.add_fp32_contents(std::numeric_limits<float>::infinity());
  c.add_bytes_contents("hi!");
  c.add_bytes_contents("a");
  const std::string json = ProtoJson(c);
  EXPECT_NE(json.find(R"("fp32_contents":[0.1,"Infinity"])"), std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("bytes_contents":["aGkh","YQ=="])"), std::string::npos)
      << json;
}

TEST(KServeRenderTest, StatisticsCarryEveryTritonField) {
  ModelStatsEntry e{"m", "1", {}, 0};
  e.stats.inference_count = 3;
  e.stats.success = {3, 300};
  e.stats.batch_stats[2] = {2, {1, 10}, {1, 20}, {1, 30}};
  inference::ModelStatisticsResponse m;
  RenderStatistics({e}, &m);
  EXPECT_EQ(
      ProtoJson(m),
      R"({"model_stats":[{"name":"m","version":"1","last_inference":0,)"
      R"("inference_count":3,"execution_count":0,"inference_stats":{)"
      R"("success":{"count":3,"ns":300},"fail":{"count":0,"ns":0},)"
      R"("queue":{"count":0,"ns":0},"compute_input":{"count":0,"ns":0},)"
      R"("compute_infer":{"count":0,"ns":0},"compute_output":{"count":0,"ns":0},)"
      R"("cache_hit":{"count":0,"ns":0},"cache_miss":{"count":0,"ns":0}},)"
      R"("batch_stats":[{"batch_size":2,"compute_input":{"count":1,"ns":10},)"
      R"("compute_infer":{"count":1,"ns":20},"compute_output":{"count":1,"ns":30}}]}]})");
}

TEST(KServeRenderTest, IndexKeepsOnlyReadyVersionsWhenAsked) {
  const std::vector<ModelIndexEntry> entries = {
      {"a", "1", ModelState::kReady, ""},
      {"b", "", ModelState::kUnavailable, "no version"}};
  inference::RepositoryIndexResponse all, ready;
  RenderIndex(entries, false, &all);
  RenderIndex(entries, true, &ready);
  ASSERT_EQ(all.models_size(), 2);
  EXPECT_EQ(all.models(1).reason(), "no version");
  ASSERT_EQ(ready.models_size(), 1);
  EXPECT_EQ(ready.models(0).state(), "READY");
}

}  // namespace
}  // namespace adlik::kserve
