// The conversion graph's edges to runtimes that serve a model without ONNX:
// the model (a file or a folder) is the artefact itself, and the runtime
// plugin that serves it reports its signature.
//
//   keras_to_savedmodel    keras -> tensorflow      tf_keras, tf.saved_model
//   tflite_convert         tensorflow -> tflite     tf.lite.TFLiteConverter
//   xgboost_as_is          xgboost -> treelite      the file as it is
//   lightgbm_as_is         lightgbm -> treelite     the file as it is
//   sklearn_to_treelite    sklearn -> treelite      treelite.sklearn
//   torchscript_signature  torchscript -> libtorch  re-saved with signature.txt
//
// Each conversion is a Python script under compiler/converters/ run as a
// subprocess (sources/python_converter.h), declared unavailable when its
// interpreter, script or packages are missing (a tree file served as it is
// needs its library only for the numeric check's reference). A source
// already in its target's format (a SavedModel for the tensorflow target, a
// .tflite for tflite) takes no pass: ReadNativeModel makes it the artefact
// as it is.
//
// Thread-safety: AddNativePasses is as thread-safe as ConversionGraph::Add;
// ReadNativeModel is reentrant.
#ifndef ADLIK_COMPILER_SOURCES_NATIVE_PASSES_H_
#define ADLIK_COMPILER_SOURCES_NATIVE_PASSES_H_

#include <optional>
#include <string_view>

#include "adlik/status.h"
#include "artifact.h"
#include "conversion_graph.h"
#include "request.h"
#include "sources/python_converter.h"

namespace adlik::compiler {

// Adds the passes above to `graph`, probing this machine lazily as the source
// passes do (sources/source_passes.h), with `probes` shared with them, or
// probes of their own when null.
void AddNativePasses(ConversionGraph* graph, ConverterProbes* probes = nullptr);

// What the numeric check of `path` (a path from `source` that does not go
// through ONNX) compares with: the source in its own framework, giving the
// outputs under the names the target's runtime reports. The source's ONNX
// converter runs it when the names agree (TensorFlow's formats); a tree
// model's prediction is reshaped as the treelite runtime gives it
// (trees_to_treelite.py). Nullopt for a source no converter reads.
std::optional<PythonConverter> NativeReference(const Path& path,
                                               std::string_view source);

// `model` (a source format with its source_path) as the artefact its runtime
// reads: the file's bytes as `engine`, or the folder's files as `folder`,
// with the config parameters the request's keys ask of the runtime (a
// SavedModel's signature_keys and saved_model_tags become TF_SIGNATURE_DEF
// and TF_GRAPH_TAG).
StatusOr<Artifact> ReadNativeModel(Artifact model,
                                   const CompileRequest& request);

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_SOURCES_NATIVE_PASSES_H_
