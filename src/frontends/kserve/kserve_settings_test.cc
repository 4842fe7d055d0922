#include "frontends/kserve/kserve_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace adlik::kserve {
namespace {

using ::testing::HasSubstr;

TEST(KServeSettingsTest, TraceJsonHasTheLevelAsAListAndTheRestAsStrings) {
  EXPECT_EQ(TraceSettingsJson({{"trace_level", {"TIMESTAMPS"}},
                               {"trace_rate", {"10"}},
                               {"trace_file", {""}}}),
            "{\"trace_file\":\"\",\"trace_level\":[\"TIMESTAMPS\"],"
            "\"trace_rate\":\"10\"}");
}

TEST(KServeSettingsTest, TraceJsonUpdateTakesStringsIntegersListsAndNull) {
  auto update = ParseTraceSettingsJson(
      R"({"trace_level":["TIMESTAMPS"],"trace_rate":"5","trace_count":3,)"
      R"("log_frequency":null})");
  ASSERT_TRUE(update.ok()) << update.status().message();
  EXPECT_EQ(update->at("trace_level"),
            std::optional(std::vector<std::string>{"TIMESTAMPS"}));
  EXPECT_EQ(update->at("trace_rate"),
            std::optional(std::vector<std::string>{"5"}));
  EXPECT_EQ(update->at("trace_count"),
            std::optional(std::vector<std::string>{"3"}));
  EXPECT_EQ(update->at("log_frequency"), std::nullopt);
  for (const auto& [body, error] :
       std::vector<std::pair<const char*, const char*>>{
           {"[]", "must be a JSON object"},
           {R"({"trace_rate":true})", "trace setting 'trace_rate'"},
           {R"({"trace_level":[1]})", "a list must hold strings only"},
           {"{", "trace settings"}}) {
    auto bad = ParseTraceSettingsJson(body);
    ASSERT_FALSE(bad.ok()) << body;
    EXPECT_THAT(bad.status().message(), HasSubstr(error)) << body;
  }
}

TEST(KServeSettingsTest, TraceProtoEmptyValueClears) {
  inference::TraceSettingRequest request;
  (*request.mutable_settings())["trace_rate"].add_value("4");
  (*request.mutable_settings())["trace_level"];
  const TraceSettingUpdate update = TraceUpdateFromProto(request);
  EXPECT_EQ(update.at("trace_rate"),
            std::optional(std::vector<std::string>{"4"}));
  EXPECT_EQ(update.at("trace_level"), std::nullopt);
}

TEST(KServeSettingsTest, LogSettingsBothWays) {
  LogSettings s;
  s.log_warning = false;
  s.log_verbose_level = 2;
  EXPECT_EQ(LogSettingsJson(s),
            "{\"log_file\":\"\",\"log_info\":true,\"log_warning\":false,"
            "\"log_error\":true,\"log_verbose_level\":2,\"log_format\":"
            "\"text\"}");
  inference::LogSettingsResponse response;
  RenderLogSettings(s, &response);
  EXPECT_FALSE(response.settings().at("log_warning").bool_param());
  EXPECT_EQ(response.settings().at("log_verbose_level").uint32_param(), 2u);

  auto update = ParseLogSettingsJson(
      R"({"log_info":false,"log_verbose_level":1,"log_format":"json"})");
  ASSERT_TRUE(update.ok());
  EXPECT_EQ(std::get<bool>(update->at("log_info")), false);
  EXPECT_EQ(std::get<int64_t>(update->at("log_verbose_level")), 1);
  EXPECT_EQ(std::get<std::string>(update->at("log_format")), "json");
  auto bad = ParseLogSettingsJson(R"({"log_info":[true]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("log setting 'log_info'"));

  inference::LogSettingsRequest request;
  (*request.mutable_settings())["log_error"].set_bool_param(false);
  (*request.mutable_settings())["log_file"];
  auto from_proto = LogUpdateFromProto(request);
  ASSERT_FALSE(from_proto.ok());
  EXPECT_THAT(from_proto.status().message(),
              HasSubstr("log setting 'log_file': no value"));
}

}  // namespace
}  // namespace adlik::kserve
