#include "artifact.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_util/tiny_models.h"

namespace adlik::compiler {
namespace {

using ::testing::HasSubstr;

TEST(ArtifactTest, FormatNamesShowTheProperties) {
  EXPECT_EQ(FormatName({"onnx", 0}), "onnx");
  EXPECT_EQ(FormatName({"onnx", kStaticShapes | kFp16}), "onnx(static,fp16)");
  EXPECT_EQ(SideFileName("model.xml", {".bin", ""}), "model.bin");
}

TEST(ArtifactTest, AFolderIsReadBackAsItWasWritten) {
  const std::string dir = testing::MakeTempDir() + "/model.savedmodel";
  const std::vector<FolderFile> files = {
      {"saved_model.pb", std::string("graph\0bytes", 11)},
      {"variables/variables.data-00000-of-00001", "weights"},
      {"variables/variables.index", ""}};
  ASSERT_TRUE(WriteFolder(dir, files).ok());
  auto read = ReadFolder(dir);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->size(), 3u);
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ((*read)[i].path, files[i].path);
    EXPECT_EQ((*read)[i].bytes, files[i].bytes);
  }
}

TEST(ArtifactTest, AFolderWithALinkIsRefusedNamingIt) {
  const std::string dir = testing::MakeTempDir();
  ASSERT_TRUE(WriteFolder(dir, {{"saved_model.pb", "graph"}}).ok());
  std::filesystem::create_symlink("/etc/hostname", dir + "/outside");
  auto read = ReadFolder(dir);
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(read.status().message(), HasSubstr(dir + "/outside"));
  EXPECT_THAT(read.status().message(), HasSubstr("link"));
}

TEST(ArtifactTest, AFileIsNotAFolder) {
  const std::string dir = testing::MakeTempDir();
  std::ofstream(dir + "/model.tflite") << "x";
  auto read = ReadFolder(dir + "/model.tflite");
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(read.status().message(), HasSubstr("is not a folder"));
}

}  // namespace
}  // namespace adlik::compiler
