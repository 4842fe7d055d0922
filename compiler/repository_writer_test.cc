#include "repository_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zip.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/model_config.h"
#include "test_util/tiny_models.h"

namespace adlik::compiler {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Signature ImageSignature() {
  return {{{"image", DataType::kFp32, {-1, 3, 8, 8}},
           {"scale", DataType::kFp32, {-1, 1}}},
          {{"scores", DataType::kFp32, {-1, 5}}}};
}

CompileRequest Request(const std::string& export_path = "out") {
  CompileRequest r;
  r.input_model = "m.onnx";
  r.model_name = "net";
  r.export_path = export_path;
  r.max_batch_size = 8;
  return r;
}

std::vector<int64_t> Dims(const google::protobuf::RepeatedField<int64_t>& d) {
  return {d.begin(), d.end()};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// name -> content of every entry of a zip file.
std::map<std::string, std::string> ReadZip(const std::string& path) {
  std::map<std::string, std::string> entries;
  int error = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &error);
  if (z == nullptr) return entries;
  for (zip_int64_t i = 0; i < zip_get_num_entries(z, 0); ++i) {
    zip_stat_t st;
    zip_stat_index(z, i, 0, &st);
    std::string data(st.size, '\0');
    zip_file_t* f = zip_fopen_index(z, i, 0);
    zip_fread(f, data.data(), st.size);
    zip_fclose(f);
    entries[st.name] = data;
  }
  zip_close(z);
  return entries;
}

TEST(MakeModelConfigTest, LeavesOutTheBatchDimension) {
  auto config = MakeModelConfig(Request(), "onnxruntime", ImageSignature());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->name(), "net");
  EXPECT_EQ(config->backend(), "onnxruntime");
  EXPECT_EQ(config->max_batch_size(), 8);
  ASSERT_EQ(config->input_size(), 2);
  EXPECT_EQ(config->input(0).name(), "image");
  EXPECT_EQ(config->input(0).data_type(), inference::TYPE_FP32);
  EXPECT_THAT(Dims(config->input(0).dims()), ElementsAre(3, 8, 8));
  EXPECT_THAT(Dims(config->output(0).dims()), ElementsAre(5));
  EXPECT_FALSE(config->has_dynamic_batching());
  EXPECT_EQ(config->instance_group_size(), 0);
}

TEST(MakeModelConfigTest, WithoutBatchingDimsAreTheFullShape) {
  CompileRequest r = Request();
  r.max_batch_size = 0;
  auto config = MakeModelConfig(r, "onnxruntime", ImageSignature());
  ASSERT_TRUE(config.ok());
  EXPECT_THAT(Dims(config->input(0).dims()), ElementsAre(-1, 3, 8, 8));
}

TEST(MakeModelConfigTest, OrderFormatsBatchingAndInstancesFromTheRequest) {
  CompileRequest r = Request();
  r.input_names = {"scale", "image"};
  r.input_formats = {InputFormat::kNone, InputFormat::kChannelsFirst};
  r.dynamic_batching = true;
  r.preferred_batch_size = {4, 8};
  r.max_queue_delay_microseconds = 500;
  r.instance_count = 2;
  r.instance_kind = "cpu";
  auto config = MakeModelConfig(r, "topsinference", ImageSignature());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->backend(), "topsinference");
  EXPECT_EQ(config->input(0).name(), "scale");
  EXPECT_EQ(config->input(1).format(), inference::ModelInput::FORMAT_NCHW);
  EXPECT_THAT(config->dynamic_batching().preferred_batch_size(),
              ElementsAre(4, 8));
  EXPECT_EQ(config->dynamic_batching().max_queue_delay_microseconds(), 500u);
  ASSERT_EQ(config->instance_group_size(), 1);
  EXPECT_EQ(config->instance_group(0).count(), 2);
  EXPECT_EQ(config->instance_group(0).kind(),
            inference::ModelInstanceGroup::KIND_CPU);
}

TEST(MakeModelConfigTest, RefusesWhatTheServerWouldRefuse) {
  struct Case {
    std::function<void(CompileRequest*)> edit;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](CompileRequest* r) {
         r->input_names = {"image", "nope"};
       },
       "input_names: 'nope' is not an input of the model (its inputs: image, "
       "scale)"},
      {[](CompileRequest* r) { r->input_names = {"image"}; },
       "the model's input 'scale' is missing"},
      {[](CompileRequest* r) {
         r->input_formats = {InputFormat::kChannelsLast};
       },
       "input_formats: 1 given for 2 inputs"},
      {[](CompileRequest* r) {
         r->input_formats = {InputFormat::kNone, InputFormat::kChannelsLast};
       },
       "input 'scale' has dims [1]; channels_last needs 3"},
      {[](CompileRequest* r) {
         r->dynamic_batching = true;
         r->preferred_batch_size = {16};
       },
       "preferred_batch_size: 16 is above max_batch_size 8"},
  };
  for (const Case& c : cases) {
    CompileRequest r = Request();
    c.edit(&r);
    auto config = MakeModelConfig(r, "onnxruntime", ImageSignature());
    ASSERT_FALSE(config.ok()) << c.message;
    EXPECT_THAT(config.status().message(), HasSubstr(c.message));
  }
}

