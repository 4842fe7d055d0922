#include "conversion_graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "default_graph.h"
#include "passes/openvino_convert.h"
#include "passes/topsinference_build.h"

namespace adlik::compiler {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Names(const Path& path) {
  std::vector<std::string> names;
  for (const Pass* p : path.passes) names.push_back(p->name);
  return names;
}

StatusOr<Artifact> Identity(Artifact a, const CompileRequest&) { return a; }

Pass Edge(std::string name, std::string from, std::string to,
          bool available = true) {
  Pass p;
  p.name = std::move(name);
  p.from = std::move(from);
  p.to = std::move(to);
  if (available) {
    p.run = Identity;
  } else {
    p.needs = "the X SDK";
  }
  return p;
}

TEST(ConversionGraphTest, FindsTheShortestPathOfAvailablePasses) {
  ConversionGraph g;
  g.Add(Edge("a_b", "a", "b"));
  g.Add(Edge("b_c", "b", "c"));
  g.Add(Edge("c_d", "c", "d"));
  g.Add(Edge("b_d", "b", "d"));
  auto path = g.FindPath({"a"}, "d", 0);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_THAT(Names(*path), ElementsAre("a_b", "b_d"));
  EXPECT_EQ(DescribePath(*path), "a -> b -> d");
}

TEST(ConversionGraphTest, GoesAroundAnUnavailablePass) {
  ConversionGraph g;
  g.Add(Edge("a_d", "a", "d", /*available=*/false));
  g.Add(Edge("a_b", "a", "b"));
  g.Add(Edge("b_d", "b", "d"));
  auto path = g.FindPath({"a"}, "d", 0);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_THAT(Names(*path), ElementsAre("a_b", "b_d"));
}

TEST(ConversionGraphTest, UnreachableTargetNamesTheMissingPassAndThePath) {
  ConversionGraph g;
  g.Add(Edge("a_b", "a", "b"));
  g.Add(Edge("b_c", "b", "c", /*available=*/false));
  auto path = g.FindPath({"a"}, "c", 0);
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().code(), StatusCode::kUnimplemented);
  EXPECT_THAT(path.status().message(),
              HasSubstr("pass 'b_c' (b -> c) needs the X SDK"));
  EXPECT_THAT(path.status().message(),
              HasSubstr("the path would be a -> b -> c"));
}

TEST(ConversionGraphTest, AsksAProbeOnlyOnceTheSearchReachesThePass) {
  int asked = 0;
  Pass probed = Edge("z_b", "z", "b");
  probed.probe = [&asked] {
    ++asked;
    return std::string("the Z tool");
  };
  ConversionGraph g;
  g.Add(Edge("a_b", "a", "b"));
  g.Add(std::move(probed));
  g.Add(Edge("b_c", "b", "c"));
  auto from_a = g.FindPath({"a"}, "c", 0);
  ASSERT_TRUE(from_a.ok()) << from_a.status().ToString();
  auto unreachable = g.FindPath({"a"}, "y", 0);
  EXPECT_FALSE(unreachable.ok());
  EXPECT_EQ(asked, 0);

  auto from_z = g.FindPath({"z"}, "c", 0);
  ASSERT_FALSE(from_z.ok());
  EXPECT_EQ(from_z.status().code(), StatusCode::kUnimplemented);
  EXPECT_THAT(from_z.status().message(),
              HasSubstr("pass 'z_b' (z -> b) needs the Z tool"));
  EXPECT_THAT(from_z.status().message(),
              HasSubstr("the path would be z -> b -> c"));
  EXPECT_GT(asked, 0);
}

TEST(ConversionGraphTest, TargetWithNoPassLeadingThereIsInvalid) {
  ConversionGraph g;
  g.Add(Edge("a_b", "a", "b"));
  auto path = g.FindPath({"a"}, "z", 0);
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(path.status().message(),
              HasSubstr("no conversion from a to z (reachable from it: b)"));
}

