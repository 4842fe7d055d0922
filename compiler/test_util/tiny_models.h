// Tiny ONNX models for the compiler's unit tests, built in memory with the
// ONNX protobuf classes (opset 17, IR 8). Weights come from a fixed seed.
//
// Thread-safety: pure functions.
#ifndef ADLIK_COMPILER_TEST_UTIL_TINY_MODELS_H_
#define ADLIK_COMPILER_TEST_UTIL_TINY_MODELS_H_

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace adlik::compiler::testing {

// A tensor value; a dimension of -1 becomes the symbolic "batch" at index 0
// and "dim<i>" elsewhere.
onnx::ValueInfoProto Value(const std::string& name, int32_t elem_type,
                           const std::vector<int64_t>& dims);

// A FLOAT initializer with `dims`, values uniform in [-scale, scale).
onnx::TensorProto RandomWeights(const std::string& name,
                                const std::vector<int64_t>& dims, uint32_t seed,
                                float scale = 1.0f);

// Wraps a graph in a model (opset 17, IR 8).
onnx::ModelProto MakeModel(onnx::GraphProto graph);

// Y = A + B on FLOAT [batch, 4].
onnx::ModelProto AddModel();

// A small image classifier on FLOAT input [batch, 3, 8, 8]: Conv(3->4, 3x3,
// pad 1) + Relu + GlobalAveragePool + Flatten + Gemm(4->5) = "logits", and
// Softmax(logits) = "probs".
onnx::ModelProto ClassifierModel();

// Relu on FLOAT [batch, seq] (two dynamic dimensions).
onnx::ModelProto SequenceModel();

// Y = Relu(Identity(X) * (C1 + C2)) on FLOAT [batch, 4]: ONNX Runtime's basic
// level folds C1 + C2 and removes the Identity.
onnx::ModelProto FoldableModel();

// A new empty folder under the system's temporary folder, removed with its
// contents when the test program exits.
std::string MakeTempDir();

}  // namespace adlik::compiler::testing

#endif  // ADLIK_COMPILER_TEST_UTIL_TINY_MODELS_H_
