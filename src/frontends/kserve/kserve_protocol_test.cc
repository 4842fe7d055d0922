#include "frontends/kserve/kserve_protocol.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace adlik::kserve {
namespace {

TEST(KServeProtocolTest, PriorityAndTimeoutTakeEitherIntegerKind) {
  InferRequest r;
  EXPECT_TRUE(ApplyRequestParameter("priority", int64_t{2}, &r).ok());
  EXPECT_EQ(r.priority, 2);
  EXPECT_TRUE(ApplyRequestParameter("priority", uint64_t{3}, &r).ok());
  EXPECT_EQ(r.priority, 3);
  EXPECT_TRUE(ApplyRequestParameter("timeout", uint64_t{500}, &r).ok());
  EXPECT_EQ(r.timeout_us, 500u);
  EXPECT_TRUE(ApplyRequestParameter("timeout", int64_t{7}, &r).ok());
  EXPECT_EQ(r.timeout_us, 7u);
}

TEST(KServeProtocolTest, PriorityAndTimeoutRefuseOtherValues) {
  InferRequest r;
  const ParameterValue bad[] = {int64_t{-1},
                                true,
                                1.5,
                                std::string_view("1"),
                                std::monostate(),
                                std::numeric_limits<uint64_t>::max()};
  for (const auto& v : bad) {
    const Status s = ApplyRequestParameter("priority", v, &r);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(), "parameter 'priority' must be an integer >= 0");
  }
  EXPECT_EQ(r.priority, 0);
  EXPECT_EQ(ApplyRequestParameter("timeout", int64_t{-5}, &r).code(),
            StatusCode::kInvalidArgument);
  // Other keys are not the codec's to refuse.
  EXPECT_TRUE(ApplyRequestParameter("binary_data_output", true, &r).ok());
  EXPECT_TRUE(ApplyRequestParameter("whatever", 1.5, &r).ok());
}

TEST(KServeProtocolTest, Classification) {
  RequestedOutput o{"out", 0};
  EXPECT_TRUE(ApplyOutputParameter("classification", int64_t{5}, &o).ok());
  EXPECT_EQ(o.classification, 5u);
  EXPECT_TRUE(ApplyOutputParameter("classification", uint64_t{1}, &o).ok());
  EXPECT_EQ(o.classification, 1u);
  const ParameterValue bad[] = {int64_t{0}, int64_t{-2}, 2.0,
                                std::string_view("2"), uint64_t{1} << 40};
  for (const auto& v : bad) {
    const Status s = ApplyOutputParameter("classification", v, &o);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(),
              "output 'out': classification must be an integer >= 1");
  }
  EXPECT_EQ(o.classification, 1u);
  EXPECT_TRUE(ApplyOutputParameter("binary_data", true, &o).ok());
}

TEST(KServeProtocolTest, DataTypesAndDimensions) {
  auto t = ParseTensorDataType("x", "FP16");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, DataType::kFp16);
  EXPECT_EQ(ParseTensorDataType("x", "TYPE_FP16").status().message(),
            "input 'x': unknown datatype 'TYPE_FP16'");
  EXPECT_FALSE(ParseTensorDataType("x", "FLOAT").ok());
  EXPECT_FALSE(ParseTensorDataType("x", "").ok());
  EXPECT_TRUE(CheckDimension("x", 0).ok());
  EXPECT_EQ(CheckDimension("x", -1).message(),
            "input 'x': shape entries must be integers >= 0");
}

TEST(KServeProtocolTest, ConfigOverride) {
  auto c = ParseConfigOverride("m", R"({"max_batch_size": 4})");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->max_batch_size(), 4);
  auto bad = ParseConfigOverride("m", R"({"no_such_field": 1})");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("load 'm'"), std::string::npos);
}

TEST(KServeProtocolTest, ModelVersions) {
  for (const char* good : {"", "1", "0", "007", "9223372036854775807"})
    EXPECT_TRUE(CheckModelVersion(good).ok()) << good;
  for (const char* bad :
       {"abc", "wrong_specification", "-1", "+1", "1.0", " 1", "1 ", "0x10"}) {
    Status s = CheckModelVersion(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("'" + std::string(bad) + "'"), std::string::npos)
        << s.message();
    EXPECT_NE(s.message().find("not a decimal number"), std::string::npos)
        << s.message();
  }
  Status big = CheckModelVersion("9223372036854775808");
  EXPECT_EQ(big.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(big.message().find("out of range"), std::string::npos)
      << big.message();
}

TEST(KServeProtocolTest, ExtensionsAndErrorCodes) {
  const auto& e = Extensions();
  EXPECT_NE(std::find(e.begin(), e.end(), "statistics"), e.end());
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
}

TEST(KServeProtocolTest, SharedMemoryParameters) {
  auto apply = [](SharedMemoryParameters* p, std::string_view key,
                  const ParameterValue& v) {
    bool taken = false;
    Status s = ApplySharedMemoryParameter("input 'x'", key, v, p, &taken);
    return s.ok() ? (taken ? 1 : 0) : -1;
  };
  SharedMemoryParameters p;
  EXPECT_EQ(apply(&p, "priority", int64_t{1}), 0);
  EXPECT_EQ(apply(&p, "shared_memory_region", std::string_view("r")), 1);
  EXPECT_EQ(apply(&p, "shared_memory_offset", uint64_t{8}), 1);
  EXPECT_EQ(apply(&p, "shared_memory_byte_size", int64_t{64}), 1);
  auto ref = FinishSharedMemoryRef("input 'x'", p);
  ASSERT_TRUE(ref.ok());
  ASSERT_TRUE(ref->has_value());
  EXPECT_EQ((*ref)->region, "r");
  EXPECT_EQ((*ref)->offset, 8u);
  EXPECT_EQ((*ref)->byte_size, 64u);

  SharedMemoryParameters bad;
  EXPECT_EQ(apply(&bad, "shared_memory_region", std::string_view("")), -1);
  EXPECT_EQ(apply(&bad, "shared_memory_region", int64_t{3}), -1);
  EXPECT_EQ(apply(&bad, "shared_memory_offset", int64_t{-1}), -1);
  EXPECT_EQ(apply(&bad, "shared_memory_byte_size", 1.5), -1);

  SharedMemoryParameters no_region;
  no_region.byte_size = 4;
  EXPECT_EQ(FinishSharedMemoryRef("input 'x'", no_region).status().code(),
            StatusCode::kInvalidArgument);
  SharedMemoryParameters no_size;
  no_size.region = "r";
  Status s = FinishSharedMemoryRef("output 'y'", no_size).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("output 'y'"), std::string::npos);
  auto none = FinishSharedMemoryRef("input 'x'", SharedMemoryParameters());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

}  // namespace
}  // namespace adlik::kserve
