#include "sources/source_passes.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "temp_dir.h"
#include "test_util/converter_test.h"

namespace adlik::compiler {
namespace {

using SourcePassesTest = testing::ConverterTest;
using testing::FindPass;

TEST_F(SourcePassesTest, EverySourceFormatHasAnEdgeToOnnx) {
  ConversionGraph graph;
  AddSourcePasses(&graph);
  for (const char* format : {"torchscript", "tensorflow", "keras", "tflite",
                             "sklearn", "xgboost", "lightgbm", "paddle"}) {
    auto converter = FindSourceConverter(format);
    ASSERT_TRUE(converter.has_value()) << format;
    bool found = false;
    for (const Pass& p : graph.passes())
      found = found || (p.from == format && p.to == "onnx");
    EXPECT_TRUE(found) << format;
  }
  EXPECT_FALSE(FindSourceConverter("onnx").has_value());
}

TEST_F(SourcePassesTest, AMissingInterpreterMakesThePassUnavailable) {
  setenv("ADLIK_PYTHON", "/nonexistent/python3", 1);
  ConversionGraph graph;
  AddSourcePasses(&graph);
  const Pass* p = FindPass(graph, "tf2onnx");
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->available());
  EXPECT_NE(p->Missing().find("/nonexistent/python3"), std::string::npos)
      << p->Missing();
}

// An "interpreter" that finds every module and counts its starts, a line
// each, in `counter`.
std::string CountingPython(const std::string& dir, const std::string& counter) {
  const std::string path = dir + "/python";
  std::ofstream(path) << "#!/bin/sh\necho started >> '" << counter << "'\n";
  chmod(path.c_str(), 0755);
  return path;
}

int Lines(const std::string& path) {
  std::ifstream in(path);
  return static_cast<int>(std::count(std::istreambuf_iterator<char>(in),
                                     std::istreambuf_iterator<char>(), '\n'));
}

TEST_F(SourcePassesTest, StartsPythonOncePerInterpreterAndOnlyWhenAsked) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  const std::string counter = dir->path() + "/starts";
  const std::string python = CountingPython(dir->path(), counter);
  setenv("ADLIK_PYTHON", python.c_str(), 1);
  setenv("ADLIK_TORCH_PYTHON", "/nonexistent/python3", 1);
  ConversionGraph graph;
  AddSourcePasses(&graph);
  EXPECT_EQ(Lines(counter), 0) << "a probe ran before any pass was asked";
  int asked = 0;
  for (const Pass& p : graph.passes()) {
    if (p.name == "torch_export") {
      EXPECT_FALSE(p.available());
      EXPECT_NE(p.Missing().find("/nonexistent/python3"), std::string::npos)
          << p.Missing();
      continue;
    }
    EXPECT_TRUE(p.available()) << p.name << ": " << p.Missing();
    ++asked;
  }
  EXPECT_EQ(asked, 7);
  EXPECT_EQ(Lines(counter), 1);
}

TEST_F(SourcePassesTest, AMissingPackageIsNamed) {
  PythonConverter c{"sklearn",
                    "trees_to_onnx.py",
                    "python3",
                    {{"adlik_no_such_module", "adlik-no-such-package"}}};
  const std::string missing = c.Missing();
  EXPECT_NE(missing.find("adlik-no-such-package"), std::string::npos)
      << missing;
}

TEST_F(SourcePassesTest, AMissingScriptIsNamed) {
  setenv("ADLIK_CONVERTER_DIR", "/nonexistent", 1);
  PythonConverter c{"sklearn", "trees_to_onnx.py", "python3", {}};
  EXPECT_NE(c.Missing().find("/nonexistent/trees_to_onnx.py"),
            std::string::npos)
      << c.Missing();
}

TEST_F(SourcePassesTest, AFileThatIsNotAModelIsRefusedNamingIt) {
  auto converter = FindSourceConverter("sklearn");
  ASSERT_TRUE(converter.has_value());
  if (!converter->Missing().empty())
    GTEST_SKIP() << "needs " << converter->Missing();
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  const std::string path = dir->path() + "/model.joblib";
  std::ofstream(path) << "not a pickle";
  auto converted = converter->Convert(path, CompileRequest{});
  ASSERT_FALSE(converted.ok());
  EXPECT_EQ(converted.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(converted.status().message().find(path), std::string::npos)
      << converted.status().message();
}

}  // namespace
}  // namespace adlik::compiler
