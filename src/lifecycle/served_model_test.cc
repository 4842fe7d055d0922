#include "lifecycle/served_model.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "base/text_proto.h"

namespace adlik {
namespace {
namespace fs = std::filesystem;

// What every instance of a RecordingModel saw.
struct Seen {
  std::mutex mu;
  std::vector<std::vector<int64_t>> input_shapes;  // of the first input
  std::vector<std::string> input_bytes;            // of the first input
  std::vector<std::vector<std::string>> input_names;
  int executions = 0;
};

// Outputs "y" with the shape `output_shape` after the batch dimension of the
// first input (when batched), zero-filled; fails when the first input holds
// the byte 0x7f.
class RecordingInstance : public host::Instance {
 public:
  RecordingInstance(Seen* seen, std::vector<int64_t> output_shape, bool batched)
      : seen_(seen),
        output_shape_(std::move(output_shape)),
        batched_(batched) {}
  Status Execute(const host::Batch& batch, host::BatchResult* result) override {
    const TensorView& in = batch.inputs[0];
    std::string bytes(in.data, in.byte_size);
    {
      std::lock_guard<std::mutex> lock(seen_->mu);
      seen_->input_shapes.emplace_back(in.shape.begin(), in.shape.end());
      seen_->input_bytes.push_back(bytes);
      std::vector<std::string> names;
      for (const auto& i : batch.inputs) names.emplace_back(i.name);
      seen_->input_names.push_back(std::move(names));
      ++seen_->executions;
    }
    if (bytes.find('\x7f') != std::string::npos) {
      return InvalidArgument("the engine refused the input");
    }
    std::vector<int64_t> shape;
    if (batched_) shape.push_back(in.shape[0]);
    shape.insert(shape.end(), output_shape_.begin(), output_shape_.end());
    result->outputs.push_back(Tensor::FromBytes(
        "y", DataType::kFp32, shape,
        std::string(ElementCount(shape) * sizeof(float), '\0')));
    return Status::Ok();
  }

 private:
  Seen* seen_;
  std::vector<int64_t> output_shape_;
  bool batched_;
};

class RecordingModel : public host::Model {
 public:
  RecordingModel(Seen* seen, std::vector<int64_t> output_shape, bool batched)
      : seen_(seen),
        output_shape_(std::move(output_shape)),
        batched_(batched) {}
  Signature signature() const override { return {}; }
  StatusOr<std::unique_ptr<host::Instance>> CreateInstance(
      const host::InstanceSpec&) override {
    return std::unique_ptr<host::Instance>(
        new RecordingInstance(seen_, output_shape_, batched_));
  }

 private:
  Seen* seen_;
  std::vector<int64_t> output_shape_;
  bool batched_;
};

inference::ModelConfig Parse(const std::string& text) {
  inference::ModelConfig c;
  Status s = ParseTextProto(text, "config.pbtxt", &c);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return c;
}

class ServedModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("served_model_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "warmup");
  }
  void TearDown() override { fs::remove_all(dir_); }

  StatusOr<std::shared_ptr<ServedModel>> Create(
      const std::string& text, std::vector<int64_t> runtime_output_shape) {
    inference::ModelConfig c = Parse(text);
    c.set_name("m");
    Status s = config::CheckConfig(c, "config.pbtxt");
    if (!s.ok()) return s;
    return ServedModel::Create(
        1, "fake", std::move(c), {},
        std::make_unique<RecordingModel>(&seen_, runtime_output_shape,
                                         c.max_batch_size() > 0),
        "m/config.pbtxt", dir_.string());
  }

  // Runs one request with input "x" of `shape` (FP32 zeros) to completion.
  StatusOr<InferResponse> Infer(ServedModel& m, std::vector<int64_t> shape,
                                int64_t batch) {
    auto r = std::make_unique<InferRequest>();
    InferInput& in = r->inputs.emplace_back();
    in.name = "x";
    in.type = DataType::kFp32;
    in.shape = shape;
    in.owned.assign(ElementCount(shape) * sizeof(float), '\0');
    in.UseOwned();
    r->outputs.push_back({"y", 0});
    r->batch_size = batch;
    std::promise<StatusOr<InferResponse>> done;
    m.scheduler().Enqueue(std::move(r), [&](StatusOr<InferResponse> result) {
      done.set_value(std::move(result));
    });
    return done.get_future().get();
  }

  void WriteWarmupFile(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / "warmup" / name, std::ios::binary) << bytes;
  }

  fs::path dir_;
  Seen seen_;
};

TEST_F(ServedModelTest, ReshapeGivesTheRuntimeItsShapeAndClientsTheDims) {
  // densenet_onnx's config: clients send [3,224,224] and get [1000]; the
  // model takes [1,3,224,224] and gives [1,1000,1,1].
  auto m = Create(R"pb(
                    input
                    [ {
                      name: "x"
                      data_type: TYPE_FP32
                      dims: [ 3, 4, 4 ]
                      reshape { shape: [ 1, 3, 4, 4 ] }
                    }] output
                    [ {
                      name: "y"
                      data_type: TYPE_FP32
                      dims: [ 10 ]
                      reshape { shape: [ 1, 10, 1, 1 ] }
                    }])pb",
                  {1, 10, 1, 1});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto r = Infer(**m, {3, 4, 4}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(seen_.input_shapes.back(), (std::vector<int64_t>{1, 3, 4, 4}));
  ASSERT_EQ(r->outputs.size(), 1u);
  EXPECT_EQ(r->outputs[0].shape, (std::vector<int64_t>{10}));
}

