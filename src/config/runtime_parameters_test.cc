#include "config/runtime_parameters.h"

#include <gtest/gtest.h>

#include "base/text_proto.h"

namespace adlik::config {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

inference::ModelConfig Parse(const std::string& text) {
  inference::ModelConfig c;
  EXPECT_TRUE(ParseTextProto(text, "cfg", &c).ok());
  return c;
}

TEST(RuntimeParametersTest, GraphLevelsAsTritonsOnnxRuntimeBackend) {
  for (auto [level, name] :
       {std::pair{-1, "basic"}, std::pair{0, "all"}, std::pair{1, "extended"},
        std::pair{2, "disable"}}) {
    auto c = Parse("optimization { graph { level: " + std::to_string(level) +
                   " } } parameters { key: \"intra_op_thread_count\" value { "
                   "string_value: \"2\" } }");
    auto p = RuntimeParameters(c, "onnxruntime");
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(*p, (Params{{"graph_optimization_level", name},
                          {"intra_op_thread_count", "2"}}));
  }
  auto bad = RuntimeParameters(Parse("optimization { graph { level: 3 } }"),
                               "onnxruntime");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("optimization.graph.level: 3"),
            std::string::npos);
}

TEST(RuntimeParametersTest, GraphLevelOnOtherRuntimesOnlyTheDefault) {
  EXPECT_TRUE(
      RuntimeParameters(Parse("optimization { graph { level: 0 } }"), "example")
          .ok());
  auto p = RuntimeParameters(Parse("optimization { graph { level: 1 } }"),
                             "example");
  EXPECT_EQ(p.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(p.status().message().find("the runtime 'example'"),
            std::string::npos);
}

TEST(RuntimeParametersTest, ParameterThatDisagreesIsRefused) {
  auto p = RuntimeParameters(
      Parse("optimization { graph { level: -1 } } parameters { key: "
            "\"graph_optimization_level\" value { string_value: \"all\" } }"),
      "onnxruntime");
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find("parameters set it to 'all'"),
            std::string::npos)
      << p.status().message();
}

TEST(RuntimeParametersTest, GpuAccelerators) {
  const std::string trt =
      "optimization { execution_accelerators { gpu_execution_accelerator "
      "[{ name: \"tensorrt\" }] } }";
  EXPECT_EQ(*RuntimeParameters(Parse(trt), "onnxruntime"),
            (Params{{"tensorrt", "1"}}));
  const std::string cuda =
      "optimization { execution_accelerators { gpu_execution_accelerator "
      "[{ name: \"cuda\" }] } }";
  EXPECT_EQ(*RuntimeParameters(Parse(cuda), "onnxruntime"),
            (Params{{"tensorrt", "0"}}));
  auto other = RuntimeParameters(Parse(trt), "libtorch");
  EXPECT_EQ(other.status().code(), StatusCode::kUnimplemented);
  auto params = RuntimeParameters(
      Parse("optimization { execution_accelerators { "
            "gpu_execution_accelerator [{ name: \"tensorrt\" parameters { key: "
            "\"precision_mode\" value: \"FP16\" } }] } }"),
      "onnxruntime");
  EXPECT_NE(params.status().message().find("parameter 'precision_mode'"),
            std::string::npos);
  auto unknown = RuntimeParameters(
      Parse("optimization { execution_accelerators { "
            "gpu_execution_accelerator [{ name: \"auto_mixed_precision\" }] } "
            "}"),
      "onnxruntime");
  EXPECT_NE(unknown.status().message().find("'auto_mixed_precision'"),
            std::string::npos);
}

TEST(RuntimeParametersTest, CpuAcceleratorsAreRefusedByName) {
  auto p = RuntimeParameters(
      Parse("optimization { execution_accelerators { "
            "cpu_execution_accelerator [{ name: \"openvino\" }] } }"),
      "onnxruntime");
  EXPECT_EQ(p.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(p.status().message().find("cpu_execution_accelerator 'openvino'"),
            std::string::npos)
      << p.status().message();
}

}  // namespace
}  // namespace adlik::config
