// The text and JSON forms of a log line (base/logging.h).
#include "base/logging.h"

#include <gtest/gtest.h>

namespace adlik {
namespace {

// 2024-05-01T12:00:00.000123Z
constexpr int64_t kTimeUs = 1714564800000123;

LogRecord Record(std::string_view message) {
  LogRecord r;
  r.level = LogLevel::kError;
  r.time_us = kTimeUs;
  r.file = "model_manager.cc";
  r.line = 47;
  r.message = message;
  return r;
}

TEST(LoggingTest, TextLineIsLevelTimeAndMessage) {
  EXPECT_EQ(FormatLogLine(Record("no repository"), LogFormat::kText),
            "E2024-05-01T12:00:00.000123Z no repository\n");
}

TEST(LoggingTest, TextLineNamesTheModelVersionAndRequest) {
  LogRecord r = Record("UNAVAILABLE: no file");
  r.model = "resnet";
  EXPECT_EQ(FormatLogLine(r, LogFormat::kText),
            "E2024-05-01T12:00:00.000123Z model 'resnet': UNAVAILABLE: no "
            "file\n");
  r.version = 2;
  r.request_id = "r-1";
  EXPECT_EQ(FormatLogLine(r, LogFormat::kText),
            "E2024-05-01T12:00:00.000123Z model 'resnet' version 2: request "
            "'r-1': UNAVAILABLE: no file\n");
}

TEST(LoggingTest, TextLineOfARelayedMessageShowsItsLocation) {
  LogRecord r = Record("out of memory");
  r.file = "plugin.cc";
  r.line = 9;
  r.relayed = true;
  EXPECT_EQ(FormatLogLine(r, LogFormat::kText),
            "E2024-05-01T12:00:00.000123Z plugin.cc:9: out of memory\n");
}

TEST(LoggingTest, JsonLineHasOnlyTheFieldsSet) {
  EXPECT_EQ(FormatLogLine(Record("no repository"), LogFormat::kJson),
            "{\"time\":\"2024-05-01T12:00:00.000123Z\",\"level\":\"ERROR\","
            "\"file\":\"model_manager.cc\",\"line\":47,"
            "\"message\":\"no repository\"}\n");
  LogRecord r = Record("READY");
  r.level = LogLevel::kInfo;
  r.model = "resnet";
  r.version = 2;
  r.request_id = "r-1";
  EXPECT_EQ(FormatLogLine(r, LogFormat::kJson),
            "{\"time\":\"2024-05-01T12:00:00.000123Z\",\"level\":\"INFO\","
            "\"file\":\"model_manager.cc\",\"line\":47,\"model\":\"resnet\","
            "\"version\":2,\"request_id\":\"r-1\",\"message\":\"READY\"}\n");
}

TEST(LoggingTest, JsonEscapesQuotesControlCharactersAndInvalidUtf8) {
  LogRecord r = Record("a \"b\"\\c\nd\te\x01 \xc3\xa9 \xff");
  r.model = "m\"";
  EXPECT_EQ(FormatLogLine(r, LogFormat::kJson),
            "{\"time\":\"2024-05-01T12:00:00.000123Z\",\"level\":\"ERROR\","
            "\"file\":\"model_manager.cc\",\"line\":47,\"model\":\"m\\\"\","
            "\"message\":\"a \\\"b\\\"\\\\c\\nd\\te\\u0001 \xc3\xa9 "
            "\\\\xFF\"}\n");
}

TEST(LoggingTest, SwitchesTurnSeveritiesOnAndOffOneByOne) {
  SetLogEnabled(LogLevel::kWarning, false);
  EXPECT_TRUE(LogEnabled(LogLevel::kInfo));
  EXPECT_FALSE(LogEnabled(LogLevel::kWarning));
  EXPECT_TRUE(LogEnabled(LogLevel::kError));
  SetLogEnabled(LogLevel::kFatal, false);
  EXPECT_TRUE(LogEnabled(LogLevel::kFatal));
  EXPECT_FALSE(LogEnabled(LogLevel::kVerbose));
  SetVerboseLevel(2);
  EXPECT_EQ(VerboseLevel(), 2u);
  EXPECT_TRUE(LogEnabled(LogLevel::kVerbose));
  SetMinLogLevel(LogLevel::kError);
  EXPECT_FALSE(LogEnabled(LogLevel::kInfo));
  EXPECT_FALSE(LogEnabled(LogLevel::kWarning));
  EXPECT_FALSE(LogEnabled(LogLevel::kVerbose));
  EXPECT_EQ(VerboseLevel(), 0u);
  SetMinLogLevel(LogLevel::kInfo);
  EXPECT_TRUE(LogEnabled(LogLevel::kWarning));
}

}  // namespace
}  // namespace adlik
