// The example runtime (runtimes/example/), loaded as the server loads it:
// through RuntimeRegistry from the folder the plugin was built into.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <vector>

#include "runtime_host/runtime_registry.h"

#ifndef ADLIK_EXAMPLE_PLUGIN_DIR
#error "ADLIK_EXAMPLE_PLUGIN_DIR must name the folder of the example plugin"
#endif
#ifndef ADLIK_EXAMPLE_MODELS_DIR
#error "ADLIK_EXAMPLE_MODELS_DIR must name runtimes/example/models"
#endif

namespace adlik {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

class ExampleRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = registry_.Get("example");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    runtime_ = *r;
    dir_ = fs::temp_directory_path() /
           ("example_runtime_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  StatusOr<std::unique_ptr<host::Model>> Load(const std::string& path,
                                              int max_batch_size) {
    host::ModelSpec spec;
    spec.name = "m";
    spec.version = 1;
    spec.model_path = path;
    spec.max_batch_size = max_batch_size;
    return runtime_->LoadModel(spec);
  }

  // Writes `text` as a model file and loads it.
  StatusOr<std::unique_ptr<host::Model>> LoadText(const std::string& text,
                                                  int max_batch_size = 8) {
    const fs::path path = dir_ / "model.txt";
    std::ofstream(path) << text;
    return Load(path.string(), max_batch_size);
  }

  std::string SimplePath() const {
    return (fs::path(ADLIK_EXAMPLE_MODELS_DIR) / "simple" / "1" / "model.txt")
        .string();
  }

  RuntimeRegistry registry_{ADLIK_EXAMPLE_PLUGIN_DIR};
  RuntimePlugin* runtime_ = nullptr;
  fs::path dir_;
};

template <typename T>
std::vector<T> Values(const Tensor& t) {
  std::vector<T> v(t.byte_size / sizeof(T));
  std::memcpy(v.data(), t.data, t.byte_size);
  return v;
}

TEST_F(ExampleRuntimeTest, SimpleDeclaresItsSignatureWithABatchDimension) {
  auto model = Load(SimplePath(), 8);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const Signature sig = (*model)->signature();
  ASSERT_EQ(sig.inputs.size(), 2u);
  ASSERT_EQ(sig.outputs.size(), 2u);
  EXPECT_EQ(sig.inputs[0].name, "INPUT0");
  EXPECT_EQ(sig.inputs[1].name, "INPUT1");
  EXPECT_EQ(sig.outputs[0].name, "OUTPUT0");
  EXPECT_EQ(sig.outputs[1].name, "OUTPUT1");
  for (const auto* list : {&sig.inputs, &sig.outputs}) {
    for (const TensorSpec& t : *list) {
      EXPECT_EQ(t.type, DataType::kInt32) << t.name;
      EXPECT_EQ(t.shape, (std::vector<int64_t>{-1, 16})) << t.name;
    }
  }
  auto unbatched = Load(SimplePath(), 0);
  ASSERT_TRUE(unbatched.ok());
  EXPECT_EQ((*unbatched)->signature().inputs[0].shape,
            (std::vector<int64_t>{16}));
}

