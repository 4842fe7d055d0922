// RuntimeRegistry against real plugins: a good one and one of each way a
// plugin can be wrong (runtimes/testing/, built into ADLIK_TESTING_PLUGIN_DIR).
#include "runtime_host/runtime_registry.h"

#include <dlfcn.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#ifndef ADLIK_TESTING_PLUGIN_DIR
#error "ADLIK_TESTING_PLUGIN_DIR must name the folder of the test plugins"
#endif

namespace adlik {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr const char* kPluginDir = ADLIK_TESTING_PLUGIN_DIR;

// A fresh folder under the test's temporary directory, removed afterwards.
class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("runtime_registry_test_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

// Copies the test plugin `from` (a runtime name) into `dir` as runtime `to`.
void InstallPlugin(const std::string& from, const fs::path& dir,
                   const std::string& to) {
  fs::copy_file(fs::path(kPluginDir) / ("libadlik_runtime_" + from + ".so"),
                dir / ("libadlik_runtime_" + to + ".so"),
                fs::copy_options::overwrite_existing);
}

TEST(RuntimeRegistryTest, PluginPathFollowsTheNamingConvention) {
  RuntimeRegistry registry("/opt/runtimes");
  EXPECT_EQ(registry.PluginPath("onnxruntime"),
            "/opt/runtimes/libadlik_runtime_onnxruntime.so");
}

TEST(RuntimeRegistryTest, LoadsAGoodPluginAndUsesItAcrossTheBoundary) {
  RuntimeRegistry registry(kPluginDir);
  StatusOr<RuntimePlugin*> runtime = registry.Get("testing_good");
  ASSERT_TRUE(runtime.ok()) << runtime.status().ToString();
  ASSERT_NE(*runtime, nullptr);

  TempDir dir;
  const fs::path model_file = dir.path() / "model.bin";
  std::ofstream(model_file) << "anything";
  host::ModelSpec spec;
  spec.name = "double";
  spec.version = 1;
  spec.model_path = model_file.string();
  spec.max_batch_size = 4;
  auto model = (*runtime)->LoadModel(spec);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const Signature sig = (*model)->signature();
  ASSERT_EQ(sig.inputs.size(), 1u);
  EXPECT_EQ(sig.inputs[0].name, "x");
  EXPECT_EQ(sig.inputs[0].type, DataType::kFp32);
  EXPECT_EQ(sig.inputs[0].shape, (std::vector<int64_t>{-1, 4}));

  host::InstanceSpec cpu;
  cpu.name = "double_0";
  auto instance = (*model)->CreateInstance(cpu);
  ASSERT_TRUE(instance.ok()) << instance.status().ToString();
  const float x[8] = {1, 2, 3, 4, -1, -2, -3, 0.5f};
  const int64_t shape[2] = {2, 4};
  TensorView in{"x", DataType::kFp32, shape, reinterpret_cast<const char*>(x),
                sizeof(x)};
  const std::string names[1] = {"y"};
  std::vector<Tensor> out;
  Status run = host::ExecuteOne(**instance, {&in, 1}, names, &out);
  ASSERT_TRUE(run.ok()) << run.ToString();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape, (std::vector<int64_t>{2, 4}));
  ASSERT_EQ(out[0].byte_size, sizeof(x));
  const float* y = reinterpret_cast<const float*>(out[0].data);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(y[i], 2 * x[i]) << i;

  // Errors come back as values across the boundary.
  host::InstanceSpec gpu = cpu;
  gpu.kind = host::DeviceKind::kGpu;
  auto refused = (*model)->CreateInstance(gpu);
  EXPECT_EQ(refused.status().code(), StatusCode::kUnimplemented);
  spec.model_path = (dir.path() / "absent.bin").string();
  auto missing = (*runtime)->LoadModel(spec);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("absent.bin"));
}

TEST(RuntimeRegistryTest, LoadsEachPluginOnceAndKeepsIt) {
  RuntimeRegistry registry(kPluginDir);
  auto first = registry.Get("testing_good");
  auto second = registry.Get("testing_good");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, *second);
}

