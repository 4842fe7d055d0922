#include "test_util/tiny_models.h"

#include <stdlib.h>

#include <filesystem>
#include <random>
#include <stdexcept>

namespace adlik::compiler::testing {
namespace {

onnx::NodeProto Node(const std::string& op, std::vector<std::string> inputs,
                     std::vector<std::string> outputs) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(op + "_" + outputs[0]);
  for (auto& i : inputs) n.add_input(i);
  for (auto& o : outputs) n.add_output(o);
  return n;
}

void IntsAttr(onnx::NodeProto* n, const std::string& name,
              std::vector<int64_t> v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

void IntAttr(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

constexpr int32_t kFloat = onnx::TensorProto::FLOAT;

}  // namespace

onnx::ValueInfoProto Value(const std::string& name, int32_t elem_type,
                           const std::vector<int64_t>& dims) {
  onnx::ValueInfoProto v;
  v.set_name(name);
  auto* t = v.mutable_type()->mutable_tensor_type();
  t->set_elem_type(elem_type);
  auto* shape = t->mutable_shape();
  for (size_t i = 0; i < dims.size(); ++i) {
    auto* d = shape->add_dim();
    if (dims[i] >= 0) {
      d->set_dim_value(dims[i]);
    } else {
      d->set_dim_param(i == 0 ? "batch" : "dim" + std::to_string(i));
    }
  }
  return v;
}

onnx::TensorProto RandomWeights(const std::string& name,
                                const std::vector<int64_t>& dims, uint32_t seed,
                                float scale) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(kFloat);
  int64_t n = 1;
  for (int64_t d : dims) {
    t.add_dims(d);
    n *= d;
  }
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  for (int64_t i = 0; i < n; ++i) t.add_float_data(dist(rng));
  return t;
}

onnx::ModelProto MakeModel(onnx::GraphProto graph) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("adlik compiler tests");
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(17);
  *m.mutable_graph() = std::move(graph);
  return m;
}

onnx::ModelProto AddModel() {
  onnx::GraphProto g;
  g.set_name("add");
  *g.add_node() = Node("Add", {"A", "B"}, {"Y"});
  *g.add_input() = Value("A", kFloat, {-1, 4});
  *g.add_input() = Value("B", kFloat, {-1, 4});
  *g.add_output() = Value("Y", kFloat, {-1, 4});
  return MakeModel(std::move(g));
}

onnx::ModelProto ClassifierModel() {
  onnx::GraphProto g;
  g.set_name("classifier");
  *g.add_initializer() = RandomWeights("conv.w", {4, 3, 3, 3}, 1, 0.5f);
  *g.add_initializer() = RandomWeights("conv.b", {4}, 2, 0.1f);
  *g.add_initializer() = RandomWeights("fc.w", {5, 4}, 3, 0.7f);
  *g.add_initializer() = RandomWeights("fc.b", {5}, 4, 0.1f);
  onnx::NodeProto conv = Node("Conv", {"input", "conv.w", "conv.b"}, {"conv"});
  IntsAttr(&conv, "kernel_shape", {3, 3});
  IntsAttr(&conv, "pads", {1, 1, 1, 1});
  *g.add_node() = conv;
  *g.add_node() = Node("Relu", {"conv"}, {"relu"});
  *g.add_node() = Node("GlobalAveragePool", {"relu"}, {"pool"});
  onnx::NodeProto flatten = Node("Flatten", {"pool"}, {"flat"});
  IntAttr(&flatten, "axis", 1);
  *g.add_node() = flatten;
  onnx::NodeProto gemm = Node("Gemm", {"flat", "fc.w", "fc.b"}, {"logits"});
  IntAttr(&gemm, "transB", 1);
  *g.add_node() = gemm;
  onnx::NodeProto softmax = Node("Softmax", {"logits"}, {"probs"});
  IntAttr(&softmax, "axis", 1);
  *g.add_node() = softmax;
  *g.add_input() = Value("input", kFloat, {-1, 3, 8, 8});
  *g.add_output() = Value("logits", kFloat, {-1, 5});
  *g.add_output() = Value("probs", kFloat, {-1, 5});
  return MakeModel(std::move(g));
}

onnx::ModelProto SequenceModel() {
  onnx::GraphProto g;
  g.set_name("sequence");
  *g.add_node() = Node("Relu", {"X"}, {"Y"});
  *g.add_input() = Value("X", kFloat, {-1, -1});
  *g.add_output() = Value("Y", kFloat, {-1, -1});
  return MakeModel(std::move(g));
}

onnx::ModelProto FoldableModel() {
  onnx::GraphProto g;
  g.set_name("foldable");
  *g.add_initializer() = RandomWeights("C1", {4}, 5);
  *g.add_initializer() = RandomWeights("C2", {4}, 6);
  *g.add_node() = Node("Identity", {"X"}, {"x"});
  *g.add_node() = Node("Add", {"C1", "C2"}, {"c"});
  *g.add_node() = Node("Mul", {"x", "c"}, {"m"});
  *g.add_node() = Node("Relu", {"m"}, {"Y"});
  *g.add_input() = Value("X", kFloat, {-1, 4});
  *g.add_output() = Value("Y", kFloat, {-1, 4});
  return MakeModel(std::move(g));
}

namespace {

// Removes the folders it holds when the program exits.
struct TempDirs {
  std::vector<std::string> paths;
  ~TempDirs() {
    std::error_code ec;
    for (const auto& p : paths) std::filesystem::remove_all(p, ec);
  }
};

}  // namespace

std::string MakeTempDir() {
  static TempDirs dirs;
  std::string path =
      (std::filesystem::temp_directory_path() / "adlik_compiler_test_XXXXXX")
          .string();
  if (mkdtemp(path.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  dirs.paths.push_back(path);
  return path;
}

}  // namespace adlik::compiler::testing
