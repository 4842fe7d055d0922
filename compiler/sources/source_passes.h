// The conversion graph's source edges: one pass per source format that is not
// ONNX, from that format to "onnx", each running its framework's own
// converter (sources/python_converter.h):
//
//   torchscript  (.pt, .pth, .torchscript)   torch.onnx.export
//   tensorflow   (a SavedModel folder)       tf2onnx
//   keras        (tf-keras .h5)              tf2onnx
//   tflite       (.tflite)                   tf2onnx
//   sklearn      (.joblib, .pkl)             skl2onnx
//   xgboost      (.json, .ubj)               onnxmltools
//   lightgbm     (LightGBM's text model)     onnxmltools
//   paddle       (a .pdmodel, or its folder) paddle2onnx
//
// A pass whose interpreter, script or Python packages are missing on this
// machine is unavailable, naming them. Finding out is left to each pass's
// probe, asked only when a search considers the pass: the passes of one
// interpreter share one ModuleProbe, so it starts at most once per
// interpreter, and a compile whose source is ONNX starts no Python at all.
//
// Thread-safety: AddSourcePasses is as thread-safe as ConversionGraph::Add;
// FindSourceConverter is a pure function over constants.
#ifndef ADLIK_COMPILER_SOURCES_SOURCE_PASSES_H_
#define ADLIK_COMPILER_SOURCES_SOURCE_PASSES_H_

#include <optional>
#include <string_view>

#include "conversion_graph.h"
#include "sources/python_converter.h"

namespace adlik::compiler {

// Adds the passes above to `graph` (probing this machine lazily, see above),
// with `probes`, shared with the graph's other Python passes, or probes of
// their own when null.
void AddSourcePasses(ConversionGraph* graph, ConverterProbes* probes = nullptr);

// The converter of source format `format`, or nullopt for a format no
// converter reads ("onnx").
std::optional<PythonConverter> FindSourceConverter(std::string_view format);

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_SOURCES_SOURCE_PASSES_H_