TEST(RuntimeRegistryTest, ConcurrentFirstUsesShareOneRuntime) {
  RuntimeRegistry registry(kPluginDir);
  constexpr int kThreads = 8;
  std::vector<RuntimePlugin*> seen(kThreads, nullptr);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto r = registry.Get("testing_good");
      if (r.ok()) seen[i] = *r;
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_NE(seen[0], nullptr);
  for (RuntimePlugin* r : seen) EXPECT_EQ(r, seen[0]);
}

TEST(RuntimeRegistryTest, MissingPluginIsUnavailableAndNamesTheFile) {
  TempDir dir;
  RuntimeRegistry registry(dir.path().string());
  auto r = registry.Get("vendor_x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(
      r.status().message(),
      AllOf(HasSubstr("runtime 'vendor_x' is not installed"),
            HasSubstr((dir.path() / "libadlik_runtime_vendor_x.so").string()),
            HasSubstr("--runtime_dir")));
}

TEST(RuntimeRegistryTest, RemembersAFailureEvenIfThePluginAppearsLater) {
  TempDir dir;
  RuntimeRegistry registry(dir.path().string());
  auto before = registry.Get("late");
  ASSERT_FALSE(before.ok());
  InstallPlugin("testing_good", dir.path(), "late");
  auto after = registry.Get("late");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status(), before.status());
  // A new registry (a restarted server) finds it.
  RuntimeRegistry fresh(dir.path().string());
  EXPECT_TRUE(fresh.Get("late").ok());
}

TEST(RuntimeRegistryTest, PluginWithoutEntryPointsIsRefused) {
  RuntimeRegistry registry(kPluginDir);
  auto r = registry.Get("testing_no_entry");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(),
              AllOf(HasSubstr("libadlik_runtime_testing_no_entry.so"),
                    HasSubstr("is not an Adlik runtime plugin"),
                    HasSubstr("AdlikRuntimeApiVersion")));
}

TEST(RuntimeRegistryTest, PluginOfAnotherMajorIsRefusedNamingBothVersions) {
  // Every entry point of the plugin but the version aborts: reaching one
  // kills this test.
  RuntimeRegistry registry(kPluginDir);
  auto r = registry.Get("testing_wrong_major");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  const std::string server = std::to_string(ADLIK_RUNTIME_API_VERSION_MAJOR) +
                             "." +
                             std::to_string(ADLIK_RUNTIME_API_VERSION_MINOR);
  EXPECT_THAT(
      r.status().message(),
      AllOf(
          HasSubstr("libadlik_runtime_testing_wrong_major.so"),
          HasSubstr("built for runtime API " +
                    std::to_string(ADLIK_RUNTIME_API_VERSION_MAJOR + 1) + ".0"),
          HasSubstr("this server speaks " + server),
          HasSubstr("another major")));
}

TEST(RuntimeRegistryTest, PluginOfAnOlderMinorLoadsAndRuns) {
  static_assert(ADLIK_RUNTIME_API_VERSION_MINOR > 0,
                "the older-minor plugin needs a server minor above 0");
  RuntimeRegistry registry(kPluginDir);
  auto r = registry.Get("testing_older_minor");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->info().api_major, uint32_t{ADLIK_RUNTIME_API_VERSION_MAJOR});
  EXPECT_EQ((*r)->info().api_minor, 0u);
  TempDir dir;
  std::ofstream(dir.path() / "model.bin") << "anything";
  host::ModelSpec spec;
  spec.name = "double";
  spec.model_path = (dir.path() / "model.bin").string();
  auto model = (*r)->LoadModel(spec);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto instance = (*model)->CreateInstance({"double_0"});
  ASSERT_TRUE(instance.ok()) << instance.status().ToString();
  const float x[4] = {1, 2, 3, 4};
  const int64_t shape[2] = {1, 4};
  TensorView in{"x", DataType::kFp32, shape, reinterpret_cast<const char*>(x),
                sizeof(x)};
  const std::string names[1] = {"y"};
  std::vector<Tensor> out;
  ASSERT_TRUE(host::ExecuteOne(**instance, {&in, 1}, names, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(reinterpret_cast<const float*>(out[0].data)[3], 8.0f);
}

TEST(RuntimeRegistryTest, PluginMissingEntryPointsIsRefusedNamingThem) {
  RuntimeRegistry registry(kPluginDir);
  auto r = registry.Get("testing_missing_entry");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(),
              AllOf(HasSubstr("libadlik_runtime_testing_missing_entry.so"),
                    HasSubstr("does not export AdlikRuntimeInit"),
                    HasSubstr("AdlikInstanceExecute")));
}