TEST_F(ExampleRuntimeTest, SimpleAddsAndSubtractsABatchOfUnalignedInputs) {
  auto model = Load(SimplePath(), 8);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto instance =
      (*model)->CreateInstance({"simple_0", host::DeviceKind::kCpu, 0});
  ASSERT_TRUE(instance.ok()) << instance.status().ToString();

  constexpr int kBatch = 3, kN = kBatch * 16;
  std::vector<int32_t> a(kN), b(kN);
  for (int i = 0; i < kN; ++i) {
    a[i] = i * 1000 - 7;
    b[i] = 3 - i * i;
  }
  // Inputs at odd addresses, as a binary HTTP body may place them.
  std::vector<char> storage(2 * kN * sizeof(int32_t) + 2);
  char* pa = storage.data() + 1;
  char* pb = pa + kN * sizeof(int32_t);
  std::memcpy(pa, a.data(), kN * sizeof(int32_t));
  std::memcpy(pb, b.data(), kN * sizeof(int32_t));
  const int64_t shape[2] = {kBatch, 16};
  // In the order INPUT1, INPUT0: a runtime matches inputs by name.
  const TensorView inputs[2] = {
      {"INPUT1", DataType::kInt32, shape, pb, kN * sizeof(int32_t)},
      {"INPUT0", DataType::kInt32, shape, pa, kN * sizeof(int32_t)}};
  const std::string names[2] = {"OUTPUT1", "OUTPUT0"};
  std::vector<Tensor> out;
  Status s = host::ExecuteOne(**instance, inputs, names, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].name, "OUTPUT1");
  EXPECT_EQ(out[1].name, "OUTPUT0");
  for (const Tensor& t : out) {
    EXPECT_EQ(t.type, DataType::kInt32);
    EXPECT_EQ(t.shape, (std::vector<int64_t>{kBatch, 16}));
    ASSERT_EQ(t.byte_size, kN * sizeof(int32_t));
    EXPECT_NE(t.holder, nullptr);
  }
  const auto diff = Values<int32_t>(out[0]);
  const auto sum = Values<int32_t>(out[1]);
  for (int i = 0; i < kN; ++i) {
    EXPECT_EQ(sum[i], a[i] + b[i]) << i;
    EXPECT_EQ(diff[i], a[i] - b[i]) << i;
  }

  // Only the requested outputs are computed.
  const std::string only_sum[1] = {"OUTPUT0"};
  out.clear();
  ASSERT_TRUE(host::ExecuteOne(**instance, inputs, only_sum, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "OUTPUT0");
}

TEST_F(ExampleRuntimeTest, IntegersWrapAroundAndFloatsMultiply) {
  auto model = LoadText(
      "input a INT32 2\ninput b INT32 2\noutput s = a + b\n"
      "input x FP32 3   # trailing comment\ninput y FP32 3\noutput p = x * y\n",
      0);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto instance = (*model)->CreateInstance({"m_0", host::DeviceKind::kCpu, 0});
  ASSERT_TRUE(instance.ok());
  const int32_t a[2] = {std::numeric_limits<int32_t>::max(), -5};
  const int32_t b[2] = {1, 2};
  const float x[3] = {1.5f, -2, 0.25f};
  const float y[3] = {2, 3.5f, -8};
  const int64_t s2[1] = {2}, s3[1] = {3};
  const TensorView inputs[4] = {
      {"a", DataType::kInt32, s2, reinterpret_cast<const char*>(a), sizeof(a)},
      {"b", DataType::kInt32, s2, reinterpret_cast<const char*>(b), sizeof(b)},
      {"x", DataType::kFp32, s3, reinterpret_cast<const char*>(x), sizeof(x)},
      {"y", DataType::kFp32, s3, reinterpret_cast<const char*>(y), sizeof(y)}};
  const std::string names[2] = {"s", "p"};
  std::vector<Tensor> out;
  Status st = host::ExecuteOne(**instance, inputs, names, &out);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Values<int32_t>(out[0]),
            (std::vector<int32_t>{std::numeric_limits<int32_t>::min(), -3}));
  EXPECT_EQ(Values<float>(out[1]), (std::vector<float>{3, -7, -2}));
}

