#include "config/model_config.h"

#include <gtest/gtest.h>

namespace adlik::config {
namespace {

Signature SimpleSignature() {
  return {{{"INPUT0", DataType::kInt32, {-1, 16}},
           {"INPUT1", DataType::kInt32, {-1, 16}}},
          {{"OUTPUT0", DataType::kInt32, {-1, 16}},
           {"OUTPUT1", DataType::kInt32, {-1, 16}}}};
}

inference::ModelConfig Parse(const std::string& text) {
  auto c = ParseModelConfig(text, "config.pbtxt");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : inference::ModelConfig();
}

TEST(ModelConfigTest, ParsesTritonFieldNames) {
  auto c = Parse(R"pb(
    name: "simple"
    platform: "onnxruntime_onnx"
    max_batch_size: 8 input
    [ {
      name: "INPUT0"
      data_type: TYPE_INT32
      dims: [ 16 ]
    }] output
    [ {
      name: "OUTPUT0"
      data_type: TYPE_INT32
      dims: [ 16 ]
      label_filename: "l.txt"
    }] instance_group
    [ { count: 2 kind: KIND_CPU }]
    dynamic_batching {
      preferred_batch_size: [ 4, 8 ]
      max_queue_delay_microseconds: 100
    }
    version_policy { latest { num_versions: 2 } }
    parameters {
      key: "intra_op_thread_count"
      value { string_value: "1" }
    }
  )pb");
  EXPECT_EQ(c.max_batch_size(), 8);
  EXPECT_EQ(c.input(0).dims(0), 16);
  EXPECT_EQ(c.output(0).label_filename(), "l.txt");
  EXPECT_EQ(c.instance_group(0).count(), 2);
  EXPECT_EQ(c.dynamic_batching().preferred_batch_size(1), 8);
  EXPECT_EQ(c.version_policy().latest().num_versions(), 2u);
  EXPECT_EQ(c.parameters().at("intra_op_thread_count").string_value(), "1");
}

TEST(ModelConfigTest, ParseErrorNamesFileLineAndField) {
  auto c = ParseModelConfig("name: \"x\"\nmax_batch_sise: 4\n",
                            "models/x/config.pbtxt");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("models/x/config.pbtxt:2"),
            std::string::npos);
  EXPECT_NE(c.status().message().find("max_batch_sise"), std::string::npos);
}

TEST(ModelConfigTest, CompletesMissingTensorsFromTheSignature) {
  inference::ModelConfig c;
  c.set_max_batch_size(8);
  ASSERT_TRUE(CompleteAndValidate(SimpleSignature(), &c, "cfg").ok());
  ASSERT_EQ(c.input_size(), 2);
  EXPECT_EQ(c.input(1).name(), "INPUT1");
  EXPECT_EQ(c.input(1).data_type(), inference::TYPE_INT32);
  ASSERT_EQ(c.input(1).dims_size(), 1);  // batch dimension left out
  EXPECT_EQ(c.input(1).dims(0), 16);
  EXPECT_EQ(c.output_size(), 2);

  inference::ModelConfig unbatched;
  ASSERT_TRUE(CompleteAndValidate(SimpleSignature(), &unbatched, "cfg").ok());
  EXPECT_EQ(unbatched.input(0).dims_size(), 2);  // [-1, 16]
  EXPECT_EQ(unbatched.input(0).dims(0), -1);
}

TEST(ModelConfigTest, KeepsScalarsAndZeroSizedDims) {
  Signature sig{{{"x", DataType::kFp32, {}}}, {{"y", DataType::kFp32, {0, 3}}}};
  inference::ModelConfig c;
  ASSERT_TRUE(CompleteAndValidate(sig, &c, "cfg").ok());
  EXPECT_EQ(c.input(0).dims_size(), 0);
  EXPECT_EQ(c.output(0).dims(0), 0);
}

TEST(ModelConfigTest, DimsOneForAScalarWithoutBatching) {
  Signature sig{{{"x", DataType::kFp32, {}}}, {{"y", DataType::kFp32, {}}}};
  auto c = Parse(R"(max_batch_size: 0
    input [ { name: "x" data_type: TYPE_FP32 dims: [ 1 ] } ]
    output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] } ])");
  Status s = CompleteAndValidate(sig, &c, "cfg");
  EXPECT_TRUE(s.ok()) << s.message();
  // Not with batching: the batch dimension is then the model's only one.
  Signature batched{{{"x", DataType::kFp32, {-1}}}, {}};
  auto b = Parse(R"(max_batch_size: 4
    input [ { name: "x" data_type: TYPE_FP32 dims: [ 1 ] } ])");
  EXPECT_FALSE(CompleteAndValidate(batched, &b, "cfg").ok());
  // Nor another shape.
  auto two =
      Parse(R"(input [ { name: "x" data_type: TYPE_FP32 dims: [ 2 ] } ])");
  EXPECT_FALSE(CompleteAndValidate(sig, &two, "cfg").ok());
}

