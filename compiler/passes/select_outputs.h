// Pass: keep only the named outputs of a model (the request's output_names).
//
// A name may be a graph output or any intermediate tensor whose type shape
// inference knows; the graph is then pruned to the nodes, initializers and
// inputs those outputs need (inputs the outputs do not need are kept, so the
// model's interface does not change under its clients). Errors name the
// tensor.
//
// Thread-safety: a pure function over the caller's model.
#ifndef ADLIK_COMPILER_PASSES_SELECT_OUTPUTS_H_
#define ADLIK_COMPILER_PASSES_SELECT_OUTPUTS_H_

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "adlik/status.h"

namespace adlik::compiler {

// Makes `names` the model's outputs, in that order. On error the model is
// unchanged.
Status SelectOutputs(const std::vector<std::string>& names,
                     onnx::ModelProto* model);

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_PASSES_SELECT_OUTPUTS_H_
