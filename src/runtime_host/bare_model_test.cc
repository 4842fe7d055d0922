#include "runtime_host/bare_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>

namespace adlik {
namespace {

using ::testing::HasSubstr;

// "x" FP32 [-1, 2] -> "y" = x + 1 and "z" = -x; counts the instances alive
// and the executions running at once.
struct Counters {
  std::atomic<int> alive{0};
  std::atomic<int> running{0};
  std::atomic<int> most_running{0};
  std::vector<std::string> names;  // of the instances created
};

class AddOneInstance : public host::Instance {
 public:
  explicit AddOneInstance(Counters* c) : c_(c) { ++c_->alive; }
  ~AddOneInstance() override { --c_->alive; }
  Status Execute(const host::Batch& batch, host::BatchResult* result) override {
    const int now = ++c_->running;
    int most = c_->most_running.load();
    while (now > most && !c_->most_running.compare_exchange_weak(most, now)) {
    }
    const TensorView& x = batch.inputs[0];
    std::string y(x.byte_size, '\0'), z(x.byte_size, '\0');
    for (size_t i = 0; i < x.byte_size / sizeof(float); ++i) {
      float v;
      std::memcpy(&v, x.data + i * sizeof v, sizeof v);
      const float a = v + 1, b = -v;
      std::memcpy(y.data() + i * sizeof v, &a, sizeof a);
      std::memcpy(z.data() + i * sizeof v, &b, sizeof b);
    }
    std::vector<int64_t> shape(x.shape.begin(), x.shape.end());
    result->outputs.push_back(
        Tensor::FromBytes("y", DataType::kFp32, shape, std::move(y)));
    result->outputs.push_back(
        Tensor::FromBytes("z", DataType::kFp32, shape, std::move(z)));
    --c_->running;
    return Status::Ok();
  }

 private:
  Counters* c_;
};

class AddOneModel : public host::Model {
 public:
  AddOneModel(Counters* c, bool fail_instances)
      : c_(c), fail_instances_(fail_instances) {}
  Signature signature() const override {
    return {{{"x", DataType::kFp32, {-1, 2}}},
            {{"y", DataType::kFp32, {-1, 2}}, {"z", DataType::kFp32, {-1, 2}}}};
  }
  StatusOr<std::unique_ptr<host::Instance>> CreateInstance(
      const host::InstanceSpec& spec) override {
    if (fail_instances_) return Unavailable("no device for " + spec.name);
    c_->names.push_back(spec.name);
    return std::unique_ptr<host::Instance>(new AddOneInstance(c_));
  }

 private:
  Counters* c_;
  bool fail_instances_;
};

class AddOneRuntime : public host::Runtime {
 public:
  explicit AddOneRuntime(Counters* c, bool fail_instances = false)
      : c_(c), fail_instances_(fail_instances) {}
  StatusOr<std::unique_ptr<host::Model>> LoadModel(
      const host::ModelSpec& spec) override {
    if (spec.model_path.empty()) return InvalidArgument("no model_path");
    return std::unique_ptr<host::Model>(new AddOneModel(c_, fail_instances_));
  }

 private:
  Counters* c_;
  bool fail_instances_;
};

host::ModelSpec Spec() {
  host::ModelSpec spec;
  spec.name = "add";
  spec.version = 1;
  spec.model_path = "/models/add/1/model.bin";
  spec.max_batch_size = 4;
  return spec;
}

TEST(BareModelTest, RunsTheNamedOutputsInTheOrderAsked) {
  Counters c;
  AddOneRuntime runtime(&c);
  auto model = BareModel::Load(runtime, Spec());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ((*model)->spec().name, "add");
  EXPECT_EQ((*model)->signature().outputs.size(), 2u);
  ASSERT_TRUE((*model)->AddInstances(1, host::DeviceKind::kCpu).ok());
  const float x[4] = {1, 2, 3, 4};
  const std::vector<int64_t> shape = {2, 2};
  const TensorView in{"x", DataType::kFp32, shape,
                      reinterpret_cast<const char*>(x), sizeof x};
  const std::vector<std::string> names = {"z", "y"};
  std::vector<Tensor> out;
  Status s = (*model)->Run({&in, 1}, names, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].name, "z");
  EXPECT_EQ(out[1].name, "y");
  EXPECT_EQ(out[1].shape, shape);
  EXPECT_EQ(reinterpret_cast<const float*>(out[0].data)[3], -4.0f);
  EXPECT_EQ(reinterpret_cast<const float*>(out[1].data)[0], 2.0f);

