#include "passes/fp16.h"

#include <onnx/defs/schema.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <vector>

#include "base/half.h"
#include "onnx_model.h"

namespace adlik::compiler {
namespace {

constexpr int32_t kFloat = onnx::TensorProto::FLOAT;
constexpr int32_t kHalf = onnx::TensorProto::FLOAT16;

// Operators whose output type an attribute or a non-float input decides; the
// pass leaves them as they are.
const std::set<std::string>& TypeFromAttribute() {
  static const std::set<std::string> ops = {
      "Cast",         "CastLike",      "ConstantOfShape",  "EyeLike",
      "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
      "Multinomial",  "Bernoulli"};
  return ops;
}

// How a consumer wants a float input.
enum class Want {
  kKeep,  // as it is stored (not float, or the operator takes either)
  kFp32,
  kFp16,
};

struct NodePlan {
  bool fp16 = false;
  std::vector<Want> inputs;
  std::vector<bool> outputs_fp16;
};

using TypeMap = std::map<std::string, int32_t>;  // value -> elem_type

bool HasSubgraph(const onnx::NodeProto& node) {
  for (const auto& a : node.attribute()) {
    if (a.has_g() || a.graphs_size() > 0) return true;
  }
  return false;
}

bool Allows(const onnx::OpSchema::TypeConstraintParam& var, const char* type) {
  return std::find(var.allowed_type_strs.begin(), var.allowed_type_strs.end(),
                   type) != var.allowed_type_strs.end();
}

const onnx::OpSchema::FormalParameter* Formal(
    const std::vector<onnx::OpSchema::FormalParameter>& formals, int i) {
  if (i < static_cast<int>(formals.size())) return &formals[i];
  if (!formals.empty() &&
      formals.back().GetOption() == onnx::OpSchema::Variadic) {
    return &formals.back();
  }
  return nullptr;
}

int32_t TypeOf(const TypeMap& types, const std::string& name) {
  auto it = types.find(name);
  return it == types.end() ? 0 : it->second;
}

// Decides whether `node` runs in fp16 and how it wants each float input.
NodePlan PlanNode(const onnx::NodeProto& node, int64_t opset,
                  const std::set<std::string>& fp32_ops, const TypeMap& types) {
  NodePlan plan;
  plan.inputs.assign(node.input_size(), Want::kKeep);
  plan.outputs_fp16.assign(node.output_size(), false);
  const bool default_domain =
      node.domain().empty() || node.domain() == "ai.onnx";
  const onnx::OpSchema* schema =
      default_domain ? onnx::OpSchemaRegistry::Schema(
                           node.op_type(), static_cast<int>(opset), "")
                     : nullptr;
  if (schema == nullptr) {
    for (int i = 0; i < node.input_size(); ++i) {
      if (TypeOf(types, node.input(i)) == kFloat) plan.inputs[i] = Want::kFp32;
    }
    return plan;
  }
  std::map<std::string, const onnx::OpSchema::TypeConstraintParam*> vars;
  for (const auto& p : schema->typeConstraintParams())
    vars[p.type_param_str] = &p;
  auto var_of = [&](const onnx::OpSchema::FormalParameter* f)
      -> const onnx::OpSchema::TypeConstraintParam* {
    if (f == nullptr) return nullptr;
    auto it = vars.find(f->GetTypeStr());
    return it == vars.end() ? nullptr : it->second;
  };
  std::map<std::string, int> input_uses;
  std::set<std::string> output_vars;
  for (int i = 0; i < node.input_size(); ++i) {
    if (auto* f = Formal(schema->inputs(), i); f && !node.input(i).empty())
      ++input_uses[f->GetTypeStr()];
  }
  for (int i = 0; i < node.output_size(); ++i) {
    if (auto* f = Formal(schema->outputs(), i))
      output_vars.insert(f->GetTypeStr());
  }
  // A position whose type variable binds nothing else takes either precision.
  auto agnostic = [&](int i) {
    const auto* f = Formal(schema->inputs(), i);
    const auto* var = var_of(f);
    return var && !output_vars.count(f->GetTypeStr()) &&
           input_uses[f->GetTypeStr()] == 1 && Allows(*var, "tensor(float)") &&
           Allows(*var, "tensor(float16)");
  };

  bool candidate = !fp32_ops.count(node.op_type()) &&
                   !TypeFromAttribute().count(node.op_type()) &&
                   !HasSubgraph(node);
  if (node.op_type() == "Constant") {
    bool float_value = false;
    for (const auto& a : node.attribute()) {
      if (a.name() == "value" && a.t().data_type() == kFloat)
        float_value = true;
    }
    candidate = candidate && float_value;
  }
  bool convertible = false;
  auto inspect = [&](const std::string& name,
                     const onnx::OpSchema::FormalParameter* f,
                     bool is_agnostic) {
    if (name.empty()) return;
    const auto* var = var_of(f);
    if (var == nullptr) return;  // a fixed type such as tensor(float)
    const int32_t type = TypeOf(types, name);
    if (type == 0 && Allows(*var, "tensor(float)")) candidate = false;
    if (type == kFloat) {
      if (!Allows(*var, "tensor(float16)")) {
        candidate = false;
      } else if (!is_agnostic) {
        convertible = true;
      }
    }
  };
  for (int i = 0; i < node.input_size(); ++i) {
    inspect(node.input(i), Formal(schema->inputs(), i), agnostic(i));
  }
  for (int i = 0; i < node.output_size(); ++i) {
    inspect(node.output(i), Formal(schema->outputs(), i), false);
  }
  plan.fp16 = candidate && convertible;

  for (int i = 0; i < node.input_size(); ++i) {
    if (TypeOf(types, node.input(i)) != kFloat) continue;
    const auto* var = var_of(Formal(schema->inputs(), i));
    if (agnostic(i)) {
      plan.inputs[i] = Want::kKeep;
    } else if (plan.fp16 && var && Allows(*var, "tensor(float16)")) {
      plan.inputs[i] = Want::kFp16;
    } else {
      plan.inputs[i] = Want::kFp32;
    }
  }
  for (int i = 0; i < node.output_size(); ++i) {
    const auto* var = var_of(Formal(schema->outputs(), i));
    plan.outputs_fp16[i] = plan.fp16 &&
                           TypeOf(types, node.output(i)) == kFloat && var &&
                           Allows(*var, "tensor(float16)");
  }
  return plan;
}

// Converts a FLOAT tensor's data to FLOAT16 in place; counts clamped values.
Status ConvertTensor(onnx::TensorProto* t, int64_t* clamped) {
  if (t->data_location() == onnx::TensorProto::EXTERNAL) {
    return Unimplemented("tensor '" + t->name() +
                         "' keeps its data in an external file, which the "
                         "fp16 pass does not read");
  }
  std::vector<float> values;
  if (t->has_raw_data()) {
    const std::string& raw = t->raw_data();
    values.resize(raw.size() / sizeof(float));
    std::memcpy(values.data(), raw.data(), values.size() * sizeof(float));
  } else {
    values.assign(t->float_data().begin(), t->float_data().end());
  }
  std::string raw(values.size() * sizeof(uint16_t), '\0');
  for (size_t i = 0; i < values.size(); ++i) {
    float v = values[i];
    if (std::isfinite(v) && std::fabs(v) > kHalfMax) {
      v = std::copysign(kHalfMax, v);
      ++*clamped;
    }
    const uint16_t h = FloatToHalf(v);
    std::memcpy(raw.data() + i * sizeof h, &h, sizeof h);
  }
  t->clear_float_data();
  t->set_raw_data(std::move(raw));
  t->set_data_type(kHalf);
  return Status::Ok();
}

class NameGenerator {
 public:
  explicit NameGenerator(const onnx::GraphProto& g) {
    for (const auto& v : g.input()) used_.insert(v.name());
    for (const auto& v : g.output()) used_.insert(v.name());
    for (const auto& v : g.initializer()) used_.insert(v.name());
    for (const auto& v : g.value_info()) used_.insert(v.name());
    for (const auto& n : g.node()) {
      used_.insert(n.name());
      for (const auto& o : n.output()) used_.insert(o);
      for (const auto& i : n.input()) used_.insert(i);
    }
  }
  std::string Make(const std::string& base) {
    std::string name = base;
    for (int k = 1; used_.count(name); ++k)
      name = base + "_" + std::to_string(k);
    used_.insert(name);
    return name;
  }