TEST_F(ExampleRuntimeTest, ExecuteRejectsInputsThatDoNotMatch) {
  auto model = Load(SimplePath(), 8);
  ASSERT_TRUE(model.ok());
  auto instance =
      (*model)->CreateInstance({"simple_0", host::DeviceKind::kCpu, 0});
  ASSERT_TRUE(instance.ok());
  std::vector<int32_t> data(32);
  const char* p = reinterpret_cast<const char*>(data.data());
  const int64_t one[2] = {1, 16}, two[2] = {2, 16}, wrong[2] = {1, 15};
  const std::string names[1] = {"OUTPUT0"};
  std::vector<Tensor> out;

  const TensorView missing[1] = {{"INPUT0", DataType::kInt32, one, p, 64}};
  EXPECT_THAT(host::ExecuteOne(**instance, missing, names, &out).message(),
              HasSubstr("input 'INPUT1' is missing"));
  const TensorView type[2] = {{"INPUT0", DataType::kFp32, one, p, 64},
                              {"INPUT1", DataType::kInt32, one, p, 64}};
  EXPECT_THAT(host::ExecuteOne(**instance, type, names, &out).message(),
              HasSubstr("expected INT32, got FP32"));
  const TensorView dims[2] = {{"INPUT0", DataType::kInt32, wrong, p, 60},
                              {"INPUT1", DataType::kInt32, wrong, p, 60}};
  EXPECT_THAT(host::ExecuteOne(**instance, dims, names, &out).message(),
              HasSubstr("shape does not match"));
  const TensorView bytes[2] = {{"INPUT0", DataType::kInt32, one, p, 60},
                               {"INPUT1", DataType::kInt32, one, p, 64}};
  EXPECT_THAT(host::ExecuteOne(**instance, bytes, names, &out).message(),
              HasSubstr("expected 64 bytes, got 60"));
  const TensorView batch[2] = {{"INPUT0", DataType::kInt32, one, p, 64},
                               {"INPUT1", DataType::kInt32, two, p, 128}};
  EXPECT_THAT(host::ExecuteOne(**instance, batch, names, &out).message(),
              HasSubstr("differ in batch size"));
  const TensorView good[2] = {{"INPUT0", DataType::kInt32, one, p, 64},
                              {"INPUT1", DataType::kInt32, one, p, 64}};
  const std::string unknown[1] = {"OUTPUT9"};
  Status s = host::ExecuteOne(**instance, good, unknown, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("no output 'OUTPUT9'"));
}

TEST_F(ExampleRuntimeTest, RefusesDevicesOtherThanTheCpu) {
  auto model = Load(SimplePath(), 8);
  ASSERT_TRUE(model.ok());
  for (host::DeviceKind kind :
       {host::DeviceKind::kGpu, host::DeviceKind::kVendor}) {
    auto instance = (*model)->CreateInstance({"simple_gpu_0", kind, 1});
    ASSERT_FALSE(instance.ok());
    EXPECT_EQ(instance.status().code(), StatusCode::kUnimplemented);
    EXPECT_THAT(instance.status().message(),
                AllOf(HasSubstr("simple_gpu_0"), HasSubstr("CPU only")));
  }
}

TEST_F(ExampleRuntimeTest, MissingModelFileIsNotFound) {
  auto model = Load((dir_ / "absent.txt").string(), 8);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(model.status().message(), HasSubstr("absent.txt"));
}

TEST_F(ExampleRuntimeTest, BadModelFilesNameTheLineAndTheProblem) {
  const struct {
    const char* text;
    const char* error;
  } cases[] = {
      {"input a INT32 4\nbogus a\n", "model.txt:2: 'bogus' is neither"},
      {"input a BOOL 4\n", "model.txt:1: input 'a': type 'BOOL' is not one of"},
      {"input a INT32\n", "at least one dimension"},
      {"input a INT32 0\n", "a dimension must be >= 1"},
      {"input a INT32 4x\n", "dimensions must be whole numbers"},
      {"input a INT32 4\ninput a INT32 4\n", "input 'a' declared twice"},
      {"input a INT32 4\noutput s = a + c\n", "not declared above it: 'c'"},
      {"input a INT32 4\noutput s = a / a\n", "OP one of + - *"},
      {"input a INT32 4\noutput s = a + a extra\n", "OP one of + - *"},
      {"input a INT32 4\ninput b FP32 4\noutput s = a + b\n",
       "differ in type or dimensions"},
      {"input a INT32 4\ninput b INT32 5\noutput s = a + b\n",
       "differ in type or dimensions"},
      {"input a INT32 4\noutput s = a + a\noutput s = a - a\n",
       "output 's' declared twice"},
      {"# nothing but a comment\ninput a INT32 4\n", "declares no output"},
      {"input\n", "model.txt:1: a name is missing"},
  };
  for (const auto& c : cases) {
    auto model = LoadText(c.text);
    ASSERT_FALSE(model.ok()) << c.text;
    EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(model.status().message(), HasSubstr(c.error)) << c.text;
  }
}

}  // namespace
}  // namespace adlik