struct BadCase {
  const char* config;
  const char* expected;  // a piece of the message
};
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.expected; }

class BadConfigTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadConfigTest, IsRefusedNamingTheField) {
  auto c = Parse(GetParam().config);
  Status s =
      CompleteAndValidate(SimpleSignature(), &c, "models/simple/config.pbtxt");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("models/simple/config.pbtxt"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find(GetParam().expected), std::string::npos)
      << s.message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadConfigTest,
    ::testing::Values(
        BadCase{"max_batch_size: 8 input [{name: \"NOPE\" data_type: "
                "TYPE_INT32 dims: [16]}]",
                "input 'NOPE': the model has no input"},
        BadCase{"max_batch_size: 8 input [{name: \"INPUT0\" data_type: "
                "TYPE_FP32 dims: [16]},"
                "{name: \"INPUT1\" data_type: TYPE_INT32 dims: [16]}]",
                "data_type TYPE_FP32 does not match the model's INT32"},
        BadCase{"max_batch_size: 8 input [{name: \"INPUT0\" data_type: "
                "TYPE_INT32 dims: [15]},"
                "{name: \"INPUT1\" data_type: TYPE_INT32 dims: [16]}]",
                "dims [15] do not match the model's [16]"},
        BadCase{"max_batch_size: 8 input [{name: \"INPUT0\" data_type: "
                "TYPE_INT32 dims: [16]}]",
                "input 'INPUT1' is missing from the config"},
        BadCase{"max_batch_size: -1", "max_batch_size: must be >= 0"},
        BadCase{
            "max_batch_size: 8 dynamic_batching { preferred_batch_size: 9 }",
            "preferred_batch_size: 9 is outside 1..8"},
        BadCase{"dynamic_batching { }", "needs max_batch_size > 0"},
        BadCase{"max_batch_size: 8 input [{name: \"INPUT0\" data_type: "
                "TYPE_INT32 dims: [16]},"
                "{name: \"INPUT0\" data_type: TYPE_INT32 dims: [16]}]",
                "listed twice"},
        BadCase{"max_batch_size: 8 output [{name: \"OUTPUT0\" dims: [16]}]",
                "data_type is missing"},
        BadCase{"max_batch_size: 8 instance_group [{count: -2}]",
                "count must be >= 0"},
        // Numbers the server would size memory, threads or times from.
        BadCase{"max_batch_size: 8 dynamic_batching { priority_levels: "
                "4294967295 }",
                "priority_levels: 4294967295 is above the limit of 1024"},
        BadCase{"max_batch_size: 2000000000",
                "max_batch_size: 2000000000 is "
                "above the limit"},
        BadCase{"max_batch_size: 8 instance_group [{count: 2000000000}]",
                "instances in all): 2000000000 is above the limit of 256"},
        BadCase{"max_batch_size: 8 instance_group [{count: 200 gpus: [0, 1]}]",
                "instances in all): 400 is above"},
        BadCase{"max_batch_size: 8 instance_group [{gpus: [-1]}]",
                "-1 is not a device id"},
        BadCase{"max_batch_size: 8 dynamic_batching { "
                "max_queue_delay_microseconds: 18446744073709551615 }",
                "max_queue_delay_microseconds: 18446744073709551615 is above"},
        BadCase{"max_batch_size: 8 dynamic_batching { default_queue_policy { "
                "default_timeout_microseconds: 18446744073709551615 } }",
                "default_timeout_microseconds: 18446744073709551615 is above"},
        BadCase{"max_batch_size: 8 dynamic_batching { priority_levels: 2 "
                "priority_queue_policy { key: 1 value { max_queue_size: "
                "4294967295 } } }",
                "priority_queue_policy[1].max_queue_size: 4294967295 is above"},
        BadCase{"version_policy { latest { num_versions: 4294967295 } }",
                "num_versions: 4294967295 is above"},
        BadCase{"version_policy { specific { versions: [-3] } }",
                "version -3 is negative"},
        BadCase{"max_batch_size: 8 input [{name: \"x\" data_type: TYPE_FP32 "
                "dims: [4294967296, 4294967296, -1]}]",
                "more elements than a 64-bit count holds"},
        BadCase{"max_batch_size: 8 input [{name: \"INPUT0\" data_type: "
                "TYPE_INT32 dims: [16] reshape { shape: [4, 5] }}]",
                "input 'INPUT0': reshape [4,5] of dims [16]: the element "
                "counts differ"},
        BadCase{"max_batch_size: 8 input [{name: \"INPUT0\" data_type: "
                "TYPE_INT32 dims: [2, 8] reshape { shape: [4, 4] }},"
                "{name: \"INPUT1\" data_type: TYPE_INT32 dims: [16]}]",
                "input 'INPUT0': reshape [4,4] do not match the model's [16]"},
        BadCase{"max_batch_size: 8 output [{name: \"OUTPUT0\" data_type: "
                "TYPE_INT32 dims: [-1, 4] reshape { shape: [-1, -1] }}]",
                "1 variable (-1) dimensions become 2"},
        BadCase{"max_batch_size: 8 instance_group [{ rate_limiter { resources "
                "[{name: \"R\" count: 1}, {name: \"R\" count: 2}] } }]",
                "rate_limiter.resources: 'R' listed twice"},
        BadCase{"max_batch_size: 8 instance_group [{ rate_limiter { resources "
                "[{count: 1}] } }]",
                "a resource has no name"},
        BadCase{"max_batch_size: 8 model_warmup [{ name: \"w\" batch_size: 9 "
                "}]",
                "model_warmup 'w': batch_size 9 is above max_batch_size 8"},
        BadCase{"model_warmup [{ name: \"w\" batch_size: 2 }]",
                "model_warmup 'w': batch_size 2 but the model does not batch"},
        BadCase{"max_batch_size: 8 model_warmup [{ name: \"w\" batch_size: "
                "1 inputs { key: \"INPUT0\" value { data_type: TYPE_INT32 "
                "dims: [16] } } }]",
                "input 'INPUT0': set one of zero_data, random_data"},
        BadCase{"max_batch_size: 8 model_warmup [{ name: \"w\" batch_size: "
                "1 inputs { key: \"INPUT0\" value { data_type: TYPE_INT32 "
                "dims: [-1] zero_data: true } } }]",
                "a warm-up sample has fixed dimensions"},
        BadCase{"max_batch_size: 8 model_warmup [{ batch_size: 1 }]",
                "model_warmup: a sample has no name"}));