TEST(ConversionGraphTest, AddsPropertyPassesOnlyWhenRequiredOrNeeded) {
  ConversionGraph g;
  Pass fix = Edge("fix", "a", "a");
  fix.adds_properties = kStaticShapes;
  g.Add(fix);
  Pass engine = Edge("engine", "a", "e");
  engine.requires_properties = kStaticShapes;
  g.Add(engine);
  g.Add(Edge("plain", "a", "p"));

  auto to_engine = g.FindPath({"a"}, "e", 0);
  ASSERT_TRUE(to_engine.ok()) << to_engine.status().ToString();
  EXPECT_THAT(Names(*to_engine), ElementsAre("fix", "engine"));
  EXPECT_EQ(DescribePath(*to_engine), "a -> a(static) -> e");

  auto plain = g.FindPath({"a"}, "p", 0);
  ASSERT_TRUE(plain.ok());
  EXPECT_THAT(Names(*plain), ElementsAre("plain"));

  auto static_plain = g.FindPath({"a"}, "p", kStaticShapes);
  ASSERT_TRUE(static_plain.ok());
  EXPECT_THAT(Names(*static_plain), ElementsAre("fix", "plain"));
  EXPECT_EQ(static_plain->formats.back(), (Format{"p", kStaticShapes}));
}

TEST(ConversionGraphTest, SourceThatIsTheTargetNeedsNoPass) {
  ConversionGraph g;
  g.Add(Edge("a_b", "a", "b"));
  auto path = g.FindPath({"a"}, "a", 0);
  ASSERT_TRUE(path.ok());
  EXPECT_TRUE(path->passes.empty());
  EXPECT_EQ(DescribePath(*path), "a");
}

TEST(DefaultGraphTest, StaticFp16OnnxRuntimePath) {
  const ConversionGraph g = DefaultGraph();
  auto path = g.FindPath({"onnx"}, "onnxruntime", kStaticShapes | kFp16);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_THAT(Names(*path), ElementsAre("fix_shapes", "fp16", "ort_optimize"));
  EXPECT_EQ(DescribePath(*path),
            "onnx -> onnx(static) -> onnx(fp16) -> onnxruntime");
  EXPECT_EQ(path->formats.back(),
            (Format{"onnxruntime", kStaticShapes | kFp16}));
}

TEST(DefaultGraphTest, PlainOnnxRuntimePathIsOnePass) {
  const ConversionGraph g = DefaultGraph();
  auto path = g.FindPath({"onnx"}, "onnxruntime", 0);
  ASSERT_TRUE(path.ok());
  EXPECT_THAT(Names(*path), ElementsAre("ort_optimize"));
}

TEST(DefaultGraphTest, TvmIsOnePassFromOnnxAndKeepsTheProperties) {
  const ConversionGraph g = DefaultGraph();
  auto path = g.FindPath({"onnx"}, "tvm", kStaticShapes);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_THAT(Names(*path), ElementsAre("fix_shapes", "tvm_build"));
  EXPECT_EQ(path->formats.back(), (Format{"tvm", kStaticShapes}));
}

TEST(DefaultGraphTest, TopsInferenceWithoutSdkNamesTheSdk) {
  if (TopsInferenceMissing().empty())
    GTEST_SKIP() << "built with the TopsInference SDK";
  const ConversionGraph g = DefaultGraph();
  auto path = g.FindPath({"onnx"}, "topsinference", kStaticShapes);
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().code(), StatusCode::kUnimplemented);
  EXPECT_THAT(path.status().message(), HasSubstr("TopsInference SDK"));
  EXPECT_THAT(
      path.status().message(),
      HasSubstr("the path would be onnx -> onnx(static) -> topsinference"));
}

TEST(DefaultGraphTest, TensorRtNeedsTensorRtAndAGpu) {
  const ConversionGraph g = DefaultGraph();
  auto path = g.FindPath({"onnx"}, "tensorrt", 0);
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().code(), StatusCode::kUnimplemented);
  EXPECT_THAT(path.status().message(), HasSubstr("NVIDIA TensorRT"));
  EXPECT_THAT(path.status().message(), HasSubstr("GPU"));
}

