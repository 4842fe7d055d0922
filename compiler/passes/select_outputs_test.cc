#include "passes/select_outputs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "numeric_check.h"
#include "test_util/runtimes.h"
#include "test_util/tiny_models.h"

namespace adlik::compiler {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> Ops(const onnx::ModelProto& m) {
  std::vector<std::string> ops;
  for (const auto& n : m.graph().node()) ops.push_back(n.op_type());
  return ops;
}

TEST(SelectOutputsTest, KeepsAGraphOutputAndPrunesTheRest) {
  onnx::ModelProto model = testing::ClassifierModel();
  ASSERT_TRUE(SelectOutputs({"logits"}, &model).ok());
  ASSERT_EQ(model.graph().output_size(), 1);
  EXPECT_EQ(model.graph().output(0).name(), "logits");
  EXPECT_THAT(Ops(model), ::testing::Not(::testing::Contains("Softmax")));
  EXPECT_EQ(model.graph().initializer_size(), 4);
}

TEST(SelectOutputsTest, AnIntermediateTensorBecomesAnOutput) {
  const onnx::ModelProto source = testing::ClassifierModel();
  onnx::ModelProto model = source;
  ASSERT_TRUE(SelectOutputs({"relu"}, &model).ok());
  ASSERT_EQ(model.graph().output_size(), 1);
  const auto& out = model.graph().output(0);
  EXPECT_EQ(out.name(), "relu");
  EXPECT_EQ(out.type().tensor_type().shape().dim_size(), 4);
  EXPECT_THAT(Ops(model), ::testing::ElementsAre("Conv", "Relu"));
  EXPECT_EQ(model.graph().initializer_size(), 2) << "fc weights are dropped";
  auto report = testing::CompareOnnx(model, model, {kFp32Tolerance, 0, 2});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
}

TEST(SelectOutputsTest, RefusesNamesThatAreNotTensorsOfTheModel) {
  onnx::ModelProto model = testing::ClassifierModel();
  const std::string before = model.SerializeAsString();
  Status s = SelectOutputs({"logits", "nothing"}, &model);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'nothing' is not a tensor of the model"));
  EXPECT_EQ(model.SerializeAsString(), before);
  EXPECT_THAT(SelectOutputs({"probs", "probs"}, &model).message(),
              HasSubstr("listed twice"));
}

}  // namespace
}  // namespace adlik::compiler