struct UnsupportedCase {
  const char* config;
  const char* field;  // named at the start of the message
};
void PrintTo(const UnsupportedCase& c, std::ostream* os) { *os << c.field; }

class UnsupportedFieldTest : public ::testing::TestWithParam<UnsupportedCase> {
};

TEST_P(UnsupportedFieldTest, IsRefusedAsNotSupportedYet) {
  auto c = Parse(GetParam().config);
  Status s = CheckConfig(c, "m/config.pbtxt");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented);
  EXPECT_NE(s.message().find(std::string("m/config.pbtxt: ") +
                             GetParam().field + ": not supported yet"),
            std::string::npos)
      << s.message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, UnsupportedFieldTest,
    ::testing::Values(
        UnsupportedCase{"max_batch_size: 8 sequence_batching { "
                        "max_sequence_idle_microseconds: 5000000 }",
                        "sequence_batching"},
        UnsupportedCase{"platform: \"ensemble\" ensemble_scheduling { step "
                        "[{ model_name: \"a\" model_version: -1 }] }",
                        "ensemble_scheduling"},
        UnsupportedCase{"response_cache { enable: true }", "response_cache"},
        UnsupportedCase{"batch_input [{ kind: BATCH_ELEMENT_COUNT }]",
                        "batch_input"},
        UnsupportedCase{"batch_output [{ target_name: \"y\" }]",
                        "batch_output"},
        UnsupportedCase{"runtime: \"libtriton_onnxruntime.so\"", "runtime"},
        UnsupportedCase{"cc_model_filenames { key: \"7.5\" value: \"a\" }",
                        "cc_model_filenames"},
        UnsupportedCase{"model_operations { op_library_filename: \"x.so\" }",
                        "model_operations.op_library_filename"},
        UnsupportedCase{"model_repository_agents { agents [{ name: \"a\" }] "
                        "}",
                        "model_repository_agents"},
        UnsupportedCase{"input [{ name: \"x\" data_type: TYPE_FP32 dims: [1] "
                        "allow_ragged_batch: true }]",
                        "input 'x': allow_ragged_batch"},
        UnsupportedCase{"instance_group [{ name: \"g\" profile: \"0\" }]",
                        "instance_group 'g': profile"},
        UnsupportedCase{"instance_group [{ name: \"g\" passive: true }]",
                        "instance_group 'g': passive"},
        UnsupportedCase{"instance_group [{ name: \"g\" secondary_devices "
                        "[{ device_id: 0 }] }]",
                        "instance_group 'g': secondary_devices"}));

