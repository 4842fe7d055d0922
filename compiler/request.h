// A compile request: what to compile, for which target, and where to write
// it. It comes as a JSON object (the original Adlik compiler's keys, plus the
// ones documented below) or as command-line flags `--key=value` with the same
// keys; flags given after `--request=FILE` override the file's values.
//
// Parsing is strict: an unknown key, a missing required key and a value of
// the wrong type are refused with a message that names the key. Cross-field
// checks that need the model (an input name that does not exist, ...) happen
// later, when the model is loaded.
//
// Thread-safety: pure functions over values.
#ifndef ADLIK_COMPILER_REQUEST_H_
#define ADLIK_COMPILER_REQUEST_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adlik/status.h"

namespace adlik::compiler {

// The layout a client sends image inputs in (config.pbtxt's `format`).
enum class InputFormat { kNone, kChannelsFirst, kChannelsLast };

struct CompileRequest {
  // --- The original compiler's keys ---
  // Required: the source model: a file (.onnx, .pt, .h5, .tflite, ...) or a
  // folder (a TensorFlow SavedModel, a Paddle model).
  std::string input_model;
  std::string model_name;   // required: the model's folder in export_path
  std::string export_path;  // required: the model repository to write into
  // Required. 0: the model has no batch dimension; N > 0: the first dimension
  // of every input and output is the batch, of at most N.
  int max_batch_size = 0;
  // The target: onnxruntime (default), onnx, tensorrt, topsinference,
  // openvino, ... (see targets.h for the names and their aliases).
  std::string serving_type = "onnxruntime";
  std::optional<int64_t> version;  // absent: the next free version number
  // The model's inputs in the order the config lists them (each must exist);
  // input_formats follow this order. Empty: the model's own order.
  std::vector<std::string> input_names;
  // The outputs to keep: graph outputs or intermediate tensors. Empty: the
  // model's own outputs. The graph is pruned to what they need.
  std::vector<std::string> output_names;
  std::vector<InputFormat> input_formats;  // one per input, or empty
  // Source converters (a model that is not ONNX; see docs/compiler.md):
  // the SavedModel signature and MetaGraph tag (one each), the ONNX opset
  // written, and the Keras layers that bound the part converted.
  std::vector<std::string> signature_keys;
  std::vector<std::string> saved_model_tags;
  std::optional<int64_t> opset_version;
  std::vector<std::string> input_layer_names;
  std::vector<std::string> output_layer_names;

  bool enable_fp16 = false;  // convert the model's float compute to fp16
  // Static post-training int8 quantisation (quantize/int8.h), calibrated on
  // the samples of calibration_dataset (a folder), with an accuracy report
  // on validation_dataset. Excludes enable_fp16.
  bool enable_int8 = false;
  std::string calibration_dataset;

  // --- Added by this compiler ---
  // Make every input shape static: the batch dimension becomes
  // max_batch_size, other dynamic dimensions come from input_shapes. Implied
  // by a non-empty input_shapes and by targets that need static models.
  bool static_shapes = false;
  // Full shapes (batch dimension included) for inputs, by name.
  std::map<std::string, std::vector<int64_t>> input_shapes;
  // With enable_fp16: keep float inputs and outputs in fp32, with casts at the
  // edges of the graph (true), or make them fp16 too (false).
  bool keep_io_types = true;
  // ONNX Runtime's graph optimisation level for the onnxruntime target:
  // disable, basic, extended or all.
  std::string optimization_level = "basic";
  // Compare the result with the source on random inputs after compiling.
  bool numeric_check = true;
  // Largest relative error the numeric check accepts; absent: 1e-5 for fp32
  // paths, 2e-2 when the path converts to fp16.
  std::optional<double> tolerance;
  uint64_t seed = 0;  // seed of the numeric check's random inputs
  // With enable_int8: the folder of samples the int8 model is judged on
  // (required), `FILE LABEL` lines for some of them, the largest accepted
  // loss of top-1 agreement with the fp32 model in points (percent), and
  // how images become tensors: (pixel - image_mean) / image_std.
  std::string validation_dataset;
  std::string validation_labels;
  double max_accuracy_loss = 1.0;
  double image_mean = 0.0;
  double image_std = 1.0;

  // --- Serving options written into config.pbtxt ---
  bool dynamic_batching = false;  // implied by the next two
  std::vector<int> preferred_batch_size;
  std::optional<int64_t> max_queue_delay_microseconds;
  std::optional<int> instance_count;  // instance_group { count }
  std::string instance_kind;          // cpu, gpu, auto, model ("" = unset)

  // --- Not a request key: the tool's own setting ---
  // The runtime plugins' folder (adlik_compiler --runtime_dir), for what a
  // pass runs through a plugin itself (the int8 report's served times); ""
  // is the folder of the running binary.
  std::string runtime_dir;
};

// Parses a JSON object. `source` names the text in messages ("req.json").
StatusOr<CompileRequest> ParseRequestJson(std::string_view json,
                                          std::string_view source);

// Parses command-line arguments (without the program name): `--key=value`,
// `--flag` for a true boolean, and `--request=FILE` to start from a JSON
// file. Lists are comma-separated (`--input_names=a,b`); input_shapes is
// `--input_shapes=a:1x3x224x224,b:1x16`; input_formats uses `none` for null.
StatusOr<CompileRequest> ParseRequestFlags(
    const std::vector<std::string>& args);

// One line per key: name, type, and what it means (for --help).
std::string RequestKeysHelp();

// "channels_first", "channels_last" or "none".
std::string_view InputFormatName(InputFormat format);

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_REQUEST_H_