TEST_F(ServedModelTest, ReshapeKeepsTheBatchAndVariableDimensionsInFront) {
  auto m = Create(R"pb(
                    max_batch_size: 4 input
                    [ {
                      name: "x"
                      data_type: TYPE_FP32
                      dims: [ -1, 6 ]
                      reshape { shape: [ -1, 2, 3 ] }
                    }] output
                    [ {
                      name: "y"
                      data_type: TYPE_FP32
                      dims: [ 1 ]
                      reshape { shape: [] }
                    }])pb",
                  {});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto r = Infer(**m, {2, 5, 6}, 2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(seen_.input_shapes.back(), (std::vector<int64_t>{2, 5, 2, 3}));
  EXPECT_EQ(r->outputs[0].shape, (std::vector<int64_t>{2, 1}));
}

TEST_F(ServedModelTest, OutputThatDoesNotFitItsReshapeIsAnError) {
  auto m = Create(R"pb(
                    input
                    [ {
                      name: "x"
                      data_type: TYPE_FP32
                      dims: [ 2 ]
                    }] output
                    [ {
                      name: "y"
                      data_type: TYPE_FP32
                      dims: [ 4 ]
                      reshape { shape: [ 2, 2 ] }
                    }])pb",
                  {4});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto r = Infer(**m, {2}, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("output 'y' of the runtime"),
            std::string::npos)
      << r.status().message();
}

TEST_F(ServedModelTest, WarmupRunsEverySampleOnEveryInstanceCountTimes) {
  WriteWarmupFile("x.bin", std::string(8, '\x01'));
  auto m = Create(R"pb(
                    max_batch_size: 4 input
                    [ {
                      name: "x"
                      data_type: TYPE_FP32
                      dims: [ 2 ]
                    }] output
                    [ {
                      name: "y"
                      data_type: TYPE_FP32
                      dims: [ 1 ]
                    }] instance_group
                    [ { count: 2 kind: KIND_CPU }] model_warmup
                    [ {
                      name: "zeros"
                      batch_size: 3
                      count: 2
                      inputs {
                        key: "x"
                        value {
                          data_type: TYPE_FP32
                          dims: [ 2 ]
                          zero_data: true
                        }
                      }
                    }
                      , {
                        name: "file"
                        batch_size: 2
                        inputs {
                          key: "x"
                          value {
                            data_type: TYPE_FP32
                            dims: [ 2 ]
                            input_data_file: "x.bin"
                          }
                        }
                      }
                      , {
                        name: "random"
                        batch_size: 1
                        inputs {
                          key: "x"
                          value {
                            data_type: TYPE_FP32
                            dims: [ 2 ]
                            random_data: true
                          }
                        }
                      }])pb",
                  {1});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  // 2 instances x (2 + 1 + 1) runs, before any request.
  ASSERT_EQ(seen_.executions, 8);
  EXPECT_EQ(seen_.input_shapes[0], (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(seen_.input_bytes[0], std::string(24, '\0'));
  // The file's row, repeated for the batch.
  EXPECT_EQ(seen_.input_shapes[4], (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(seen_.input_bytes[4], std::string(16, '\x01'));
  // Random floats in [0, 1): not all zero.
  EXPECT_NE(seen_.input_bytes[6], std::string(8, '\0'));
}

TEST_F(ServedModelTest, FailingWarmupIsTheLoadErrorNamingTheSample) {
  WriteWarmupFile("bad.bin", std::string(8, '\x7f'));
  auto m = Create(R"pb(
                    input
                    [ {
                      name: "x"
                      data_type: TYPE_FP32
                      dims: [ 2 ]
                    }] output
                    [ {
                      name: "y"
                      data_type: TYPE_FP32
                      dims: [ 1 ]
                    }] model_warmup
                    [ {
                      name: "poison"
                      batch_size: 1
                      inputs {
                        key: "x"
                        value {
                          data_type: TYPE_FP32
                          dims: [ 2 ]
                          input_data_file: "bad.bin"
                        }
                      }
                    }])pb",
                  {1});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find(
                "m/config.pbtxt: model_warmup 'poison': instance 0: the "
                "engine refused the input"),
            std::string::npos)
      << m.status().message();
}

TEST_F(ServedModelTest, WarmupSamplesAreCheckedAgainstTheInputs) {
  WriteWarmupFile("short.bin", std::string(3, '\0'));
  fs::create_directories(dir_.parent_path() / "outside");
  struct Case {
    std::string input;
    std::string expected;
  };
  for (
      const Case& c : {
          Case{
              R"(key: "x" value { data_type: TYPE_FP32 dims: [ 2 ] input_data_file: "../../outside/f" })",
              "input 'x': input_data_file"},
          Case{
              R"(key: "x" value { data_type: TYPE_FP32 dims: [ 2 ] input_data_file: "/etc/passwd" })",
              "input 'x': input_data_file"},
          Case{
              R"(key: "x" value { data_type: TYPE_FP32 dims: [ 2 ] input_data_file: "short.bin" })",
              "input 'x': input_data_file 'short.bin' holds 3 bytes; dims [2] "
              "of FP32 need 8"},
          Case{
              R"(key: "x" value { data_type: TYPE_INT32 dims: [ 2 ] zero_data: true })",
              "input 'x': data_type TYPE_INT32 does not match the input's "
              "TYPE_FP32"},
          Case{
              R"(key: "x" value { data_type: TYPE_FP32 dims: [ 3 ] zero_data: true })",
              "input 'x': dims [3] do not match the input's [2]"},
          Case{
              R"(key: "z" value { data_type: TYPE_FP32 dims: [ 3 ] zero_data: true })",
              "input 'z': the model has no input of that name"},
      }) {
    auto m = Create(R"pb(
                      input [ { name: "x" data_type: TYPE_FP32 dims: [ 2 ] } ]
                      output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] } ]
                      model_warmup [ { name: "s" batch_size: 1 inputs {)pb" +
                        c.input + "} } ]",
                    {1});
    ASSERT_FALSE(m.ok()) << c.input;
    EXPECT_NE(m.status().message().find("model_warmup 's': " + c.expected),
              std::string::npos)
        << m.status().message();
  }
  // An input left out of a sample, unless optional.
  auto missing = Create(R"pb(
                          input
                          [ {
                            name: "x"
                            data_type: TYPE_FP32
                            dims: [ 2 ]
                          }] output
                          [ {
                            name: "y"
                            data_type: TYPE_FP32
                            dims: [ 1 ]
                          }] model_warmup
                          [ { name: "s" batch_size: 1 }])pb",
                        {1});
  EXPECT_NE(missing.status().message().find("input 'x' is missing"),
            std::string::npos)
      << missing.status().message();
  EXPECT_EQ(seen_.executions, 0);
}

