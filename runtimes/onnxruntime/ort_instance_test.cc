// OrtInstance and OrtGpuInstance on CPU sessions. The GPU instance's IoBinding
// code has nothing CUDA-specific, so a CPU session runs it exactly as a CUDA
// one would, minus the copies to and from the device: binding, running,
// reading outputs back, reusing the binding, recovering from a failed run.
#include "ort_instance.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>

#include "adlik/bytes_tensor.h"

namespace adlik::onnxruntime {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1 on INT32 [batch, 4];
// TEXT_OUT = Identity(TEXT) on STRING [batch].
std::string SimpleModelBytes() {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.add_opset_import()->set_version(17);
  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name("simple");
  auto value = [](onnx::ValueInfoProto* v, const char* name, int type,
                  int dims) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(type);
    t->mutable_shape()->add_dim()->set_dim_param("batch");
    if (dims > 0) t->mutable_shape()->add_dim()->set_dim_value(dims);
  };
  value(graph->add_input(), "INPUT0", onnx::TensorProto::INT32, 4);
  value(graph->add_input(), "INPUT1", onnx::TensorProto::INT32, 4);
  value(graph->add_input(), "TEXT", onnx::TensorProto::STRING, 0);
  value(graph->add_output(), "OUTPUT0", onnx::TensorProto::INT32, 4);
  value(graph->add_output(), "OUTPUT1", onnx::TensorProto::INT32, 4);
  value(graph->add_output(), "TEXT_OUT", onnx::TensorProto::STRING, 0);
  auto node = [&](const char* op, std::vector<const char*> in,
                  const char* out) {
    onnx::NodeProto* n = graph->add_node();
    n->set_op_type(op);
    for (const char* i : in) n->add_input(i);
    n->add_output(out);
  };
  node("Add", {"INPUT0", "INPUT1"}, "OUTPUT0");
  node("Sub", {"INPUT0", "INPUT1"}, "OUTPUT1");
  node("Identity", {"TEXT"}, "TEXT_OUT");
  return model.SerializeAsString();
}

class OrtInstanceTest
    : public ::testing::TestWithParam<std::pair<
          const char*,
          std::function<std::unique_ptr<OrtInstanceBase>(Ort::Session*)>>> {
 protected:
  static void SetUpTestSuite() {
    Ort::InitApi(OrtGetApiBase()->GetApi(ORT_API_VERSION));
    env_ = new Ort::Env(ORT_LOGGING_LEVEL_FATAL, "ort_instance_test");
  }

  void SetUp() override {
    const fs::path path =
        fs::temp_directory_path() /
        ("ort_instance_test_" + std::to_string(::getpid()) + ".onnx");
    std::ofstream(path, std::ios::binary) << SimpleModelBytes();
    Ort::SessionOptions options;
    options.SetIntraOpNumThreads(1);
    session_ = std::make_unique<Ort::Session>(*env_, path.c_str(), options);
    fs::remove(path);
    instance_ = GetParam().second(session_.get());
  }

  // Runs a batch of `batch` rows; fills a_, b_ from `seed`.
  Status Run(int batch, int seed, std::vector<std::string> names,
             std::vector<Tensor>* out, bool with_text = true) {
    a_.resize(batch * 4);
    b_.resize(batch * 4);
    text_.clear();
    for (int i = 0; i < batch * 4; ++i) {
      a_[i] = seed * 1000 + i;
      b_[i] = 7 * i - seed;
    }
    for (int i = 0; i < batch; ++i)
      AppendBytesElement("row " + std::to_string(seed + i), &text_);
    shape_ = {batch, 4};
    text_shape_ = {batch};
    std::vector<TensorView> inputs = {
        {"INPUT1", DataType::kInt32, shape_,
         reinterpret_cast<const char*>(b_.data()), b_.size() * 4},
        {"INPUT0", DataType::kInt32, shape_,
         reinterpret_cast<const char*>(a_.data()), a_.size() * 4}};
    if (with_text) {
      inputs.push_back(
          {"TEXT", DataType::kBytes, text_shape_, text_.data(), text_.size()});
    }
    out->clear();
    return instance_->Run(inputs, names, out);
  }

  static const Tensor& Find(const std::vector<Tensor>& out,
                            const std::string& name) {
    for (const Tensor& t : out)
      if (t.name == name) return t;
    ADD_FAILURE() << "no output " << name;
    return out.at(0);
  }

  static std::vector<int32_t> Ints(const Tensor& t) {
    std::vector<int32_t> v(t.byte_size / 4);
    std::memcpy(v.data(), t.data, t.byte_size);
    return v;
  }

  static inline Ort::Env* env_ = nullptr;
  std::unique_ptr<Ort::Session> session_;
  std::unique_ptr<OrtInstanceBase> instance_;
  std::vector<int32_t> a_, b_;
  std::string text_;
  std::vector<int64_t> shape_, text_shape_;
};