TEST(RuntimeRegistryTest, RuntimeWhoseConstructorThrowsFailsEveryLoad) {
  RuntimeRegistry registry(kPluginDir);
  auto r = registry.Get("testing_create_fails");
  ASSERT_TRUE(r.ok()) << r.status().ToString();  // found and described
  host::ModelSpec spec;
  spec.name = "m";
  for (int i = 0; i < 2; ++i) {
    auto model = (*r)->LoadModel(spec);
    ASSERT_FALSE(model.ok());
    EXPECT_EQ(model.status().code(), StatusCode::kInternal);
    EXPECT_THAT(model.status().message(),
                AllOf(HasSubstr("libadlik_runtime_testing_create_fails.so"),
                      HasSubstr("AdlikRuntimeInit"),
                      HasSubstr("Runtime::Init: no device")));
  }
}

TEST(RuntimeRegistryTest, AnExceptionFromExecuteIsAnErrorNamingTheCall) {
  RuntimeRegistry registry(kPluginDir);
  auto r = registry.Get("testing_throwing_execute");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  host::ModelSpec spec;
  spec.name = "m";
  auto model = (*r)->LoadModel(spec);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto instance = (*model)->CreateInstance({"m_0"});
  ASSERT_TRUE(instance.ok());
  const float x[4] = {};
  const int64_t shape[2] = {1, 4};
  TensorView in{"x", DataType::kFp32, shape, reinterpret_cast<const char*>(x),
                sizeof(x)};
  const std::string names[1] = {"y"};
  for (int i = 0; i < 2; ++i) {  // and the instance goes on working
    std::vector<Tensor> out;
    Status s = host::ExecuteOne(**instance, {&in, 1}, names, &out);
    EXPECT_EQ(s.code(), StatusCode::kInternal);
    EXPECT_THAT(s.message(),
                AllOf(HasSubstr("runtime 'testing_throwing_execute'"),
                      HasSubstr("Instance::Execute: the engine threw")));
  }
}

TEST(RuntimeRegistryTest, ARequestOfABatchFailsAloneAndTheOthersAnswer) {
  RuntimeRegistry registry(kPluginDir);
  auto r = registry.Get("testing_good");
  ASSERT_TRUE(r.ok());
  TempDir dir;
  std::ofstream(dir.path() / "model.bin") << "anything";
  host::ModelSpec spec;
  spec.name = "double";
  spec.model_path = (dir.path() / "model.bin").string();
  spec.max_batch_size = 4;
  auto model = (*r)->LoadModel(spec);
  ASSERT_TRUE(model.ok());
  auto instance = (*model)->CreateInstance({"double_0"});
  ASSERT_TRUE(instance.ok());
  // Three requests of 1, 2 and 1 rows; the second holds a NaN.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float x[16] = {1, 1, 1, 1, 2, 2, 2, 2, 3, nan, 3, 3, 4, 4, 4, 4};
  const int64_t shape[2] = {4, 4};
  TensorView in{"x", DataType::kFp32, shape, reinterpret_cast<const char*>(x),
                sizeof(x)};
  const std::string names[1] = {"y"};
  const int64_t rows[3] = {1, 2, 1};
  host::BatchResult result;
  Status s = (*instance)->Execute({{&in, 1}, names, rows, {}, {}}, &result);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(result.request_errors.size(), 3u);
  EXPECT_TRUE(result.request_errors[0].ok());
  EXPECT_THAT(result.request_errors[1].message(),
              HasSubstr("request 1: x holds NaN"));
  EXPECT_TRUE(result.request_errors[2].ok());
  ASSERT_EQ(result.outputs.size(), 1u);
  EXPECT_EQ(reinterpret_cast<const float*>(result.outputs[0].data)[15], 8.0f);
}

