#include "passes/ort_optimize.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "numeric_check.h"
#include "test_util/runtimes.h"
#include "test_util/tiny_models.h"

namespace adlik::compiler {
namespace {

using ::testing::HasSubstr;

int Count(const onnx::ModelProto& m, const std::string& op) {
  int n = 0;
  for (const auto& node : m.graph().node()) n += node.op_type() == op;
  return n;
}

TEST(OrtOptimizeTest, BasicLevelFoldsConstantsAndDropsIdentities) {
  const onnx::ModelProto source = testing::FoldableModel();
  auto optimized = OptimizeWithOrt(source, "basic");
  ASSERT_TRUE(optimized.ok()) << optimized.status().ToString();
  EXPECT_EQ(Count(*optimized, "Identity"), 0);
  EXPECT_EQ(Count(*optimized, "Add"), 0) << "C1 + C2 is folded";
  EXPECT_LT(optimized->graph().node_size(), source.graph().node_size());
  auto report =
      testing::CompareOnnx(source, *optimized, {kFp32Tolerance, 5, 4});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->passed) << report->Summary();
}

TEST(OrtOptimizeTest, EveryLevelComputesTheSame) {
  const onnx::ModelProto source = testing::ClassifierModel();
  for (const char* level : {"disable", "basic", "extended", "all"}) {
    auto optimized = OptimizeWithOrt(source, level);
    ASSERT_TRUE(optimized.ok())
        << level << ": " << optimized.status().ToString();
    auto report =
        testing::CompareOnnx(source, *optimized, {kFp32Tolerance, 2, 2});
    ASSERT_TRUE(report.ok()) << level << ": " << report.status().ToString();
    EXPECT_TRUE(report->passed) << level << ": " << report->Summary();
  }
}

TEST(OrtOptimizeTest, ExtendedLevelFusesConvAndRelu) {
  auto optimized = OptimizeWithOrt(testing::ClassifierModel(), "extended");
  ASSERT_TRUE(optimized.ok()) << optimized.status().ToString();
  EXPECT_EQ(Count(*optimized, "Relu"), 0);
  EXPECT_EQ(Count(*optimized, "FusedConv"), 1);
}

TEST(OrtOptimizeTest, RefusesAnUnknownLevel) {
  auto optimized = OptimizeWithOrt(testing::AddModel(), "max");
  ASSERT_FALSE(optimized.ok());
  EXPECT_EQ(optimized.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(optimized.status().message(), HasSubstr("'max'"));
}

TEST(OrtOptimizeTest, ReportsAModelOnnxRuntimeCannotLoad) {
  onnx::ModelProto model = testing::AddModel();
  model.mutable_graph()->mutable_node(0)->set_op_type("NoSuchOperator");
  auto optimized = OptimizeWithOrt(model, "basic");
  ASSERT_FALSE(optimized.ok());
  EXPECT_EQ(optimized.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(optimized.status().message(),
              HasSubstr("ONNX Runtime cannot load the model"));
  EXPECT_THAT(optimized.status().message(), HasSubstr("NoSuchOperator"));
}

}  // namespace
}  // namespace adlik::compiler
