#include "server/trace_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace adlik {
namespace {

using ::testing::HasSubstr;

TEST(TraceConfigTest, DefaultsAreTritons) {
  auto config = ParseTraceConfig({});
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(config->settings.timestamps);
  EXPECT_EQ(config->settings.rate, 1000);
  EXPECT_EQ(config->settings.count, -1);
  EXPECT_EQ(config->mode, TraceMode::kTriton);
  EXPECT_EQ(config->url, "localhost:4318/v1/traces");
}

TEST(TraceConfigTest, ParsesTritonsFlagSyntax) {
  auto config = ParseTraceConfig(
      {"mode=opentelemetry", "level=TIMESTAMPS", "rate=1", "count=5",
       "opentelemetry,url=127.0.0.1:9/v1/traces",
       "opentelemetry,resource=service.name=demo", "triton,file=/tmp/t.json",
       "triton,log-frequency=3", "opentelemetry,bsp_schedule_delay=50"});
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->mode, TraceMode::kOpenTelemetry);
  EXPECT_TRUE(config->settings.timestamps);
  EXPECT_EQ(config->settings.rate, 1);
  EXPECT_EQ(config->settings.count, 5);
  EXPECT_EQ(config->settings.file, "/tmp/t.json");
  EXPECT_EQ(config->settings.log_frequency, 3);
  EXPECT_EQ(config->url, "127.0.0.1:9/v1/traces");
  ASSERT_EQ(config->resource.size(), 1u);
  EXPECT_EQ(config->resource[0].first, "service.name");
  EXPECT_EQ(config->resource[0].second, "demo");
  EXPECT_EQ(config->bsp_schedule_delay_ms, 50);
}

TEST(TraceConfigTest, EachBadValueIsNamed) {
  const std::pair<const char*, const char*> cases[] = {
      {"rate=0", "'rate=0'"},
      {"count=-2", "not an integer >= -1"},
      {"level=TENSORS", "TENSORS is not supported"},
      {"level=ALL", "'ALL' is not OFF or TIMESTAMPS"},
      {"mode=zipkin", "mode 'zipkin'"},
      {"colour=red", "unknown key 'colour'"},
      {"jaeger,url=x", "unknown mode 'jaeger'"},
      {"triton,path=x", "unknown triton key 'path'"},
      {"opentelemetry,resource=novalue", "a resource is KEY=VALUE"},
      {"rate", "expected [MODE,]KEY=VALUE"},
  };
  for (const auto& [flag, error] : cases) {
    auto config = ParseTraceConfig({flag});
    ASSERT_FALSE(config.ok()) << flag;
    EXPECT_THAT(config.status().message(), HasSubstr(error)) << flag;
  }
}

TEST(TraceConfigTest, TritonModeTracingNeedsAFile) {
  auto config = ParseTraceConfig({"level=TIMESTAMPS"});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("triton,file=PATH"));
}

TEST(TraceConfigTest, UpdateSetsAndClearsAModelsOwnValues) {
  TraceSettingsOverride own;
  ASSERT_TRUE(
      ApplyTraceUpdate(
          {{"trace_level", {{"TIMESTAMPS"}}}, {"trace_rate", {{"7"}}}}, &own)
          .ok());
  TraceSettings global;
  global.count = 3;
  TraceSettings s = own.Apply(global);
  EXPECT_TRUE(s.timestamps);
  EXPECT_EQ(s.rate, 7);
  EXPECT_EQ(s.count, 3);
  ASSERT_TRUE(ApplyTraceUpdate({{"trace_rate", std::nullopt}}, &own).ok());
  EXPECT_EQ(own.Apply(global).rate, 1000);
  ASSERT_TRUE(ApplyTraceUpdate({{"trace_level", std::nullopt}}, &own).ok());
  EXPECT_TRUE(own.empty());
}

TEST(TraceConfigTest, UpdateRefusesFilesModeAndBadValuesAndChangesNothing) {
  TraceSettingsOverride own;
  own.rate = 5;
  const std::pair<TraceSettingUpdate, const char*> cases[] = {
      {{{"trace_file", {{"/etc/passwd"}}}}, "may not choose a file"},
      {{{"trace_mode", {{"triton"}}}}, "trace_mode can't be updated"},
      {{{"trace_rate", {{"-1"}}}}, "trace_rate: '-1'"},
      {{{"trace_count", {{"x"}}}}, "trace_count: 'x'"},
      {{{"trace_rate", {{"1", "2"}}}}, "expected one value"},
      {{{"trace_level", {{"TENSORS"}}}}, "TENSORS is not supported"},
      {{{"trace_level", std::vector<std::string>{}}}, "no value"},
      {{{"trace_rate", {{"3"}}}, {"verbosity", {{"1"}}}},
       "unknown trace setting 'verbosity'"},
  };
  for (const auto& [update, error] : cases) {
    Status s = ApplyTraceUpdate(update, &own);
    ASSERT_FALSE(s.ok()) << error;
    EXPECT_THAT(s.message(), HasSubstr(error));
    EXPECT_EQ(own.rate, 5);
  }
}

TEST(TraceConfigTest, RendersTritonsNamesAndTexts) {
  TraceSettings s;
  s.file = "/tmp/t";
  const TraceSettingMap m = RenderTraceSettings(s, TraceMode::kOpenTelemetry);
  EXPECT_EQ(m.at("trace_level"), std::vector<std::string>{"OFF"});
  EXPECT_EQ(m.at("trace_rate"), std::vector<std::string>{"1000"});
  EXPECT_EQ(m.at("trace_count"), std::vector<std::string>{"-1"});
  EXPECT_EQ(m.at("log_frequency"), std::vector<std::string>{"0"});
  EXPECT_EQ(m.at("trace_file"), std::vector<std::string>{"/tmp/t"});
  EXPECT_EQ(m.at("trace_mode"), std::vector<std::string>{"opentelemetry"});
}

}  // namespace
}  // namespace adlik
