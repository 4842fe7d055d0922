#include "numeric_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util/runtimes.h"
#include "test_util/tiny_models.h"

namespace adlik::compiler {
namespace {

using ::testing::HasSubstr;

// The classifier with `delta` added to every output bias.
onnx::ModelProto ShiftedClassifier(float delta) {
  onnx::ModelProto m = testing::ClassifierModel();
  for (auto& t : *m.mutable_graph()->mutable_initializer()) {
    if (t.name() != "fc.b") continue;
    for (int i = 0; i < t.float_data_size(); ++i)
      t.set_float_data(i, t.float_data(i) + delta);
  }
  return m;
}

TEST(NumericCheckTest, IdenticalModelsAgreeExactly) {
  const onnx::ModelProto m = testing::ClassifierModel();
  auto report = testing::CompareOnnx(m, m, {kFp32Tolerance, 0, 8});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->passed);
  EXPECT_EQ(report->max_abs_error, 0);
  EXPECT_EQ(report->max_rel_error, 0);
  ASSERT_EQ(report->outputs.size(), 2u);
  EXPECT_EQ(report->outputs[0].name, "logits");
  EXPECT_GT(report->outputs[0].max_reference, 0);
  EXPECT_EQ(report->inputs, "input[2,3,8,8] FP32")
      << "batch min(2, max_batch_size)";
}

TEST(NumericCheckTest, MeasuresAChangedModel) {
  auto report =
      testing::CompareOnnx(testing::ClassifierModel(), ShiftedClassifier(0.5f),
                           {kFp32Tolerance, 0, 1});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_FALSE(report->passed);
  EXPECT_NEAR(report->outputs[0].max_abs_error, 0.5, 1e-5)
      << "logits move by the bias";
  EXPECT_NEAR(report->outputs[1].max_abs_error, 0, 1e-6)
      << "softmax ignores a shift";
  EXPECT_NEAR(
      report->outputs[0].max_rel_error,
      report->outputs[0].max_abs_error / report->outputs[0].max_reference,
      1e-12);
  EXPECT_THAT(report->Summary(), HasSubstr("FAILED"));
}

TEST(NumericCheckTest, ToleranceDecides) {
  const onnx::ModelProto source = testing::ClassifierModel();
  const onnx::ModelProto shifted = ShiftedClassifier(1e-3f);
  auto loose = testing::CompareOnnx(source, shifted, {1e-1, 0, 2});
  auto strict = testing::CompareOnnx(source, shifted, {1e-5, 0, 2});
  ASSERT_TRUE(loose.ok() && strict.ok());
  EXPECT_TRUE(loose->passed);
  EXPECT_FALSE(strict->passed);
  EXPECT_EQ(loose->max_abs_error, strict->max_abs_error)
      << "same seed, same inputs";
}

TEST(NumericCheckTest, TheSeedChangesTheInputs) {
  const onnx::ModelProto source = testing::ClassifierModel();
  const onnx::ModelProto shifted = ShiftedClassifier(1e-2f);
  auto a = testing::CompareOnnx(source, shifted, {1, 1, 2});
  auto b = testing::CompareOnnx(source, shifted, {1, 2, 2});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->outputs[0].max_reference, b->outputs[0].max_reference);
}

TEST(NumericCheckTest, AMissingOutputIsAnError) {
  onnx::ModelProto fewer = testing::ClassifierModel();
  fewer.mutable_graph()->mutable_output()->RemoveLast();
  auto report = testing::CompareOnnx(testing::ClassifierModel(), fewer,
                                     {kFp32Tolerance, 0, 2});
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.status().message(),
              HasSubstr("the compiled model has no output 'probs'"));
}

TEST(NumericCheckTest, AModelOnnxRuntimeRefusesIsAnError) {
  onnx::ModelProto broken = testing::AddModel();
  broken.mutable_graph()->mutable_node(0)->set_op_type("NoSuchOperator");
  auto report =
      testing::CompareOnnx(testing::AddModel(), broken, {kFp32Tolerance, 0, 2});
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.status().message(),
              HasSubstr("numeric check: the compiled model"));
}

}  // namespace
}  // namespace adlik::compiler
