#include "default_graph.h"

#include "passes/fix_shapes.h"
#include "passes/fp16.h"
#include "passes/openvino_convert.h"
#include "passes/ort_optimize.h"
#include "passes/topsinference_build.h"
#include "passes/tvm_build.h"
#include "quantize/int8.h"
#include "sources/native_passes.h"
#include "sources/source_passes.h"

namespace adlik::compiler {
namespace {

StatusOr<Artifact> RunFixShapes(Artifact model, const CompileRequest& request) {
  FixShapesOptions options;
  options.max_batch_size = request.max_batch_size;
  options.input_shapes = request.input_shapes;
  RETURN_IF_ERROR(FixShapes(options, &model.onnx));
  return model;
}

StatusOr<Artifact> RunFp16(Artifact model, const CompileRequest& request) {
  Fp16Options options;
  options.keep_io_types = request.keep_io_types;
  ASSIGN_OR_RETURN(Fp16Summary s, ConvertToFp16(options, &model.onnx));
  model.notes.push_back(
      std::to_string(s.fp16_nodes) + " operators in fp16, " +
      std::to_string(s.fp32_nodes) + " kept in fp32, " +
      std::to_string(s.casts) + " casts inserted, " +
      std::to_string(s.converted_weights) + " weights converted" +
      (s.clamped_values ? ", " + std::to_string(s.clamped_values) +
                              " weight values clamped to the fp16 range"
                        : ""));
  return model;
}

StatusOr<Artifact> RunOrtOptimize(Artifact model,
                                  const CompileRequest& request) {
  ASSIGN_OR_RETURN(model.onnx,
                   OptimizeWithOrt(model.onnx, request.optimization_level));
  model.notes.push_back(
      "ONNX Runtime optimisation level " + request.optimization_level + ": " +
      std::to_string(model.onnx.graph().node_size()) + " operators");
  return model;
}

StatusOr<Artifact> RunTopsInference(Artifact model,
                                    const CompileRequest& request) {
  ASSIGN_OR_RETURN(std::string engine,
                   BuildTopsInferenceEngine(model.onnx, request.enable_fp16));
  model.engine = std::move(engine);
  return model;
}

StatusOr<Artifact> RunOpenVino(Artifact model, bool compress_to_fp16) {
  ASSIGN_OR_RETURN(OpenVinoIr ir,
                   ConvertToOpenVino(model.onnx, compress_to_fp16));
  model.engine = std::move(ir.xml);
  model.side_files = {SideFile{".bin", std::move(ir.bin)}};
  model.notes.push_back(
      std::string("OpenVINO IR: model.xml ") +
      std::to_string(model.engine->size()) + " bytes, model.bin " +
      std::to_string(model.side_files[0].bytes.size()) + " bytes" +
      (compress_to_fp16 ? " (weights compressed to fp16)" : ""));
  return model;
}

StatusOr<Artifact> RunTvmBuild(Artifact model, const CompileRequest&) {
  ASSIGN_OR_RETURN(std::string library, BuildTvmLibrary(model.onnx));
  model.notes.push_back("TVM library for this machine's CPU: " +
                        std::to_string(library.size()) + " bytes");
  model.engine = std::move(library);
  return model;
}

Pass Declared(std::string name, std::string from, std::string to,
              std::string description, std::string needs) {
  Pass p;
  p.name = std::move(name);
  p.from = std::move(from);
  p.to = std::move(to);
  p.description = std::move(description);
  p.needs = std::move(needs);
  return p;
}

}  // namespace

ConversionGraph DefaultGraph() {
  ConversionGraph g;
  // The Python passes' interpreters are probed once each, when a search
  // first reaches one of their passes.
  ConverterProbes probes;
  AddSourcePasses(&g, &probes);
  AddNativePasses(&g, &probes);

  Pass fix = Declared("fix_shapes", "onnx", "onnx",
                      "fix dynamic input dimensions (batch = max_batch_size, "
                      "others from input_shapes)",
                      "");
  fix.adds_properties = kStaticShapes;
  fix.run = RunFixShapes;
  g.Add(std::move(fix));

  Pass fp16 = Declared("fp16", "onnx", "onnx",
                       "float compute to fp16; fragile operators and (by "
                       "default) the interface stay fp32",
                       "");
  fp16.adds_properties = kFp16;
  fp16.run = RunFp16;
  g.Add(std::move(fp16));

  Pass ort = Declared("ort_optimize", "onnx", "onnxruntime",
                      "ONNX Runtime graph optimisation, saved as a model", "");
  ort.run = RunOrtOptimize;
  g.Add(std::move(ort));

  Pass tops =
      Declared("topsinference_build", "onnx", "topsinference",
               "Enflame TopsInference engine (model.exec) from a static "
               "ONNX model",
               TopsInferenceMissing());
  tops.requires_properties = kStaticShapes;
  if (tops.needs.empty()) tops.run = RunTopsInference;
  g.Add(std::move(tops));

  g.Add(Declared("tensorrt_build", "onnx", "tensorrt",
                 "TensorRT engine (model.plan)",
                 "NVIDIA TensorRT (NvInfer.h, libnvinfer, libnvonnxparser) and "
                 "a CUDA GPU; this build is CPU-only"));
  g.Add(Declared("tftrt_convert", "tensorflow", "tftrt",
                 "TF-TRT: a SavedModel with TensorRT engines for its "
                 "subgraphs (TrtGraphConverterV2)",
                 "TensorFlow built with TensorRT and a CUDA GPU (PyPI's "
                 "tensorflow-cpu has no TensorRT); this build is CPU-only"));
  // OpenVINO converts and compresses in one step (ov::save_model's
  // compress_to_fp16), so its fp16 edge is its own: one pass rather than the
  // ONNX fp16 pass and a conversion.
  Pass ov = Declared("openvino_convert", "onnx", "openvino",
                     "OpenVINO IR (model.xml, model.bin) through "
                     "ov::Core::read_model and ov::save_model",
                     OpenVinoMissing());
  if (ov.needs.empty()) {
    ov.run = [](Artifact m, const CompileRequest&) {
      return RunOpenVino(std::move(m), false);
    };
  }
  Pass ov16 = ov;
  ov16.description = "OpenVINO IR with weights compressed to fp16";
  ov16.adds_properties = kFp16;
  if (ov16.needs.empty()) {
    ov16.run = [](Artifact m, const CompileRequest&) {
      return RunOpenVino(std::move(m), true);
    };
  }
  g.Add(std::move(ov));
  g.Add(std::move(ov16));

  // int8: on the IR for OpenVINO (declared after openvino_convert, so the
  // search reaches openvino(int8) through NNCF first), on the ONNX model for
  // the ONNX targets.
  Pass nncf = Declared("nncf_quantize", "openvino", "openvino",
                       "static int8 quantisation of the IR with NNCF "
                       "(calibration_dataset), with an accuracy report",
                       OpenVinoMissing());
  nncf.adds_properties = kInt8;
  if (nncf.needs.empty()) nncf.run = QuantizeOpenVino;
  g.Add(std::move(nncf));
  Pass q = Declared("onnx_quantize", "onnx", "onnx",
                    "static int8 quantisation to QDQ with ONNX Runtime's "
                    "quantize_static (calibration_dataset), with an accuracy "
                    "report",
                    "");
  q.adds_properties = kInt8;
  q.run = QuantizeOnnx;
  g.Add(std::move(q));

  Pass tvm = Declared("tvm_build", "onnx", "tvm",
                      "TVM model library (model.so) for this machine's CPU, "
                      "built by compiler/tvm_build.py with TVM's Python "
                      "package",
                      "");
  tvm.run = RunTvmBuild;
  g.Add(std::move(tvm));
  return g;
}

}  // namespace adlik::compiler