// Holds every execution until `open` is set.
class GatedModel : public host::Model {
 public:
  struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    bool open = false;
    int entered = 0;
  };
  explicit GatedModel(Gate* gate) : gate_(gate) {}
  Signature signature() const override { return {}; }
  StatusOr<std::unique_ptr<host::Instance>> CreateInstance(
      const host::InstanceSpec&) override {
    class Instance : public host::Instance {
     public:
      explicit Instance(Gate* gate) : gate_(gate) {}
      Status Execute(const host::Batch& batch,
                     host::BatchResult* result) override {
        std::unique_lock<std::mutex> lock(gate_->mu);
        ++gate_->entered;
        gate_->cv.notify_all();
        gate_->cv.wait(lock, [this] { return gate_->open; });
        result->outputs.push_back(Tensor::FromBytes(
            "y", DataType::kFp32, {1}, std::string(sizeof(float), '\0')));
        return Status::Ok();
      }

     private:
      Gate* gate_;
    };
    return std::unique_ptr<host::Instance>(new Instance(gate_));
  }

 private:
  Gate* gate_;
};

TEST_F(ServedModelTest, RateLimiterLetsOneInstanceRunPerResource) {
  auto limiter = std::make_shared<RateLimiter>();
  GatedModel::Gate gate;
  inference::ModelConfig c = Parse(R"pb(
    name: "m" input
    [ {
      name: "x"
      data_type: TYPE_FP32
      dims: [ 1 ]
    }] output
    [ {
      name: "y"
      data_type: TYPE_FP32
      dims: [ 1 ]
    }] instance_group
    [ {
      count: 2
      kind: KIND_CPU
      rate_limiter { resources
                     [ { name: "R" count: 1 }] }
    }])pb");
  auto m =
      ServedModel::Create(1, "fake", c, {}, std::make_unique<GatedModel>(&gate),
                          "m/config.pbtxt", dir_.string(), nullptr, limiter);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(limiter->capacity("R", false, 0), 1u);
  std::vector<std::future<StatusOr<InferResponse>>> results;
  for (int i = 0; i < 2; ++i) {
    results.push_back(
        std::async(std::launch::async, [&] { return Infer(**m, {1}, 1); }));
  }
  // One runs; the other instance waits for R, not in the runtime.
  {
    std::unique_lock<std::mutex> lock(gate.mu);
    gate.cv.wait(lock, [&] { return gate.entered == 1; });
  }
  while (limiter->waiting() == 0) std::this_thread::yield();
  {
    std::lock_guard<std::mutex> lock(gate.mu);
    EXPECT_EQ(gate.entered, 1);
    gate.open = true;
  }
  gate.cv.notify_all();
  for (auto& r : results) EXPECT_TRUE(r.get().ok());
  EXPECT_EQ(gate.entered, 2);
  m->reset();
  EXPECT_EQ(limiter->capacity("R", false, 0), 0u);
}

}  // namespace
}  // namespace adlik
