#include "targets.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util/runtimes.h"

namespace adlik::compiler {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(TargetsTest, AliasesFindTheCanonicalTarget) {
  auto ort = FindTarget("onnxruntime_onnx");
  ASSERT_TRUE(ort.ok());
  EXPECT_EQ(ort->name, "onnxruntime");
  EXPECT_EQ(ort->runtime, "onnxruntime");
  auto engine = FindTarget("engine");
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ(engine->name, "topsinference");
  EXPECT_EQ(engine->required_properties, kStaticShapes);
  auto trt = FindTarget("trt");
  ASSERT_TRUE(trt.ok());
  EXPECT_TRUE(trt->runtime.empty());
  EXPECT_EQ(trt->platform, "tensorrt_plan");
  auto tvm = FindTarget("tvm");
  ASSERT_TRUE(tvm.ok());
  EXPECT_EQ(tvm->runtime, "tvm");
  EXPECT_EQ(tvm->required_properties, 0u);
  auto unknown = FindTarget("tpu");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(),
              AllOf(HasSubstr("'tpu' is not a known target"),
                    HasSubstr("onnxruntime, onnx, tensorrt")));
}

TEST(TargetsTest, TheRuntimeDescribesTheFileAndTheBackend) {
  for (const char* name : {"onnxruntime", "onnx"}) {
    auto target = FindTarget(name);
    ASSERT_TRUE(target.ok());
    auto runtime = TargetRuntime(testing::Runtimes(), *target);
    ASSERT_TRUE(runtime.ok()) << runtime.status().ToString();
    EXPECT_EQ((*runtime)->info().name, "onnxruntime");
    EXPECT_EQ((*runtime)->info().default_model_filename, "model.onnx");
  }
}

TEST(TargetsTest, AMissingRuntimeIsNamed) {
  auto tops = TargetRuntime(testing::Runtimes(), *FindTarget("topsinference"));
  ASSERT_FALSE(tops.ok());
  EXPECT_THAT(tops.status().message(),
              AllOf(HasSubstr("serving_type 'topsinference' needs the runtime"),
                    HasSubstr("libadlik_runtime_topsinference.so")));
  auto trt = TargetRuntime(testing::Runtimes(), *FindTarget("tensorrt"));
  ASSERT_FALSE(trt.ok());
  EXPECT_THAT(trt.status().message(),
              HasSubstr("no runtime serves 'tensorrt_plan'"));
}

}  // namespace
}  // namespace adlik::compiler
