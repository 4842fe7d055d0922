// Pass: convert a model's float compute to fp16.
//
// Every operator of the default ONNX domain whose schema accepts float16 for
// its float tensors runs in fp16, with its float weights converted (values
// beyond the fp16 range are clamped to +-65504 and counted). Operators that
// are numerically fragile in fp16 (exponentials, logarithms, powers, softmax,
// reductions, normalisations: Fp32Operators()) stay in fp32, as do operators
// of other domains and those whose output type an attribute sets (Cast,
// RandomNormal, ...). A Cast is inserted wherever a tensor crosses between
// the two precisions. With keep_io_types the model's float inputs and outputs
// stay fp32 (casts at the edges), so clients see the same interface.
//
// Models with control flow (If, Loop, Scan) are refused.
//
// Thread-safety: a pure function over the caller's model.
#ifndef ADLIK_COMPILER_PASSES_FP16_H_
#define ADLIK_COMPILER_PASSES_FP16_H_

#include <onnx/onnx_pb.h>

#include <set>
#include <string>

#include "adlik/status.h"

namespace adlik::compiler {

struct Fp16Options {
  bool keep_io_types = true;  // float inputs and outputs stay fp32
  // Operators kept in fp32 (default ONNX domain op types).
  std::set<std::string> fp32_operators;  // empty: Fp32Operators()
};

struct Fp16Summary {
  int fp16_nodes = 0;  // operators now running in fp16
  int fp32_nodes = 0;  // operators with float tensors kept in fp32
  int casts = 0;       // Cast nodes inserted
  int converted_weights = 0;
  int64_t clamped_values = 0;  // weight values beyond the fp16 range
};

// The default set of operators kept in fp32.
const std::set<std::string>& Fp32Operators();

// Converts `model` in place. On error the model is unchanged.
StatusOr<Fp16Summary> ConvertToFp16(const Fp16Options& options,
                                    onnx::ModelProto* model);

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_PASSES_FP16_H_
