// Pass: make a model's input shapes static.
//
// Accelerators such as the Enflame i20 (TopsInference) only take models whose
// shapes are all fixed. This pass fixes every input dimension: a dynamic first
// dimension becomes max_batch_size (when it is > 0), and any other dynamic
// dimension must be given in `input_shapes` (full shapes, batch included).
// ONNX shape inference then carries the static shapes through the graph to the
// outputs. Errors name the input and the dimension.
//
// Thread-safety: a pure function over the caller's model.
#ifndef ADLIK_COMPILER_PASSES_FIX_SHAPES_H_
#define ADLIK_COMPILER_PASSES_FIX_SHAPES_H_

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "adlik/status.h"

namespace adlik::compiler {

struct FixShapesOptions {
  // > 0: a dynamic first dimension becomes this; 0: the model has no batch
  // dimension and every dynamic dimension must come from input_shapes.
  int max_batch_size = 0;
  // Full shapes by input name; each must match the model's rank and fixed
  // dimensions (and, with max_batch_size > 0, start with max_batch_size).
  std::map<std::string, std::vector<int64_t>> input_shapes;
};

// Fixes the input shapes of `model` in place. On error the model may be
// partly changed.
Status FixShapes(const FixShapesOptions& options, onnx::ModelProto* model);

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_PASSES_FIX_SHAPES_H_