TEST(RuntimeRegistryTest, AnOutputGoesToTheBufferTheRequestGives) {
  RuntimeRegistry registry(kPluginDir);
  auto r = registry.Get("testing_good");
  ASSERT_TRUE(r.ok());
  TempDir dir;
  std::ofstream(dir.path() / "model.bin") << "anything";
  host::ModelSpec spec;
  spec.name = "double";
  spec.model_path = (dir.path() / "model.bin").string();
  spec.max_batch_size = 4;
  auto model = (*r)->LoadModel(spec);
  ASSERT_TRUE(model.ok());
  auto instance = (*model)->CreateInstance({"double_0"});
  ASSERT_TRUE(instance.ok());
  const float x[4] = {1, 2, 3, 4};
  const int64_t shape[2] = {1, 4};
  TensorView in{"x", DataType::kFp32, shape, reinterpret_cast<const char*>(x),
                sizeof(x)};
  const std::string names[1] = {"y"};
  const int64_t rows[1] = {1};
  float placed[4] = {};
  const host::OutputBuffer buffer[1] = {
      {"y", reinterpret_cast<char*>(placed), sizeof(placed)}};
  host::BatchResult result;
  Status s = (*instance)->Execute({{&in, 1}, names, rows, {}, buffer}, &result);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(result.outputs.size(), 1u);
  EXPECT_EQ(result.outputs[0].data, reinterpret_cast<const char*>(placed));
  EXPECT_EQ(placed[3], 8.0f);

  // A buffer too small is not used: the server's own takes the output.
  float small[2] = {};
  const host::OutputBuffer too_small[1] = {
      {"y", reinterpret_cast<char*>(small), sizeof(small)}};
  host::BatchResult other;
  s = (*instance)->Execute({{&in, 1}, names, rows, {}, too_small}, &other);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(other.outputs.size(), 1u);
  EXPECT_NE(other.outputs[0].data, reinterpret_cast<const char*>(small));
  EXPECT_EQ(reinterpret_cast<const float*>(other.outputs[0].data)[3], 8.0f);
  EXPECT_EQ(small[0], 0.0f);
}

// What the simulated device of libadlik_runtime_testing_device.so has seen.
struct DeviceCounters {
  uint64_t to_device = 0, to_host = 0, buffers = 0;
};
DeviceCounters ReadDeviceCounters(const RuntimeRegistry& registry) {
  const std::string path = registry.PluginPath("testing_device");
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  EXPECT_NE(lib, nullptr) << path << " is not loaded";
  DeviceCounters c;
  if (lib == nullptr) return c;
  using Fn = void (*)(uint64_t*, uint64_t*, uint64_t*);
  auto fn = reinterpret_cast<Fn>(dlsym(lib, "AdlikTestingDeviceCounters"));
  EXPECT_NE(fn, nullptr);
  if (fn != nullptr) fn(&c.to_device, &c.to_host, &c.buffers);
  dlclose(lib);
  return c;
}