  const std::vector<std::string> twice = {"y", "y"};
  s = (*model)->Run({&in, 1}, twice, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].name, "y");
  EXPECT_EQ(out[1].data, out[0].data) << "one tensor, given twice";
}

TEST(BareModelTest, AnOutputTheRuntimeDidNotProduceIsNamed) {
  Counters c;
  AddOneRuntime runtime(&c);
  auto model = BareModel::Load(runtime, Spec());
  ASSERT_TRUE(model.ok());
  ASSERT_TRUE((*model)->AddInstances(1, host::DeviceKind::kCpu).ok());
  const float x[2] = {1, 2};
  const std::vector<int64_t> shape = {1, 2};
  const TensorView in{"x", DataType::kFp32, shape,
                      reinterpret_cast<const char*>(x), sizeof x};
  const std::vector<std::string> names = {"y", "w"};
  std::vector<Tensor> out;
  Status s = (*model)->Run({&in, 1}, names, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(),
              HasSubstr("model 'add': the runtime did not produce output 'w'"));
}

TEST(BareModelTest, RunWithoutAnInstanceIsAnErrorNotAHang) {
  Counters c;
  AddOneRuntime runtime(&c);
  auto model = BareModel::Load(runtime, Spec());
  ASSERT_TRUE(model.ok());
  std::vector<Tensor> out;
  Status s = (*model)->Run({}, {}, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("has no instance"));
}

TEST(BareModelTest, LoadAndInstanceErrorsAreTheRuntimes) {
  Counters c;
  AddOneRuntime runtime(&c, /*fail_instances=*/true);
  host::ModelSpec no_path = Spec();
  no_path.model_path.clear();
  auto refused = BareModel::Load(runtime, no_path);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("no model_path"));
  auto model = BareModel::Load(runtime, Spec());
  ASSERT_TRUE(model.ok());
  Status s = (*model)->AddInstances(1, host::DeviceKind::kGpu);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("no device for add_bare_0"));
}

TEST(BareModelTest, ConcurrentRunsShareTheInstancesOneCallEach) {
  Counters c;
  AddOneRuntime runtime(&c);
  {
    auto model = BareModel::Load(runtime, Spec());
    ASSERT_TRUE(model.ok());
    ASSERT_TRUE((*model)->AddInstances(2, host::DeviceKind::kCpu).ok());
    EXPECT_EQ((*model)->instance_count(), 2);
    EXPECT_EQ(c.names, (std::vector<std::string>{"add_bare_0", "add_bare_1"}));
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 6; ++t) {
      threads.emplace_back([&] {
        const float x[2] = {1, 2};
        const std::vector<int64_t> shape = {1, 2};
        const TensorView in{"x", DataType::kFp32, shape,
                            reinterpret_cast<const char*>(x), sizeof x};
        const std::vector<std::string> names = {"y"};
        for (int i = 0; i < 200; ++i) {
          std::vector<Tensor> out;
          if (!(*model)->Run({&in, 1}, names, &out).ok()) ++failures;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures, 0);
    EXPECT_LE(c.most_running, 2) << "never more calls at once than instances";
    EXPECT_EQ(c.alive, 2);
  }
  EXPECT_EQ(c.alive, 0) << "instances go with the model";
}

}  // namespace
}  // namespace adlik
