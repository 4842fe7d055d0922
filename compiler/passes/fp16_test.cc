#include "passes/fp16.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "base/half.h"
#include "numeric_check.h"
#include "onnx_model.h"
#include "test_util/runtimes.h"
#include "test_util/tiny_models.h"

namespace adlik::compiler {
namespace {

using ::testing::HasSubstr;

constexpr int32_t kFloat = onnx::TensorProto::FLOAT;
constexpr int32_t kHalf = onnx::TensorProto::FLOAT16;

const onnx::TensorProto* Initializer(const onnx::ModelProto& m,
                                     const std::string& name) {
  for (const auto& t : m.graph().initializer())
    if (t.name() == name) return &t;
  return nullptr;
}

const onnx::NodeProto* Producer(const onnx::ModelProto& m,
                                const std::string& value) {
  for (const auto& n : m.graph().node())
    for (const auto& o : n.output())
      if (o == value) return &n;
  return nullptr;
}

const onnx::NodeProto* FindOp(const onnx::ModelProto& m,
                              const std::string& op) {
  for (const auto& n : m.graph().node())
    if (n.op_type() == op) return &n;
  return nullptr;
}

int64_t CastTarget(const onnx::NodeProto& cast) {
  for (const auto& a : cast.attribute())
    if (a.name() == "to") return a.i();
  return -1;
}

TEST(Fp16Test, ConvertsComputeAndKeepsTheInterfaceInFp32) {
  const onnx::ModelProto source = testing::ClassifierModel();
  onnx::ModelProto model = source;
  auto summary = ConvertToFp16({}, &model);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  std::string warning;
  ASSERT_TRUE(CheckOnnx(model, "fp16", &warning).ok());

  EXPECT_EQ(model.graph().input(0).type().tensor_type().elem_type(), kFloat);
  EXPECT_EQ(model.graph().output(0).type().tensor_type().elem_type(), kFloat);
  EXPECT_EQ(model.graph().output(1).type().tensor_type().elem_type(), kFloat);
  EXPECT_EQ(Initializer(model, "conv.w")->data_type(), kHalf);
  EXPECT_EQ(Initializer(model, "fc.b")->data_type(), kHalf);
  // Conv, Relu, GlobalAveragePool, Flatten, Gemm in fp16; Softmax in fp32.
  EXPECT_EQ(summary->fp16_nodes, 5);
  EXPECT_EQ(summary->fp32_nodes, 1);
  EXPECT_EQ(summary->converted_weights, 4);
  // Casts: the input to fp16, logits to fp32 for Softmax and for the output.
  EXPECT_EQ(summary->casts, 2);
  const onnx::NodeProto* conv = FindOp(model, "Conv");
  ASSERT_NE(conv, nullptr);
  const onnx::NodeProto* input_cast = Producer(model, conv->input(0));
  ASSERT_NE(input_cast, nullptr);
  EXPECT_EQ(input_cast->op_type(), "Cast");
  EXPECT_EQ(CastTarget(*input_cast), kHalf);

  // Numerically close to the source, and not identical (weights did change).
  auto report = testing::CompareOnnx(source, model, {kFp16Tolerance, 1, 2});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->passed) << report->Summary();
  EXPECT_GT(report->max_abs_error, 0);
  EXPECT_LT(report->max_rel_error, 1e-2);
}

TEST(Fp16Test, FragileOperatorsRunInFp32) {
  onnx::ModelProto model = testing::ClassifierModel();
  ASSERT_TRUE(ConvertToFp16({}, &model).ok());
  const onnx::NodeProto* softmax = FindOp(model, "Softmax");
  ASSERT_NE(softmax, nullptr);
  const onnx::NodeProto* feed = Producer(model, softmax->input(0));
  ASSERT_NE(feed, nullptr);
  EXPECT_EQ(feed->op_type(), "Cast");
  EXPECT_EQ(CastTarget(*feed), kFloat);
  for (const char* op :
       {"Softmax", "Exp", "Log", "Pow", "ReduceMean", "LayerNormalization"}) {
    EXPECT_TRUE(Fp32Operators().count(op)) << op;
  }
}

TEST(Fp16Test, WithoutKeepIoTypesTheInterfaceIsFp16) {
  const onnx::ModelProto source = testing::ClassifierModel();
  onnx::ModelProto model = source;
  Fp16Options options;
  options.keep_io_types = false;
  auto summary = ConvertToFp16(options, &model);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(model.graph().input(0).type().tensor_type().elem_type(), kHalf);
  EXPECT_EQ(model.graph().output(0).type().tensor_type().elem_type(), kHalf);
  EXPECT_EQ(model.graph().output(1).type().tensor_type().elem_type(), kHalf);
  auto report = testing::CompareOnnx(source, model, {kFp16Tolerance, 1, 2});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->passed) << report->Summary();
}

TEST(Fp16Test, ClampsWeightsBeyondTheFp16Range) {
  onnx::GraphProto g;
  onnx::TensorProto w = testing::RandomWeights("W", {4}, 1);
  w.set_float_data(2, 1e6f);
  w.set_float_data(3, -7e4f);
  *g.add_initializer() = w;
  auto* mul = g.add_node();
  mul->set_op_type("Mul");
  mul->add_input("X");
  mul->add_input("W");
  mul->add_output("Y");
  *g.add_input() = testing::Value("X", kFloat, {-1, 4});
  *g.add_output() = testing::Value("Y", kFloat, {-1, 4});
  onnx::ModelProto model = testing::MakeModel(g);
  auto summary = ConvertToFp16({}, &model);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->clamped_values, 2);
  const onnx::TensorProto* converted = Initializer(model, "W");
  ASSERT_EQ(converted->raw_data().size(), 8u);
  uint16_t values[4];
  std::memcpy(values, converted->raw_data().data(), sizeof values);
  EXPECT_EQ(HalfToFloat(values[2]), 65504.0f);
  EXPECT_EQ(HalfToFloat(values[3]), -65504.0f);
}

TEST(Fp16Test, LeavesModelsWithoutFloatsAlone) {
  onnx::GraphProto g;
  auto* add = g.add_node();
  add->set_op_type("Add");
  add->add_input("A");
  add->add_input("B");
  add->add_output("Y");
  *g.add_input() = testing::Value("A", onnx::TensorProto::INT32, {-1, 4});
  *g.add_input() = testing::Value("B", onnx::TensorProto::INT32, {-1, 4});
  *g.add_output() = testing::Value("Y", onnx::TensorProto::INT32, {-1, 4});
  onnx::ModelProto model = testing::MakeModel(g);
  auto summary = ConvertToFp16({}, &model);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->fp16_nodes, 0);
  EXPECT_EQ(summary->casts, 0);
  EXPECT_EQ(model.graph().node_size(), 1);
}

TEST(Fp16Test, RefusesControlFlowAndLeavesTheModelUnchanged) {
  onnx::ModelProto model = testing::AddModel();
  auto* node = model.mutable_graph()->add_node();
  node->set_op_type("If");
  node->set_name("branch");
  auto* attr = node->add_attribute();
  attr->set_name("then_branch");
  attr->set_type(onnx::AttributeProto::GRAPH);
  attr->mutable_g()->set_name("then");
  const std::string before = model.SerializeAsString();
  auto summary = ConvertToFp16({}, &model);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.status().code(), StatusCode::kUnimplemented);
  EXPECT_THAT(summary.status().message(),
              HasSubstr("node 'branch' (If) has subgraphs"));
  EXPECT_EQ(model.SerializeAsString(), before);
}

}  // namespace
}  // namespace adlik::compiler