TEST(RuntimeRegistryTest, ADeviceRuntimeGetsItsTensorsInItsMemoryMovedOnce) {
  RuntimeRegistry registry(kPluginDir);
  auto r = registry.Get("testing_device");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->info().api_minor, 2u);
  TempDir dir;
  std::ofstream(dir.path() / "model.bin") << "anything";
  host::ModelSpec spec;
  spec.name = "plus_one";
  spec.model_path = (dir.path() / "model.bin").string();
  spec.max_batch_size = 8;
  auto model = (*r)->LoadModel(spec);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const DeviceCounters before = ReadDeviceCounters(registry);
  {
    host::InstanceSpec device;
    device.name = "plus_one_0";
    device.kind = host::DeviceKind::kVendor;
    device.device_id = 1;
    auto instance = (*model)->CreateInstance(device);
    ASSERT_TRUE(instance.ok()) << instance.status().ToString();
    const std::string names[1] = {"y"};
    // Two batches, the second larger: the device buffers grow.
    for (int64_t rows : {2, 8}) {
      std::vector<float> x(rows * 4);
      for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) / 2;
      const int64_t shape[2] = {rows, 4};
      TensorView in{"x", DataType::kFp32, shape,
                    reinterpret_cast<const char*>(x.data()),
                    x.size() * sizeof(float)};
      std::vector<Tensor> out;
      Status s = host::ExecuteOne(**instance, {&in, 1}, names, &out);
      ASSERT_TRUE(s.ok()) << s.ToString();
      ASSERT_EQ(out.size(), 1u);
      EXPECT_EQ(out[0].shape, (std::vector<int64_t>{rows, 4}));
      ASSERT_EQ(out[0].byte_size, x.size() * sizeof(float));
      const float* y = reinterpret_cast<const float*>(out[0].data);
      for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(y[i], x[i] + 1) << i;
    }
    const DeviceCounters during = ReadDeviceCounters(registry);
    // Each batch: its input moved to the device once, its output back once.
    EXPECT_EQ(during.to_device - before.to_device, 2u);
    EXPECT_EQ(during.to_host - before.to_host, 2u);
    // One buffer for the input and one for the output, kept between batches.
    EXPECT_EQ(during.buffers - before.buffers, 2u);
  }
  // Freed with the instance.
  EXPECT_EQ(ReadDeviceCounters(registry).buffers, before.buffers);
}

TEST(RuntimeRegistryTest, APluginWithSomeMemoryEntryPointsIsRefused) {
  RuntimeRegistry registry(kPluginDir);
  auto r = registry.Get("testing_device_partial");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              AllOf(HasSubstr("libadlik_runtime_testing_device_partial.so"),
                    HasSubstr("AdlikRuntimeMemoryCopy")));
}

// What a decoupled runtime sends for one request. `cancel_after` > 0: the
// client "goes" after that many responses (Send returns CANCELLED).
class RecordingResponder : public host::Responder {
 public:
  explicit RecordingResponder(int cancel_after = 0)
      : cancel_after_(cancel_after) {}

  struct Sent {
    std::optional<StatusOr<std::vector<Tensor>>> response;
    bool final;
  };

  Status Send(std::optional<StatusOr<std::vector<Tensor>>> response,
              bool final) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!final && cancel_after_ > 0 &&
        static_cast<int>(sent_.size()) >= cancel_after_) {
      ++refused_;
      return Cancelled("the client has gone");
    }
    sent_.push_back({std::move(response), final});
    if (final) cv_.notify_all();
    return Status::Ok();
  }

  // What was sent, once the final flag came.
  std::vector<Sent> WaitForFinal() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !sent_.empty() && sent_.back().final; });
    return std::move(sent_);
  }
  int refused() {
    std::lock_guard<std::mutex> lock(mu_);
    return refused_;
  }

 private:
  const int cancel_after_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Sent> sent_;  // guarded by mu_
  int refused_ = 0;         // guarded by mu_
};

// The first element of output "y" of a sent response.
float FirstY(const RecordingResponder::Sent& sent) {
  const std::vector<Tensor>& outputs = **sent.response;
  EXPECT_EQ(outputs.size(), 1u);
  EXPECT_EQ(outputs[0].name, "y");
  EXPECT_EQ(outputs[0].shape, (std::vector<int64_t>{1, 4}));
  return reinterpret_cast<const float*>(outputs[0].data)[0];
}

class DecoupledTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = registry_.Get("testing_decoupled");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    std::ofstream(dir_.path() / "model.bin") << "anything";
    host::ModelSpec spec;
    spec.name = "decoupled";
    spec.model_path = (dir_.path() / "model.bin").string();
    spec.max_batch_size = 4;
    auto model = (*r)->LoadModel(spec);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    model_ = std::move(model).value();
    auto instance = model_->CreateInstance({"decoupled_0"});
    ASSERT_TRUE(instance.ok()) << instance.status().ToString();
    instance_ = std::move(instance).value();
  }

  // Runs a batch of three requests of one row each.
  Status Run(std::span<const std::shared_ptr<host::Responder>> responders,
             host::BatchResult* result) {
    const int64_t shape[2] = {3, 4};
    TensorView in{"x", DataType::kFp32, shape,
                  reinterpret_cast<const char*>(x_), sizeof(x_)};
    const std::string names[1] = {"y"};
    const int64_t rows[3] = {1, 1, 1};
    return instance_->Execute({{&in, 1}, names, rows, responders, {}}, result);
  }

  RuntimeRegistry registry_{kPluginDir};
  TempDir dir_;
  std::unique_ptr<host::Model> model_;
  std::unique_ptr<host::Instance> instance_;  // destroyed before model_
  const float x_[12] = {1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3};
};