 private:
  std::set<std::string> used_;
};

onnx::NodeProto MakeCast(const std::string& node_name, const std::string& in,
                         const std::string& out, bool to_fp16) {
  onnx::NodeProto cast;
  cast.set_op_type("Cast");
  cast.set_name(node_name);
  cast.add_input(in);
  cast.add_output(out);
  auto* to = cast.add_attribute();
  to->set_name("to");
  to->set_type(onnx::AttributeProto::INT);
  to->set_i(to_fp16 ? kHalf : kFloat);
  return cast;
}

void SetElemType(onnx::ValueInfoProto* v, int32_t type) {
  v->mutable_type()->mutable_tensor_type()->set_elem_type(type);
}

}  // namespace

const std::set<std::string>& Fp32Operators() {
  static const std::set<std::string> ops = {
      // exponentials, logarithms and powers overflow or lose range
      "Exp", "Log", "Pow", "Reciprocal", "Softplus", "Softmax", "LogSoftmax",
      // long accumulations
      "CumSum", "ReduceMean", "ReduceSum", "ReduceSumSquare", "ReduceL1",
      "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceProd",
      // normalisations (variance of large activations)
      "LayerNormalization", "InstanceNormalization", "LpNormalization",
      "GroupNormalization", "MeanVarianceNormalization",
      // coordinates and indices computed in float
      "Range", "Resize", "Upsample", "RoiAlign", "NonMaxSuppression"};
  return ops;
}

StatusOr<Fp16Summary> ConvertToFp16(const Fp16Options& options,
                                    onnx::ModelProto* model) {
  const auto& fp32_ops =
      options.fp32_operators.empty() ? Fp32Operators() : options.fp32_operators;
  for (const auto& node : model->graph().node()) {
    if (HasSubgraph(node)) {
      return Unimplemented("enable_fp16: node '" + node.name() + "' (" +
                           node.op_type() +
                           ") has subgraphs; the fp16 pass does not convert "
                           "models with control flow");
    }
  }
  onnx::ModelProto result = *model;
  onnx::GraphProto* graph = result.mutable_graph();

  // Element types of every value, from shape inference on a copy.
  TypeMap types;
  {
    onnx::ModelProto inferred = result;
    Status ignored = InferShapes(&inferred);  // declared types still count
    (void)ignored;
    const auto& g = inferred.graph();
    for (const auto* list : {&g.input(), &g.output(), &g.value_info()}) {
      for (const auto& v : *list) {
        if (v.type().has_tensor_type() &&
            v.type().tensor_type().elem_type() != 0)
          types[v.name()] = v.type().tensor_type().elem_type();
      }
    }
    for (const auto& t : g.initializer()) types[t.name()] = t.data_type();
  }

  const int64_t opset = OpsetVersion(result);
  std::vector<NodePlan> plans;
  for (const auto& node : graph->node()) {
    plans.push_back(PlanNode(node, opset, fp32_ops, types));
  }

  // Which float values are stored in fp16.
  std::map<std::string, bool> fp16_value;
  std::set<std::string> initializer_names;
  for (const auto& t : graph->initializer()) initializer_names.insert(t.name());
  for (const auto* in : RealInputs(*graph)) {
    if (TypeOf(types, in->name()) == kFloat)
      fp16_value[in->name()] = !options.keep_io_types;
  }
  for (const auto& t : graph->initializer()) {
    if (t.data_type() == kFloat) fp16_value[t.name()] = false;
  }
  for (int n = 0; n < graph->node_size(); ++n) {
    const auto& node = graph->node(n);
    for (int i = 0; i < node.input_size(); ++i) {
      if (plans[n].inputs[i] == Want::kFp16 &&
          initializer_names.count(node.input(i)))
        fp16_value[node.input(i)] = true;
    }
    for (int i = 0; i < node.output_size(); ++i) {
      if (TypeOf(types, node.output(i)) == kFloat)
        fp16_value[node.output(i)] = plans[n].outputs_fp16[i];
    }
  }

  // Graph outputs whose stored precision differs from the interface's get an
  // internal name and a Cast back to their own name.
  NameGenerator names(*graph);
  const bool output_fp16 = !options.keep_io_types;
  std::vector<std::pair<std::string, std::string>>
      output_casts;  // internal, name
  for (auto& out : *graph->mutable_output()) {
    auto stored = fp16_value.find(out.name());
    if (stored == fp16_value.end()) continue;
    bool produced = false;
    for (auto& node : *graph->mutable_node()) {
      for (auto& o : *node.mutable_output())
        produced = produced || o == out.name();
    }
    if (stored->second == output_fp16 || !produced) {
      SetElemType(&out, stored->second ? kHalf : kFloat);
      continue;
    }
    const std::string internal =
        names.Make(out.name() + (stored->second ? "_fp16" : "_fp32"));
    for (auto& node : *graph->mutable_node()) {
      for (auto& o : *node.mutable_output())
        if (o == out.name()) o = internal;
      for (auto& i : *node.mutable_input())
        if (i == out.name()) i = internal;
    }
    fp16_value[internal] = stored->second;
    output_casts.emplace_back(internal, out.name());
    SetElemType(&out, output_fp16 ? kHalf : kFloat);
  }

  // Rebuild the node list with a Cast wherever precisions meet.
  Fp16Summary summary;
  std::vector<onnx::NodeProto> nodes;
  std::map<std::pair<std::string, bool>, std::string> casts;
  auto source = [&](const std::string& name, bool want_fp16) -> std::string {
    auto stored = fp16_value.find(name);
    if (stored == fp16_value.end() || stored->second == want_fp16) return name;
    auto key = std::make_pair(name, want_fp16);
    if (auto it = casts.find(key); it != casts.end()) return it->second;
    const std::string suffix = want_fp16 ? "_to_fp16" : "_to_fp32";
    const std::string out = names.Make(name + suffix);
    nodes.push_back(
        MakeCast(names.Make("cast_" + name + suffix), name, out, want_fp16));
    ++summary.casts;
    casts[key] = out;
    return out;
  };
  for (int n = 0; n < graph->node_size(); ++n) {
    onnx::NodeProto node = graph->node(n);
    const NodePlan& plan = plans[n];
    for (int i = 0; i < node.input_size(); ++i) {
      if (plan.inputs[i] == Want::kKeep) continue;
      node.set_input(i, source(node.input(i), plan.inputs[i] == Want::kFp16));
    }
    if (plan.fp16 && node.op_type() == "Constant") {
      for (auto& a : *node.mutable_attribute()) {
        if (a.name() == "value")
          RETURN_IF_ERROR(
              ConvertTensor(a.mutable_t(), &summary.clamped_values));
      }
    }
    bool has_float = false;
    for (const auto& name : graph->node(n).input())
      has_float = has_float || TypeOf(types, name) == kFloat;
    for (const auto& name : graph->node(n).output())
      has_float = has_float || TypeOf(types, name) == kFloat;
    if (plan.fp16) {
      ++summary.fp16_nodes;
    } else if (has_float) {
      ++summary.fp32_nodes;
    }
    std::vector<std::string> outputs(node.output().begin(),
                                     node.output().end());
    nodes.push_back(std::move(node));
    // The Cast back to an output's own name follows its producer, and later
    // consumers that want that precision share it.
    for (const std::string& o : outputs) {
      auto it = std::find_if(output_casts.begin(), output_casts.end(),
                             [&](const auto& c) { return c.first == o; });
      if (it == output_casts.end()) continue;
      nodes.push_back(MakeCast(names.Make("cast_" + it->second + "_out"), o,
                               it->second, output_fp16));
      casts[{o, output_fp16}] = it->second;
      ++summary.casts;
    }
  }
  graph->clear_node();
  for (auto& n : nodes) *graph->add_node() = std::move(n);

  for (auto& t : *graph->mutable_initializer()) {
    if (t.data_type() != kFloat || !fp16_value[t.name()]) continue;
    RETURN_IF_ERROR(ConvertTensor(&t, &summary.clamped_values));
    ++summary.converted_weights;
  }
  for (auto& in : *graph->mutable_input()) {
    auto it = fp16_value.find(in.name());
    if (it != fp16_value.end() && it->second) SetElemType(&in, kHalf);
  }
  // Drop the value_info of tensors whose type changed; inference rebuilds it.
  auto* info = graph->mutable_value_info();
  info->erase(std::remove_if(info->begin(), info->end(),
                             [&](const onnx::ValueInfoProto& v) {
                               auto it = fp16_value.find(v.name());
                               return it != fp16_value.end() && it->second;
                             }),
              info->end());
  RETURN_IF_ERROR(InferShapes(&result));
  *model = std::move(result);
  return summary;
}

}  // namespace adlik::compiler
