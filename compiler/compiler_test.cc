#include "compiler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/model_config.h"
#include "onnx_model.h"
#include "passes/topsinference_build.h"
#include "test_util/runtimes.h"
#include "test_util/tiny_models.h"

namespace adlik::compiler {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

CompileRequest Request(const std::string& export_path) {
  CompileRequest r;
  r.input_model = export_path + "/source.onnx";
  r.model_name = "classifier";
  r.export_path = export_path;
  r.max_batch_size = 4;
  return r;
}

std::string WriteSource(const std::string& dir, const onnx::ModelProto& model) {
  const std::string path = dir + "/source.onnx";
  std::ofstream(path, std::ios::binary) << model.SerializeAsString();
  return path;
}

bool HasModelDir(const std::string& export_path) {
  return fs::exists(fs::path(export_path) / "classifier");
}

TEST(CompileModelTest, CompilesAModelInMemoryIntoAServableRepository) {
  const std::string dir = testing::MakeTempDir();
  CompileRequest r = Request(dir);
  r.enable_fp16 = true;
  std::vector<std::string> steps;
  auto result = CompileModel(testing::ClassifierModel(), r, testing::Runtimes(),
                             [&](const ProgressEvent& e) {
                               if (e.phase == ProgressEvent::Phase::kDone)
                                 steps.push_back(e.name);
                             });
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->path, "onnx -> onnx(fp16) -> onnxruntime");
  EXPECT_THAT(steps, ElementsAre("plan", "fp16", "ort_optimize",
                                 "numeric check", "write"));
  ASSERT_TRUE(result->check.has_value());
  EXPECT_TRUE(result->check->passed);
  EXPECT_DOUBLE_EQ(result->check->tolerance, kFp16Tolerance);
  EXPECT_GT(result->check->max_abs_error, 0)
      << "fp16 changes the numbers a little";

  // What was written is what the server loads: the config passes the
  // server's validation against ONNX Runtime's view of the model file.
  auto config = config::ReadModelConfig(result->written.config_file);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->backend(), "onnxruntime");
  EXPECT_EQ(result->written.model_file, dir + "/classifier/1/model.onnx");
  auto model = ReadOnnxFile(result->written.model_file);
  ASSERT_TRUE(model.ok());
  auto signature = testing::OrtSignature(*model);
  ASSERT_TRUE(signature.ok()) << signature.status().ToString();
  EXPECT_TRUE(config::CompleteAndValidate(*signature, &*config, "config").ok());
  EXPECT_TRUE(fs::exists(dir + "/classifier_1.zip"));
}

TEST(CompileModelTest, OnnxTargetWithStaticShapesAndSelectedOutputs) {
  const std::string dir = testing::MakeTempDir();
  CompileRequest r = Request(dir);
  r.serving_type = "onnx";
  r.static_shapes = true;
  r.output_names = {"logits"};
  auto result =
      CompileModel(testing::ClassifierModel(), r, testing::Runtimes(), nullptr);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->path, "onnx -> onnx(static)");
  // The server runs the compiled model at ONNX Runtime's default level
  // (all), the check's reference runs as written: at most a last-bit
  // difference.
  EXPECT_LT(result->check->max_rel_error, 1e-6);
  auto config = config::ReadModelConfig(result->written.config_file);
  ASSERT_TRUE(config.ok());
  ASSERT_EQ(config->output_size(), 1);
  EXPECT_EQ(config->output(0).name(), "logits");
  EXPECT_THAT(std::vector<int64_t>(config->input(0).dims().begin(),
                                   config->input(0).dims().end()),
              ElementsAre(3, 8, 8));
}

TEST(CompileModelTest, ANumericCheckFailureWritesNothing) {
  const std::string dir = testing::MakeTempDir();
  CompileRequest r = Request(dir);
  r.enable_fp16 = true;
  r.tolerance = 0;
  auto result =
      CompileModel(testing::ClassifierModel(), r, testing::Runtimes(), nullptr);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInternal);
  EXPECT_THAT(result.status().message(),
              HasSubstr("numeric check failed on output(s) logits, probs"));
  EXPECT_THAT(result.status().message(), HasSubstr("tolerance 0"));
  EXPECT_FALSE(HasModelDir(dir));
}