TEST_F(DecoupledTest, ARuntimeAnswersTheRequestsItTakesOverFromItsOwnThread) {
  auto r0 = std::make_shared<RecordingResponder>();
  auto r1 = std::make_shared<RecordingResponder>();
  auto r2 = std::make_shared<RecordingResponder>();
  const std::shared_ptr<host::Responder> responders[3] = {r0, r1, r2};
  host::BatchResult result;
  Status s = Run(responders, &result);
  ASSERT_TRUE(s.ok()) << s.ToString();
  // Requests 0 and 2 were taken over; request 1 is answered from the batch.
  EXPECT_EQ(result.taken_over, (std::vector<char>{1, 0, 1}));
  ASSERT_EQ(result.outputs.size(), 1u);
  EXPECT_EQ(reinterpret_cast<const float*>(result.outputs[0].data)[4], 4.0f);
  for (auto [responder, k] : {std::pair{r0.get(), 0}, std::pair{r2.get(), 2}}) {
    std::vector<RecordingResponder::Sent> sent = responder->WaitForFinal();
    ASSERT_EQ(sent.size(), 3u) << "request " << k;
    ASSERT_TRUE(sent[0].response && sent[0].response->ok());
    EXPECT_FALSE(sent[0].final);
    EXPECT_EQ(FirstY(sent[0]), 10.0f * k + 1);
    ASSERT_TRUE(sent[1].response && sent[1].response->ok());
    EXPECT_EQ(FirstY(sent[1]), 10.0f * k + 2);
    // The final flag alone.
    EXPECT_TRUE(sent[2].final);
    EXPECT_FALSE(sent[2].response.has_value());
  }
}

TEST_F(DecoupledTest, ACancelledRequestIsEndedWithTheFinalFlag) {
  auto r0 = std::make_shared<RecordingResponder>(/*cancel_after=*/1);
  auto r2 = std::make_shared<RecordingResponder>();
  const std::shared_ptr<host::Responder> responders[3] = {
      r0, std::make_shared<RecordingResponder>(), r2};
  host::BatchResult result;
  ASSERT_TRUE(Run(responders, &result).ok());
  std::vector<RecordingResponder::Sent> sent = r0->WaitForFinal();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(FirstY(sent[0]), 1.0f);
  EXPECT_TRUE(sent[1].final);
  EXPECT_EQ(r0->refused(), 1);
  EXPECT_EQ(r2->WaitForFinal().size(), 3u);
}

TEST_F(DecoupledTest, AModelThatIsNotDecoupledCannotHandOverARequest) {
  host::BatchResult result;
  ASSERT_TRUE(Run({}, &result).ok());
  EXPECT_TRUE(result.taken_over.empty());
  ASSERT_EQ(result.request_errors.size(), 3u);
  EXPECT_EQ(result.request_errors[0].code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(result.request_errors[0].message(),
              HasSubstr("response_begin: the model is not decoupled"));
  EXPECT_TRUE(result.request_errors[1].ok());
}

TEST(RuntimeRegistryTest, FindsRuntimesByTheirDescribedPlatformAndModelFile) {
  TempDir dir;
  InstallPlugin("testing_good", dir.path(), "testing_good");
  InstallPlugin("testing_wrong_major", dir.path(), "testing_wrong_major");
  RuntimeRegistry registry(dir.path().string());
  auto by_platform = registry.ForPlatform("testing_good_platform");
  ASSERT_TRUE(by_platform.ok()) << by_platform.status().ToString();
  EXPECT_EQ((*by_platform)->info().name, "testing_good");
  EXPECT_EQ((*by_platform)->info().default_model_filename, "model.bin");
  auto by_file = registry.ForModelFile({"notes.txt", "model.bin"}, "");
  ASSERT_TRUE(by_file.ok()) << by_file.status().ToString();
  EXPECT_EQ(*by_file, *by_platform);
  auto named = registry.ForModelFile({"weights.bin"}, "weights.bin");
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  auto none = registry.ForPlatform("no_such_platform");
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(),
              AllOf(HasSubstr("no runtime serves 'no_such_platform'"),
                    HasSubstr("testing_good (model.bin, "
                              "testing_good_platform)"),
                    // A plugin that cannot be loaded is named with why, so a
                    // config naming its platform does not only hear "none".
                    HasSubstr("runtimes that cannot be loaded: "
                              "testing_wrong_major (")));
  EXPECT_FALSE(registry.ForModelFile({"model.onnx"}, "").ok());
}

