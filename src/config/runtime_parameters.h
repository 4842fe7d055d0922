// The parameters a runtime plugin receives for a model (host::ModelSpec's
// `parameters`): the config's own `parameters`, plus what the config's
// `optimization` asks of the runtime, translated into the parameters that
// runtime understands. An `optimization` setting the chosen runtime cannot
// honour is refused here, naming the field, rather than ignored:
//
//   graph.level               onnxruntime: -1 basic, 0 all (ONNX Runtime's
//                             default), 1 extended, 2 disable, as Triton's
//                             ONNX Runtime backend maps them
//                             (graph_optimization_level); other runtimes: 0
//   execution_accelerators    onnxruntime, GPU: "tensorrt" (TensorRT first
//                             where present, parameter tensorrt), "cuda"
//                             (always used on GPU); a GPU list without
//                             "tensorrt" leaves TensorRT out. Accelerator
//                             parameters and CPU accelerators ("openvino")
//                             are refused; other runtimes: none
//   priority, cuda, input_pinned_memory, output_pinned_memory,
//   gather_kernel_buffer_threshold, eager_batching
//                             accepted without effect: Triton applies them
//                             in its TensorRT backend only, and this server
//                             stages no pinned host buffers
//
// Thread-safety: pure function.
#ifndef ADLIK_CONFIG_RUNTIME_PARAMETERS_H_
#define ADLIK_CONFIG_RUNTIME_PARAMETERS_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adlik/status.h"
#include "config/model_config.pb.h"

namespace adlik::config {

// Sorted by key. `runtime` is the name of the runtime serving the model.
// A parameter the config sets itself that disagrees with its optimization
// setting is an error naming both.
StatusOr<std::vector<std::pair<std::string, std::string>>> RuntimeParameters(
    const inference::ModelConfig& config, std::string_view runtime);

}  // namespace adlik::config

#endif  // ADLIK_CONFIG_RUNTIME_PARAMETERS_H_
