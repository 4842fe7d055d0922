#include "passes/select_outputs.h"

#include <map>
#include <set>

#include "onnx_model.h"

namespace adlik::compiler {

Status SelectOutputs(const std::vector<std::string>& names,
                     onnx::ModelProto* model) {
  onnx::ModelProto inferred = *model;
  RETURN_IF_ERROR(InferShapes(&inferred));
  const onnx::GraphProto& g = inferred.graph();
  std::map<std::string, const onnx::ValueInfoProto*> known;
  for (const auto* list : {&g.value_info(), &g.input(), &g.output()}) {
    for (const auto& v : *list) known[v.name()] = &v;
  }
  std::set<std::string> seen;
  std::vector<onnx::ValueInfoProto> outputs;
  for (const std::string& name : names) {
    if (!seen.insert(name).second) {
      return InvalidArgument("output_names: '" + name + "' is listed twice");
    }
    auto it = known.find(name);
    if (it == known.end()) {
      bool produced = false;
      for (const auto& node : g.node())
        for (const auto& o : node.output()) produced = produced || o == name;
      return InvalidArgument(
          "output_names: '" + name + "' " +
          (produced ? "is a tensor of the model whose type shape inference "
                      "cannot determine"
                    : "is not a tensor of the model"));
    }
    outputs.push_back(*it->second);
  }

  // Walk back from the outputs to the nodes they need.
  onnx::GraphProto* graph = model->mutable_graph();
  std::set<std::string> needed(names.begin(), names.end());
  std::vector<bool> keep(graph->node_size(), false);
  for (int n = graph->node_size() - 1; n >= 0; --n) {
    const auto& node = graph->node(n);
    bool used = false;
    for (const auto& o : node.output()) used = used || needed.count(o);
    if (!used) continue;
    keep[n] = true;
    for (const auto& i : node.input()) needed.insert(i);
    // Subgraphs may read outer values by name.
    for (const auto& a : node.attribute()) {
      std::vector<const onnx::GraphProto*> stack;
      if (a.has_g()) stack.push_back(&a.g());
      for (const auto& sg : a.graphs()) stack.push_back(&sg);
      while (!stack.empty()) {
        const onnx::GraphProto* sub = stack.back();
        stack.pop_back();
        for (const auto& sn : sub->node()) {
          for (const auto& i : sn.input()) needed.insert(i);
          for (const auto& sa : sn.attribute()) {
            if (sa.has_g()) stack.push_back(&sa.g());
            for (const auto& ssg : sa.graphs()) stack.push_back(&ssg);
          }
        }
      }
    }
  }
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (int n = 0; n < graph->node_size(); ++n) {
    if (keep[n]) *nodes.Add() = graph->node(n);
  }
  graph->mutable_node()->Swap(&nodes);
  google::protobuf::RepeatedPtrField<onnx::TensorProto> initializers;
  std::set<std::string> dropped;
  for (const auto& t : graph->initializer()) {
    if (needed.count(t.name())) {
      *initializers.Add() = t;
    } else {
      dropped.insert(t.name());
    }
  }
  graph->mutable_initializer()->Swap(&initializers);
  // Older models also list initializers among the inputs.
  auto* inputs = graph->mutable_input();
  for (int i = inputs->size() - 1; i >= 0; --i) {
    if (dropped.count(inputs->Get(i).name())) inputs->DeleteSubrange(i, 1);
  }
  graph->clear_output();
  for (auto& o : outputs) *graph->add_output() = std::move(o);
  return Status::Ok();
}

}  // namespace adlik::compiler