TEST(RuntimeRegistryTest, ForConfigPrefersBackendThenPlatformThenModelFile) {
  TempDir dir;
  InstallPlugin("testing_good", dir.path(), "testing_good");
  InstallPlugin("testing_good", dir.path(), "testing_other");
  RuntimeRegistry registry(dir.path().string());
  // The backend wins over a platform another runtime serves.
  auto by_backend = registry.ForConfig("testing_other", "testing_good_platform",
                                       {"model.bin"}, "");
  ASSERT_TRUE(by_backend.ok()) << by_backend.status().ToString();
  EXPECT_EQ((*by_backend)->info().name, "testing_other");
  auto by_platform =
      registry.ForConfig("", "testing_good_platform", {"model.onnx"}, "");
  ASSERT_TRUE(by_platform.ok()) << by_platform.status().ToString();
  EXPECT_EQ((*by_platform)->info().platforms.front(), "testing_good_platform");
  auto by_file = registry.ForConfig("", "", {"model.bin"}, "");
  ASSERT_TRUE(by_file.ok()) << by_file.status().ToString();
  auto missing = registry.ForConfig("testing_absent", "", {"model.bin"}, "");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(),
              HasSubstr("runtime 'testing_absent' is not installed"));
  auto none = registry.ForConfig("", "", {"model.onnx"}, "");
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(),
              HasSubstr("no runtime's model file is in the version folder"));
}

TEST(RuntimeRegistryTest, PluginWithAnUnresolvedSymbolGivesTheLoadersReason) {
  RuntimeRegistry registry(kPluginDir);
  auto r = registry.Get("testing_missing_dep");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(),
              AllOf(HasSubstr("cannot load"),
                    HasSubstr("libadlik_runtime_testing_missing_dep.so"),
                    HasSubstr("adlik_testing_symbol_no_library_defines")));
}

TEST(RuntimeRegistryTest, FileThatIsNotASharedLibraryIsRefused) {
  TempDir dir;
  std::ofstream(dir.path() / "libadlik_runtime_garbage.so")
      << "not an ELF file";
  RuntimeRegistry registry(dir.path().string());
  auto r = registry.Get("garbage");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(),
              AllOf(HasSubstr("cannot load"),
                    HasSubstr("libadlik_runtime_garbage.so")));
}

TEST(RuntimeRegistryTest, ABrokenPluginDoesNotAffectAGoodOne) {
  RuntimeRegistry registry(kPluginDir);
  EXPECT_FALSE(registry.Get("testing_no_entry").ok());
  EXPECT_FALSE(registry.Get("testing_wrong_major").ok());
  EXPECT_TRUE(registry.Get("testing_good").ok());
}

TEST(RuntimeRegistryTest, NamesThatCouldEscapeTheRuntimeDirAreRejected) {
  RuntimeRegistry registry(kPluginDir);
  const std::vector<std::string> names = {
      "",    "../testing_good",   "testing/good", "Testing_Good",
      "a.b", std::string(65, 'a')};
  for (const std::string& name : names) {
    auto r = registry.Get(name);
    ASSERT_FALSE(r.ok()) << "'" << name << "'";
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(r.status().message(), HasSubstr("lower-case letters"));
  }
}

}  // namespace
}  // namespace adlik