TEST(MakeModelConfigTest, RefusesAFixedBatchThatIsNotMaxBatchSize) {
  Signature sig{{{"x", DataType::kFp32, {1, 4}}},
                {{"y", DataType::kFp32, {1, 4}}}};
  auto config = MakeModelConfig(Request(), "onnxruntime", sig);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(
      config.status().message(),
      HasSubstr(
          "first dimension is fixed to 1, so max_batch_size cannot be 8"));
  sig.inputs[0].shape[0] = sig.outputs[0].shape[0] = 8;
  EXPECT_TRUE(MakeModelConfig(Request(), "onnxruntime", sig).ok())
      << "a static batch of 8";
}

TEST(WriteRepositoryTest, WritesTheSeedLayout) {
  const std::string dir = testing::MakeTempDir();
  CompileRequest r = Request(dir);
  auto config = MakeModelConfig(r, "onnxruntime", ImageSignature());
  ASSERT_TRUE(config.ok());
  auto written = WriteRepository(r, *config, "model.onnx", "model bytes");
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(written->version, 1);
  EXPECT_EQ(written->model_file, dir + "/net/1/model.onnx");
  EXPECT_EQ(written->config_file, dir + "/net/config.pbtxt");
  EXPECT_EQ(written->zip_file, dir + "/net_1.zip");
  EXPECT_EQ(ReadFile(written->model_file), "model bytes");

  auto parsed = config::ReadModelConfig(written->config_file);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->SerializeAsString(), config->SerializeAsString());

  auto zip = ReadZip(written->zip_file);
  ASSERT_EQ(zip.size(), 2u);
  EXPECT_EQ(zip["1/model.onnx"], "model bytes");
  EXPECT_EQ(zip["config.pbtxt"], ReadFile(written->config_file));

  // Nothing else is left behind (no temporary files).
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    names.push_back(std::filesystem::relative(e.path(), dir).string());
  std::sort(names.begin(), names.end());
  EXPECT_THAT(names, ElementsAre("net", "net/1", "net/1/model.onnx",
                                 "net/config.pbtxt", "net_1.zip"));
}

TEST(WriteRepositoryTest, SideFilesGoBesideTheModelFileAndIntoTheZip) {
  const std::string dir = testing::MakeTempDir();
  CompileRequest r = Request(dir);
  auto config = MakeModelConfig(r, "openvino", ImageSignature());
  ASSERT_TRUE(config.ok());
  auto written = WriteRepository(r, *config, "model.xml", "<net/>",
                                 {SideFile{".bin", "weights"}});
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(written->model_file, dir + "/net/1/model.xml");
  EXPECT_THAT(written->side_files, ElementsAre(dir + "/net/1/model.bin"));
  EXPECT_EQ(ReadFile(dir + "/net/1/model.bin"), "weights");
  auto zip = ReadZip(written->zip_file);
  ASSERT_EQ(zip.size(), 3u);
  EXPECT_EQ(zip["1/model.xml"], "<net/>");
  EXPECT_EQ(zip["1/model.bin"], "weights");
}

TEST(WriteRepositoryTest, AFolderModelIsWrittenAsAFolderAndIntoTheZip) {
  const std::string dir = testing::MakeTempDir();
  CompileRequest r = Request(dir);
  auto config = MakeModelConfig(r, "tensorflow", ImageSignature());
  ASSERT_TRUE(config.ok());
  auto written =
      WriteRepository(r, *config, "model.savedmodel", "", {},
                      {FolderFile{"saved_model.pb", "graph"},
                       FolderFile{"variables/variables.index", "index"}});
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(written->model_file, dir + "/net/1/model.savedmodel");
  EXPECT_EQ(ReadFile(dir + "/net/1/model.savedmodel/saved_model.pb"), "graph");
  EXPECT_EQ(ReadFile(dir + "/net/1/model.savedmodel/variables/variables.index"),
            "index");
  auto zip = ReadZip(written->zip_file);
  ASSERT_EQ(zip.size(), 3u);
  EXPECT_EQ(zip["1/model.savedmodel/saved_model.pb"], "graph");
  EXPECT_EQ(zip["1/model.savedmodel/variables/variables.index"], "index");
}

TEST(WriteRepositoryTest, TakesTheNextFreeVersionAndNeverOverwrites) {
  const std::string dir = testing::MakeTempDir();
  std::filesystem::create_directories(dir + "/net/3");
  CompileRequest r = Request(dir);
  auto config = MakeModelConfig(r, "onnxruntime", ImageSignature());
  ASSERT_TRUE(config.ok());
  auto next = WriteRepository(r, *config, "model.onnx", "v4");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->version, 4);
  EXPECT_TRUE(std::filesystem::exists(dir + "/net_4.zip"));

  r.version = 4;
  auto again = WriteRepository(r, *config, "model.onnx", "other");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadFile(dir + "/net/4/model.onnx"), "v4");

  r.version = 2;
  auto chosen = WriteRepository(r, *config, "model.onnx", "v2");
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->version, 2);
}

}  // namespace
}  // namespace adlik::compiler