TEST_P(OrtInstanceTest, ComputesEveryRequestedOutput) {
  std::vector<Tensor> out;
  Status s = Run(3, 1, {"OUTPUT1", "TEXT_OUT", "OUTPUT0"}, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(out.size(), 3u);
  const Tensor& sum = Find(out, "OUTPUT0");
  const Tensor& diff = Find(out, "OUTPUT1");
  EXPECT_EQ(sum.type, DataType::kInt32);
  EXPECT_EQ(sum.shape, (std::vector<int64_t>{3, 4}));
  ASSERT_EQ(sum.byte_size, 48u);
  EXPECT_NE(sum.holder, nullptr);
  const auto s_values = Ints(sum), d_values = Ints(diff);
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(s_values[i], a_[i] + b_[i]) << i;
    EXPECT_EQ(d_values[i], a_[i] - b_[i]) << i;
  }
  const Tensor& text = Find(out, "TEXT_OUT");
  EXPECT_EQ(text.type, DataType::kBytes);
  EXPECT_EQ(text.shape, (std::vector<int64_t>{3}));
  auto elements = SplitBytesElements({text.data, text.byte_size}, 3);
  ASSERT_TRUE(elements.ok());
  EXPECT_EQ((*elements)[0], "row 1");
  EXPECT_EQ((*elements)[2], "row 3");
}

TEST_P(OrtInstanceTest, OutputsOutliveTheNextRun) {
  std::vector<Tensor> first, second;
  ASSERT_TRUE(Run(2, 5, {"OUTPUT0"}, &first).ok());
  const std::vector<int32_t> expected = Ints(first[0]);
  ASSERT_TRUE(Run(4, 9, {"OUTPUT0", "OUTPUT1"}, &second).ok());
  // The first run's output is untouched by the second (each owns its buffer).
  EXPECT_EQ(Ints(first[0]), expected);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(Find(second, "OUTPUT0").shape, (std::vector<int64_t>{4, 4}));
  EXPECT_EQ(Ints(Find(second, "OUTPUT0"))[15], a_[15] + b_[15]);
}

TEST_P(OrtInstanceTest, AFailedRunIsAnErrorAndTheNextRunWorks) {
  std::vector<Tensor> out;
  Status s = Run(2, 1, {"OUTPUT0", "TEXT_OUT"}, &out, /*with_text=*/false);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("onnxruntime"));
  s = Run(1, 2, {"OUTPUT1"}, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Ints(out[0])[3], a_[3] - b_[3]);
}

TEST_P(OrtInstanceTest, UnknownOutputIsAnError) {
  std::vector<Tensor> out;
  Status s = Run(1, 1, {"NOT_AN_OUTPUT"}, &out);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("NOT_AN_OUTPUT"));
}

INSTANTIATE_TEST_SUITE_P(
    Instances, OrtInstanceTest,
    ::testing::Values(
        std::make_pair("Cpu",
                       [](Ort::Session* s) -> std::unique_ptr<OrtInstanceBase> {
                         return std::make_unique<OrtInstance>(s);
                       }),
        std::make_pair("IoBinding",
                       [](Ort::Session* s) -> std::unique_ptr<OrtInstanceBase> {
                         return std::make_unique<OrtGpuInstance>(s);
                       })),
    [](const auto& info) { return std::string(info.param.first); });

}  // namespace
}  // namespace adlik::onnxruntime
