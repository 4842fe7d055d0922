#include "quantize/served_timing.h"

#include <gtest/gtest.h>

#include <fstream>

#include "onnx_model.h"
#include "sources/npy.h"
#include "temp_dir.h"
#include "test_util/runtimes.h"
#include "test_util/tiny_models.h"

namespace adlik::compiler {
namespace {

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// A FLOAT [1, 4] .npy of `value` at DIR/NAME.
void WriteSample(const std::string& dir, const std::string& name, float value) {
  const float values[4] = {value, value, value, value};
  const int64_t shape[2] = {1, 4};
  TensorView view{"x", DataType::kFp32, shape,
                  reinterpret_cast<const char*>(values), sizeof values};
  ASSERT_TRUE(WriteNpy(dir + "/" + name, view).ok());
}

TEST(ReadSamplesTest, ReadsOneSampleALineWithItsInputsInOrder) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  WriteSample(dir->path(), "a.npy", 1);
  WriteSample(dir->path(), "b.npy", 2);
  WriteText(dir->path() + "/samples.txt", "a.npy A b.npy B\nb.npy A a.npy B\n");
  auto samples = ReadSamples(dir->path());
  ASSERT_TRUE(samples.ok()) << samples.status().message();
  ASSERT_EQ(samples->size(), 2u);
  ASSERT_EQ((*samples)[1].size(), 2u);
  EXPECT_EQ((*samples)[1][0].name, "A");
  EXPECT_EQ((*samples)[1][1].name, "B");
  EXPECT_EQ(reinterpret_cast<const float*>((*samples)[1][0].data)[0], 2.0f);
  EXPECT_EQ((*samples)[1][0].shape, (std::vector<int64_t>{1, 4}));
}

TEST(ReadSamplesTest, BadListsNameTheFileAndLine) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  const std::string list = dir->path() + "/samples.txt";
  auto samples = ReadSamples(dir->path());
  ASSERT_FALSE(samples.ok());
  EXPECT_NE(samples.status().message().find("cannot read '" + list + "'"),
            std::string::npos);

  WriteSample(dir->path(), "a.npy", 1);
  const struct {
    std::string text, message;
  } cases[] = {
      {"", "'" + list + "' has no samples"},
      {"a.npy A\na.npy\n", list + ":2: expected 'FILE INPUT' pairs"},
      {"\n", list + ":1: expected 'FILE INPUT' pairs"},
      {"gone.npy A\n", list + ":1"},
      {"a.npy A\na.npy B\n", list + ":2: the sample's inputs differ"},
  };
  for (const auto& c : cases) {
    WriteText(list, c.text);
    samples = ReadSamples(dir->path());
    ASSERT_FALSE(samples.ok()) << c.text;
    EXPECT_NE(samples.status().message().find(c.message), std::string::npos)
        << samples.status().message();
  }
}

TEST(TimeServedTest, TimesAModelThroughItsRuntimePlugin) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  WriteSample(dir->path(), "a.npy", 1);
  WriteSample(dir->path(), "b.npy", -1);
  WriteText(dir->path() + "/samples.txt", "a.npy A b.npy B\nb.npy A a.npy B\n");
  auto samples = ReadSamples(dir->path());
  ASSERT_TRUE(samples.ok()) << samples.status().message();
  auto runtime = testing::Runtimes().Get("onnxruntime");
  ASSERT_TRUE(runtime.ok()) << runtime.status().message();
  auto bytes = SerializeOnnx(testing::AddModel());
  ASSERT_TRUE(bytes.ok());
  host::ModelSpec spec;
  spec.name = "add";
  spec.max_batch_size = 4;
  auto ms = TimeServed(**runtime, spec, ServedModel{*bytes, {}}, *samples);
  ASSERT_TRUE(ms.ok()) << ms.status().message();
  EXPECT_GT(*ms, 0);

  // A sample the model refuses is the runtime's error, naming the model.
  WriteText(dir->path() + "/samples.txt", "a.npy A\n");
  samples = ReadSamples(dir->path());
  ASSERT_TRUE(samples.ok());
  ms = TimeServed(**runtime, spec, ServedModel{*bytes, {}}, *samples);
  ASSERT_FALSE(ms.ok());
  EXPECT_NE(ms.status().message().find("running add"), std::string::npos)
      << ms.status().message();
}

}  // namespace
}  // namespace adlik::compiler