TEST(CompileModelTest, ARequestErrorFoundLateStillWritesNothing) {
  const std::string dir = testing::MakeTempDir();
  CompileRequest r = Request(dir);
  r.input_names = {"image"};
  auto result =
      CompileModel(testing::ClassifierModel(), r, testing::Runtimes(), nullptr);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(),
              HasSubstr("input_names: 'image' is not an input of the model "
                        "(its inputs: input)"));
  EXPECT_FALSE(HasModelDir(dir));
}

TEST(RunPlanTest, PassesTakeAndReturnTheModelObjectInOrder) {
  ConversionGraph graph;
  std::vector<std::string> calls;
  auto pass = [&](std::string name, std::string from, std::string to) {
    Pass p;
    p.name = name;
    p.from = from;
    p.to = to;
    p.run = [&calls, name](Artifact a,
                           const CompileRequest&) -> StatusOr<Artifact> {
      calls.push_back(name + ":" + std::to_string(a.onnx.graph().node_size()));
      a.onnx.mutable_graph()->add_node()->set_op_type("Relu");
      return a;
    };
    return p;
  };
  graph.Add(pass("first", "onnx", "mid"));
  graph.Add(pass("second", "mid", "end"));
  CompileRequest request;
  request.serving_type = "onnxruntime";
  auto path = graph.FindPath({"onnx"}, "end", 0);
  ASSERT_TRUE(path.ok());
  Plan plan{Target{"end", "end", "onnxruntime", "", 0}, *path, 0};
  Artifact source;
  source.format = {"onnx"};
  source.onnx = testing::AddModel();
  auto out = RunPlan(plan, std::move(source), request, nullptr);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_THAT(calls, ElementsAre("first:1", "second:2"));
  EXPECT_EQ(out->format.base, "end");
  EXPECT_EQ(out->onnx.graph().node_size(), 3);

  Artifact elsewhere;
  elsewhere.format = {"mid"};
  auto wrong = RunPlan(plan, std::move(elsewhere), request, nullptr);
  EXPECT_FALSE(wrong.ok());
}

TEST(CompileFileTest, MissingFileIsNotFound) {
  const std::string dir = testing::MakeTempDir();
  auto result = CompileFile(Request(dir), testing::Runtimes(), nullptr);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(result.status().message(),
              HasSubstr("source.onnx': no such file"));
}

TEST(CompileFileTest, AFileThatIsNotOnnxIsNamed) {
  const std::string dir = testing::MakeTempDir();
  std::ofstream(dir + "/source.onnx") << "this is not an ONNX model";
  auto result = CompileFile(Request(dir), testing::Runtimes(), nullptr);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(),
              HasSubstr(dir + "/source.onnx: not an ONNX model"));
  EXPECT_FALSE(HasModelDir(dir));
}

TEST(CompileFileTest, AnInvalidGraphIsNamedByTheChecker) {
  const std::string dir = testing::MakeTempDir();
  onnx::ModelProto model = testing::AddModel();
  model.mutable_graph()->mutable_node(0)->set_input(1, "undefined");
  WriteSource(dir, model);
  auto result = CompileFile(Request(dir), testing::Runtimes(), nullptr);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(),
              HasSubstr("input_model: invalid ONNX model"));
}

TEST(CompileFileTest, TopsInferenceWithoutSdkFailsBeforeAnyWork) {
  if (!TopsInferenceMissing().empty()) {
    const std::string dir = testing::MakeTempDir();
    WriteSource(dir, testing::ClassifierModel());
    CompileRequest r = Request(dir);
    r.serving_type = "topsinference";
    bool loaded = false;
    auto result = CompileFile(
        r, testing::Runtimes(),
        [&](const ProgressEvent& e) { loaded |= e.name == "load"; });
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), StatusCode::kUnimplemented);
    EXPECT_THAT(result.status().message(), HasSubstr("TopsInference SDK"));
    EXPECT_FALSE(loaded);
    EXPECT_FALSE(HasModelDir(dir));
  }
}

TEST(CompileFileTest, CompilesAFileEndToEnd) {
  const std::string dir = testing::MakeTempDir();
  WriteSource(dir, testing::ClassifierModel());
  CompileRequest r = Request(dir);
  r.version = 7;
  auto result = CompileFile(r, testing::Runtimes(), nullptr);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->written.version, 7);
  EXPECT_LT(result->check->max_rel_error, 1e-6)
      << "optimisation changes at most the last bits here";
  auto again = CompileFile(r, testing::Runtimes(), nullptr);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace adlik::compiler