TEST(ModelConfigTest, AcceptsTritonFieldsItHonoursOrThatHaveNoEffect) {
  auto c = Parse(R"pb(
    name: "m"
    platform: "onnxruntime_onnx"
    max_batch_size: 8 input
    [ {
      name: "INPUT0"
      data_type: TYPE_INT32
      format: FORMAT_NONE
      dims: [ 4, 4 ]
      reshape { shape: [ 16 ] }
    }
      , {
        name: "INPUT1"
        data_type: TYPE_INT32
        dims: [ 16 ]
        optional: true
      }] output
    [ {
      name: "OUTPUT0"
      data_type: TYPE_INT32
      dims: [ 16 ]
    }] instance_group
    [ {
      count: 2
      kind: KIND_CPU
      rate_limiter {
        resources
        [ { name: "R1" count: 2 }
          , { name: "G" global: true count: 1 }]
        priority: 2
      }
    }]
    optimization {
      graph { level: 1 }
      priority: PRIORITY_MAX
      cuda { graphs: true busy_wait_events: true }
      input_pinned_memory { enable: false }
      output_pinned_memory { enable: true }
      eager_batching: true
    } model_warmup
    [ {
      name: "zeros"
      batch_size: 2
      count: 3
      inputs {
        key: "INPUT0"
        value {
          data_type: TYPE_INT32
          dims: [ 4, 4 ]
          zero_data: true
        }
      }
    }]
    model_transaction_policy { decoupled: false }
    response_cache { enable: false }
    metric_tags { key: "team" value: "a" }
  )pb");
  Status s = CompleteAndValidate(SimpleSignature(), &c, "cfg");
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(c.input(1).optional());
  EXPECT_EQ(c.input(0).reshape().shape(0), 16);
}

TEST(ModelConfigTest, TritonFieldNumbers) {
  // Clients decode ModelConfig by number: a few that differ from the order
  // of declaration.
  const auto* d = inference::ModelConfig::descriptor();
  EXPECT_EQ(d->FindFieldByName("optimization")->number(), 12);
  EXPECT_EQ(d->FindFieldByName("sequence_batching")->number(), 13);
  EXPECT_EQ(d->FindFieldByName("ensemble_scheduling")->number(), 15);
  EXPECT_EQ(d->FindFieldByName("model_warmup")->number(), 16);
  EXPECT_EQ(d->FindFieldByName("response_cache")->number(), 24);
  EXPECT_EQ(d->FindFieldByName("runtime")->number(), 25);
  EXPECT_EQ(d->FindFieldByName("model_metrics")->number(), 26);
  const auto* in = inference::ModelInput::descriptor();
  EXPECT_EQ(in->FindFieldByName("reshape")->number(), 5);
  EXPECT_EQ(in->FindFieldByName("optional")->number(), 8);
  const auto* out = inference::ModelOutput::descriptor();
  EXPECT_EQ(out->FindFieldByName("reshape")->number(), 5);
  EXPECT_EQ(out->FindFieldByName("label_filename")->number(), 4);
  const auto* g = inference::ModelInstanceGroup::descriptor();
  EXPECT_EQ(g->FindFieldByName("rate_limiter")->number(), 6);
  EXPECT_EQ(g->FindFieldByName("host_policy")->number(), 9);
}

TEST(ModelConfigTest, RefusesBatchingOnAFixedBatchDimension) {
  Signature sig{{{"x", DataType::kFp32, {1, 4}}},
                {{"y", DataType::kFp32, {1, 4}}}};
  inference::ModelConfig c;
  c.set_max_batch_size(4);
  Status s = CompleteAndValidate(sig, &c, "cfg");
  EXPECT_NE(s.message().find("fixes the first dimension"), std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace adlik::config