TEST(DefaultGraphTest, TfTrtIsDeclaredWithWhatItNeeds) {
  const ConversionGraph g = DefaultGraph();
  auto path = g.FindPath({"tensorflow"}, "tftrt", 0);
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().code(), StatusCode::kUnimplemented);
  EXPECT_THAT(path.status().message(), HasSubstr("tftrt_convert"));
  EXPECT_THAT(path.status().message(),
              HasSubstr("TensorFlow built with TensorRT"));
}

// (source_passes_test checks what the message names: the interpreter, the
// script, the package.)
TEST(DefaultGraphTest, PyTorchSourceWithoutItsPythonSaysWhatItNeeds) {
  setenv("ADLIK_TORCH_PYTHON", "/nonexistent/python3", 1);
  const ConversionGraph g = DefaultGraph();
  unsetenv("ADLIK_TORCH_PYTHON");
  auto path = g.FindPath({"torchscript"}, "onnxruntime", 0);
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().code(), StatusCode::kUnimplemented);
  EXPECT_THAT(path.status().message(), HasSubstr("torch_export"));
  EXPECT_THAT(path.status().message(), HasSubstr("needs"));
  EXPECT_THAT(path.status().message(),
              HasSubstr("torchscript -> onnx -> onnxruntime"));
}

TEST(DefaultGraphTest, LibTorchIsNotReachableFromOnnx) {
  const ConversionGraph g = DefaultGraph();
  auto path = g.FindPath({"onnx"}, "libtorch", 0);
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(path.status().message(),
              HasSubstr("no conversion from onnx to libtorch"));
}

TEST(DefaultGraphTest, Int8ForOnnxRuntimeQuantisesTheOnnxModel) {
  const ConversionGraph g = DefaultGraph();
  auto path = g.FindPath({"onnx"}, "onnxruntime", kInt8);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_THAT(Names(*path), ElementsAre("onnx_quantize", "ort_optimize"));
  EXPECT_EQ(DescribePath(*path), "onnx -> onnx(int8) -> onnxruntime");
}

TEST(DefaultGraphTest, OpenVinoPathsOrWhatTheyNeed) {
  const ConversionGraph g = DefaultGraph();
  auto fp32 = g.FindPath({"onnx"}, "openvino", 0);
  auto fp16 = g.FindPath({"onnx"}, "openvino", kFp16);
  auto int8 = g.FindPath({"onnx"}, "openvino", kInt8);
  if (!OpenVinoMissing().empty()) {
    ASSERT_FALSE(fp32.ok());
    EXPECT_EQ(fp32.status().code(), StatusCode::kUnimplemented);
    EXPECT_THAT(fp32.status().message(), HasSubstr("-DADLIK_WITH_OPENVINO=ON"));
    EXPECT_FALSE(int8.ok());
    return;
  }
  ASSERT_TRUE(fp32.ok() && fp16.ok() && int8.ok());
  EXPECT_EQ(DescribePath(*fp32), "onnx -> openvino");
  // ov::save_model compresses while it converts: no ONNX fp16 pass.
  EXPECT_EQ(DescribePath(*fp16), "onnx -> openvino(fp16)");
  EXPECT_EQ(fp16->formats.back(), (Format{"openvino", kFp16}));
  EXPECT_THAT(Names(*int8), ElementsAre("openvino_convert", "nncf_quantize"));
}

TEST(DefaultGraphTest, EveryPassIsEitherRunnableOrSaysWhatItNeeds) {
  const ConversionGraph graph = DefaultGraph();
  for (const Pass& p : graph.passes()) {
    if (p.probe) {
      // Runnable once its probe finds nothing missing.
      EXPECT_NE(p.run, nullptr) << p.name;
    } else {
      EXPECT_NE(p.run == nullptr, p.needs.empty()) << p.name;
    }
    EXPECT_FALSE(p.description.empty()) << p.name;
  }
}

}  // namespace
}  // namespace adlik::compiler
