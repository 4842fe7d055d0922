#include "server/tracer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace adlik {
namespace {

using ::testing::HasSubstr;

// Keeps what it is given.
class Recorder : public TraceExporter {
 public:
  explicit Recorder(std::vector<uint64_t>* ids) : ids_(ids) {}
  void Export(const RequestTrace& trace) override { ids_->push_back(trace.id); }
  void Flush() override {}

 private:
  std::vector<uint64_t>* ids_;
};

Tracer MakeTracer(std::vector<uint64_t>* ids) {
  return Tracer(TraceConfig(), std::make_unique<Recorder>(ids));
}

int Sampled(Tracer& tracer, const std::string& model, int requests) {
  int n = 0;
  for (int i = 0; i < requests; ++i) n += tracer.Sample(model) != nullptr;
  return n;
}

TEST(TracerTest, OffByDefault) {
  std::vector<uint64_t> ids;
  Tracer tracer = MakeTracer(&ids);
  EXPECT_EQ(Sampled(tracer, "m", 5000), 0);
}

TEST(TracerTest, TracesOneOfEveryRateUntilTheCountIsSpent) {
  std::vector<uint64_t> ids;
  Tracer tracer = MakeTracer(&ids);
  ASSERT_TRUE(tracer
                  .Update("", {{"trace_level", {{"TIMESTAMPS"}}},
                               {"trace_rate", {{"3"}}},
                               {"trace_count", {{"2"}}}})
                  .ok());
  EXPECT_EQ(Sampled(tracer, "m", 3), 1);
  EXPECT_EQ(tracer.Get("").at("trace_count"), std::vector<std::string>{"1"});
  EXPECT_EQ(Sampled(tracer, "m", 30), 1);
  EXPECT_EQ(tracer.Get("").at("trace_count"), std::vector<std::string>{"0"});
}

TEST(TracerTest, AModelsOwnSettingOverridesAndClearingRevertsToGlobal) {
  std::vector<uint64_t> ids;
  Tracer tracer = MakeTracer(&ids);
  ASSERT_TRUE(tracer
                  .Update("", {{"trace_level", {{"TIMESTAMPS"}}},
                               {"trace_rate", {{"1"}}}})
                  .ok());
  auto own = tracer.Update("quiet", {{"trace_level", {{"OFF"}}}});
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->at("trace_level"), std::vector<std::string>{"OFF"});
  EXPECT_EQ(own->at("trace_rate"), std::vector<std::string>{"1"});
  EXPECT_EQ(Sampled(tracer, "quiet", 4), 0);
  EXPECT_EQ(Sampled(tracer, "other", 4), 4);
  ASSERT_TRUE(tracer.Update("quiet", {{"trace_level", std::nullopt}}).ok());
  EXPECT_EQ(tracer.Get("quiet").at("trace_level"),
            std::vector<std::string>{"TIMESTAMPS"});
  EXPECT_EQ(Sampled(tracer, "quiet", 4), 4);
}

TEST(TracerTest, TracingOnNeedsSomewhereToWrite) {
  Tracer tracer(TraceConfig(), nullptr);
  auto on = tracer.Update("", {{"trace_level", {{"TIMESTAMPS"}}}});
  ASSERT_FALSE(on.ok());
  EXPECT_THAT(on.status().message(), HasSubstr("triton,file=PATH"));
  EXPECT_EQ(tracer.Get("").at("trace_level"), std::vector<std::string>{"OFF"});
}

TEST(TracerTest, OpenTelemetryModeIsRefusedWithTheReasonWhenNotBuiltIn) {
  TraceConfig config;
  config.mode = TraceMode::kOpenTelemetry;
  auto tracer = Tracer::Create(config);
#ifdef ADLIK_TEST_WITH_OPENTELEMETRY
  EXPECT_TRUE(tracer.ok());
#else
  ASSERT_FALSE(tracer.ok());
  EXPECT_THAT(tracer.status().message(),
              HasSubstr("-DADLIK_WITH_OPENTELEMETRY=ON"));
#endif
}

TEST(TracerTest, TritonFileGetsEveryLogFrequencyTraces) {
  const std::string file =
      (std::filesystem::temp_directory_path() /
       ("tracer_test_" + std::to_string(::getpid()) + ".json"))
          .string();
  auto exporter = MakeTritonFileExporter(file);
  RequestTrace t;
  t.model_name = "m\"q";
  t.model_version = "1";
  t.log_frequency = 2;
  t.timestamps = {{"REQUEST_START", 10}, {"REQUEST_END", 20}};
  for (uint64_t id = 1; id <= 3; ++id) {
    t.id = id;
    exporter->Export(t);
  }
  std::stringstream first;
  first << std::ifstream(file + ".0").rdbuf();
  EXPECT_EQ(first.str(),
            "[{\"id\":1,\"model_name\":\"m\\\"q\",\"model_version\":\"1\","
            "\"request_id\":\"\",\"timestamps\":[{\"name\":\"REQUEST_START\","
            "\"ns\":10},{\"name\":\"REQUEST_END\",\"ns\":20}]},\n"
            "{\"id\":2,\"model_name\":\"m\\\"q\",\"model_version\":\"1\","
            "\"request_id\":\"\",\"timestamps\":[{\"name\":\"REQUEST_START\","
            "\"ns\":10},{\"name\":\"REQUEST_END\",\"ns\":20}]}]\n");
  EXPECT_FALSE(std::filesystem::exists(file + ".1"));
  exporter->Flush();
  std::stringstream second;
  second << std::ifstream(file + ".1").rdbuf();
  EXPECT_THAT(second.str(), HasSubstr("\"id\":3"));
  std::filesystem::remove(file + ".0");
  std::filesystem::remove(file + ".1");
}

}  // namespace
}  // namespace adlik
