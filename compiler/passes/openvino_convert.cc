#include "passes/openvino_convert.h"

#include <filesystem>
#include <fstream>
#include <openvino/openvino.hpp>
#include <sstream>

#include "onnx_model.h"
#include "temp_dir.h"

namespace adlik::compiler {
namespace {

StatusOr<std::string> ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  if (!in) return Internal("cannot read '" + path.string() + "'");
  return out.str();
}

}  // namespace

std::string OpenVinoMissing() { return ""; }

StatusOr<OpenVinoIr> ConvertToOpenVino(const onnx::ModelProto& model,
                                       bool compress_to_fp16) {
  ASSIGN_OR_RETURN(std::string bytes, SerializeOnnx(model));
  ASSIGN_OR_RETURN(TempDir dir, TempDir::Create());
  const std::filesystem::path onnx_path =
      std::filesystem::path(dir.path()) / "model.onnx";
  const std::filesystem::path xml_path =
      std::filesystem::path(dir.path()) / "model.xml";
  {
    std::ofstream out(onnx_path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return Internal("cannot write '" + onnx_path.string() + "'");
  }
  try {
    ov::Core core;
    std::shared_ptr<ov::Model> ov_model = core.read_model(onnx_path.string());
    ov::save_model(ov_model, xml_path.string(), compress_to_fp16);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("OpenVINO cannot convert the model: ") +
                           e.what());
  }
  OpenVinoIr ir;
  ASSIGN_OR_RETURN(ir.xml, ReadAll(xml_path));
  ASSIGN_OR_RETURN(ir.bin,
                   ReadAll(std::filesystem::path(dir.path()) / "model.bin"));
  return ir;
}

}  // namespace adlik::compiler
