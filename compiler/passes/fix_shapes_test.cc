#include "passes/fix_shapes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "numeric_check.h"
#include "onnx_model.h"
#include "test_util/runtimes.h"
#include "test_util/tiny_models.h"

namespace adlik::compiler {
namespace {

using ::testing::HasSubstr;

std::vector<int64_t> Dims(const onnx::ValueInfoProto& v) {
  std::vector<int64_t> dims;
  for (const auto& d : v.type().tensor_type().shape().dim())
    dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
  return dims;
}

TEST(FixShapesTest, BatchBecomesMaxBatchSizeAndReachesTheOutputs) {
  onnx::ModelProto model = testing::ClassifierModel();
  ASSERT_TRUE(FixShapes({4, {}}, &model).ok());
  EXPECT_EQ(Dims(model.graph().input(0)), (std::vector<int64_t>{4, 3, 8, 8}));
  EXPECT_EQ(Dims(model.graph().output(0)), (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(Dims(model.graph().output(1)), (std::vector<int64_t>{4, 5}));
  std::string warning;
  EXPECT_TRUE(CheckOnnx(model, "fixed", &warning).ok());
  // ONNX Runtime sees the same static signature.
  auto ort = testing::OrtSignature(model);
  ASSERT_TRUE(ort.ok()) << ort.status().ToString();
  EXPECT_EQ(ort->inputs[0].shape, (std::vector<int64_t>{4, 3, 8, 8}));
  EXPECT_EQ(ort->outputs[1].shape, (std::vector<int64_t>{4, 5}));
}

TEST(FixShapesTest, StaticModelComputesWhatTheDynamicOneDid) {
  const onnx::ModelProto source = testing::ClassifierModel();
  onnx::ModelProto fixed = source;
  ASSERT_TRUE(FixShapes({2, {}}, &fixed).ok());
  auto report = testing::CompareOnnx(source, fixed, {1e-6, 3, 2});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->passed);
  EXPECT_EQ(report->max_abs_error, 0);
  EXPECT_EQ(report->inputs, "input[2,3,8,8] FP32");
}

TEST(FixShapesTest, OtherDynamicDimensionsComeFromInputShapes) {
  onnx::ModelProto model = testing::SequenceModel();
  ASSERT_TRUE(FixShapes({2, {{"X", {2, 7}}}}, &model).ok());
  EXPECT_EQ(Dims(model.graph().input(0)), (std::vector<int64_t>{2, 7}));
  EXPECT_EQ(Dims(model.graph().output(0)), (std::vector<int64_t>{2, 7}));
}

TEST(FixShapesTest, WithoutBatchEveryDynamicDimensionMustBeGiven) {
  onnx::ModelProto model = testing::SequenceModel();
  ASSERT_TRUE(FixShapes({0, {{"X", {1, 16}}}}, &model).ok());
  EXPECT_EQ(Dims(model.graph().input(0)), (std::vector<int64_t>{1, 16}));

  onnx::ModelProto other = testing::SequenceModel();
  Status s = FixShapes({0, {}}, &other);
  EXPECT_THAT(s.message(), HasSubstr("dimension 0 ('batch') is dynamic"));
}

TEST(FixShapesTest, RefusesADynamicDimensionNobodyGave) {
  onnx::ModelProto model = testing::SequenceModel();
  Status s = FixShapes({2, {}}, &model);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(
      s.message(),
      HasSubstr("input 'X' [batch,dim1]: dimension 1 ('dim1') is dynamic"));
  EXPECT_THAT(s.message(), HasSubstr("input_shapes"));
}

TEST(FixShapesTest, RefusesInputShapesThatDisagreeWithTheModel) {
  struct Case {
    std::map<std::string, std::vector<int64_t>> shapes;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{{"image", {4, 3, 8, 8}}},
       "'image' is not an input of the model (its inputs: input)"},
      {{{"input", {4, 3, 8}}},
       "has rank 4 in the model [batch,3,8,8], 3 dimensions given"},
      {{{"input", {4, 3, 9, 8}}}, "dimension 2 is fixed to 8 in the model"},
      {{{"input", {1, 3, 8, 8}}}, "must be max_batch_size (4), got 1"},
  };
  for (const Case& c : cases) {
    onnx::ModelProto model = testing::ClassifierModel();
    Status s = FixShapes({4, c.shapes}, &model);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(s.message(), HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace adlik::compiler
