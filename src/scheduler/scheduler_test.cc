// The scheduler's threads with a fake runtime and a fake clock. Instances can
// be held at a gate, so that what runs when is decided by the test, not by
// timing.
#include "scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstring>
#include <fstream>
#include <future>
#include <map>
#include <mutex>

namespace adlik {
namespace {

// Shared record of what the fake instances ran.
struct Record {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int64_t> batch_sizes;
  int running = 0;
  int max_running = 0;
  bool gate_open = true;

  void Open() {
    std::lock_guard<std::mutex> lock(mu);
    gate_open = true;
    cv.notify_all();
  }
  // Waits until `n` executions are running at once.
  void WaitRunning(int n) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return running >= n; });
  }
};

// OUT = x + 1, element-wise, INT32.
class FakeInstance : public host::Instance {
 public:
  explicit FakeInstance(Record* record) : record_(record) {}
  Status Execute(const host::Batch& batch, host::BatchResult* result) override {
    std::span<const TensorView> inputs = batch.inputs;
    std::vector<Tensor>* outputs = &result->outputs;
    {
      std::unique_lock<std::mutex> lock(record_->mu);
      record_->batch_sizes.push_back(inputs[0].shape[0]);
      record_->running++;
      record_->max_running = std::max(record_->max_running, record_->running);
      record_->cv.notify_all();
      record_->cv.wait(lock, [&] { return record_->gate_open; });
      record_->running--;
    }
    const TensorView& x = inputs[0];
    std::string out(x.byte_size, '\0');
    const auto* in = reinterpret_cast<const int32_t*>(x.data);
    auto* o = reinterpret_cast<int32_t*>(out.data());
    for (size_t i = 0; i < x.byte_size / 4; ++i) o[i] = in[i] + 1;
    // A request whose first value is negative fails alone.
    int64_t row = 0;
    for (size_t k = 0; k < batch.request_rows.size(); ++k) {
      if (in[row * 4] < 0) {
        result->request_errors.resize(batch.request_rows.size());
        result->request_errors[k] =
            InvalidArgument("request " + std::to_string(k) + " is negative");
      }
      row += batch.request_rows[k];
    }
    outputs->push_back(Tensor::FromBytes("OUT", DataType::kInt32,
                                         {x.shape.begin(), x.shape.end()},
                                         std::move(out)));
    return Status::Ok();
  }

 private:
  Record* record_;
};

struct Result {
  std::promise<StatusOr<InferResponse>> promise;
  std::future<StatusOr<InferResponse>> future = promise.get_future();
};

class SchedulerTest : public ::testing::Test {
 protected:
  // `run_inline` off: every request goes through the queue and an instance
  // thread, so that a closed gate holds it there.
  void Start(BatchingPolicy policy, int instances = 1,
             bool run_inline = false) {
    std::vector<std::unique_ptr<host::Instance>> list;
    for (int i = 0; i < instances; ++i)
      list.push_back(std::make_unique<FakeInstance>(&record_));
    SchedulerOptions options;
    options.model_name = "fake";
    options.policy = std::move(policy);
    options.stats = &stats_;
    options.clock = &clock_;
    options.run_inline = run_inline;
    scheduler_ =
        std::make_unique<Scheduler>(std::move(options), std::move(list));
  }

  // Enqueues a request of `batch` rows, row r holding `first + r` everywhere.
  std::shared_ptr<Result> Send(
      int64_t batch, int32_t first,
      std::shared_ptr<std::atomic<bool>> cancelled = nullptr,
      std::vector<int>* order = nullptr, int id = 0) {
    auto r = std::make_unique<InferRequest>();
    InferInput in;
    in.name = "x";
    in.type = DataType::kInt32;
    in.shape = {batch, 4};
    for (int64_t row = 0; row < batch; ++row) {
      for (int k = 0; k < 4; ++k) {
        int32_t v = first + static_cast<int32_t>(row);
        in.owned.append(reinterpret_cast<const char*>(&v), 4);
      }
    }
    in.UseOwned();
    r->inputs.push_back(std::move(in));
    r->outputs.push_back({"OUT", 0});
    r->batch_size = batch;
    r->cancelled = cancelled;
    auto result = std::make_shared<Result>();
    scheduler_->Enqueue(std::move(r),
                        [result, order, id, this](StatusOr<InferResponse> res) {
                          {
                            std::lock_guard<std::mutex> lock(order_mu_);
                            if (order) order->push_back(id);
                            answered_on_ = std::this_thread::get_id();
                          }
                          result->promise.set_value(std::move(res));
                        });
    return result;
  }

  // Checks that a response holds exactly the caller's own rows, plus one.
  static void ExpectRows(std::shared_ptr<Result> r, int64_t batch,
                         int32_t first) {
    auto res = r->future.get();
    ASSERT_TRUE(res.ok()) << res.status().ToString();
    const Tensor& t = res->outputs.at(0);
    ASSERT_EQ(t.shape, (std::vector<int64_t>{batch, 4}));
    ASSERT_EQ(t.byte_size, static_cast<size_t>(batch * 16));
    for (int64_t row = 0; row < batch; ++row) {
      int32_t v;
      std::memcpy(&v, t.data + row * 16, 4);
      EXPECT_EQ(v, first + row + 1) << "row " << row;
    }
  }

  // The thread that answered the last request.
  std::thread::id AnsweredOn() {
    std::lock_guard<std::mutex> lock(order_mu_);
    return answered_on_;
  }

  Record record_;
  std::thread::id answered_on_;  // guarded by order_mu_
  ModelStatistics stats_;
  FakeClock clock_;
  std::mutex order_mu_;
  std::unique_ptr<Scheduler> scheduler_;
};

BatchingPolicy Dynamic(std::vector<int> preferred, uint64_t delay_us) {
  BatchingPolicy p;
  p.dynamic_batching = true;
  p.max_batch_size = 8;
  p.preferred_batch_sizes = std::move(preferred);
  p.max_queue_delay_us = delay_us;
  return p;
}

TEST_F(SchedulerTest, WithoutBatchingEachRequestRunsAlone) {
  BatchingPolicy p;
  p.max_batch_size = 8;
  Start(p);
  auto a = Send(2, 10), b = Send(3, 20);
  ExpectRows(a, 2, 10);
  ExpectRows(b, 3, 20);
  EXPECT_EQ(record_.batch_sizes, (std::vector<int64_t>{2, 3}));
  auto s = stats_.Snapshot();
  EXPECT_EQ(s.compute_infer.count, 2u);
  EXPECT_EQ(s.inference_count, 5u);
  EXPECT_EQ(s.execution_count, 2u);
}

// Threads of this process, from /proc/self/status.
int ProcessThreads() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

TEST_F(SchedulerTest, InstanceThreadsStartOnlyWhenARequestHasToWait) {
  BatchingPolicy p;
  p.max_batch_size = 8;
  const int before = ProcessThreads();
  ASSERT_GT(before, 0);
  Start(p, 1, /*run_inline=*/true);
  EXPECT_EQ(ProcessThreads(), before);  // a model never queued on: no thread
  // Not measured yet, so not run inline: it waits for the instance, whose
  // thread starts now.
  ExpectRows(Send(2, 10), 2, 10);
  EXPECT_EQ(ProcessThreads(), before + 1);
  EXPECT_NE(AnsweredOn(), std::this_thread::get_id());
}

TEST_F(SchedulerTest, AnIdleInstanceRunsTheRequestOnTheCallersThread) {
  BatchingPolicy p;
  p.max_batch_size = 8;
  Start(p, 1, /*run_inline=*/true);
  // Not measured yet: the first request goes to the instance's thread.
  ExpectRows(Send(1, 5), 1, 5);
  while (!scheduler_->idle()) std::this_thread::yield();
  auto a = Send(2, 10);
  // Measured short (the fake clock stands still): answered before Enqueue
  // returned.
  ASSERT_EQ(a->future.wait_for(std::chrono::seconds(0)),
            std::future_status::ready);
  EXPECT_EQ(AnsweredOn(), std::this_thread::get_id());
  ExpectRows(a, 2, 10);
  // Busy: the next request waits in the queue for the instance's thread.
  record_.gate_open = false;
  std::thread caller([&] { ExpectRows(Send(1, 7), 1, 7); });
  record_.WaitRunning(1);
  auto queued = Send(1, 20);
  EXPECT_EQ(scheduler_->pending(), 1u);
  record_.Open();
  caller.join();
  ExpectRows(queued, 1, 20);
  EXPECT_EQ(stats_.Snapshot().compute_infer.count, 4u);
}

TEST_F(SchedulerTest, ASlowModelNeverRunsOnTheCallersThread) {
  BatchingPolicy p;
  p.max_batch_size = 8;
  Start(p, 1, /*run_inline=*/true);
  record_.gate_open = false;
  auto first = Send(1, 1);  // not measured yet: the instance's thread
  record_.WaitRunning(1);
  clock_.AdvanceNs(40'000'000);  // this execution takes 40 ms
  record_.Open();
  ExpectRows(first, 1, 1);
  EXPECT_NE(AnsweredOn(), std::this_thread::get_id());
  for (int i = 0; i < 3; ++i) {
    while (!scheduler_->idle()) std::this_thread::yield();
    ExpectRows(Send(1, 10 + i), 1, 10 + i);
    EXPECT_NE(AnsweredOn(), std::this_thread::get_id()) << i;
  }
}

TEST_F(SchedulerTest, FormsThePreferredBatchAndSplitsRowsBack) {
  // Size 1 is preferred too, so that the first request runs at once.
  Start(Dynamic({1, 4}, /*delay_us=*/3'600'000'000));
  record_.gate_open = false;
  auto first = Send(1, 0);
  record_.WaitRunning(1);  // the instance is busy with the first request
  std::vector<std::shared_ptr<Result>> rs;
  for (int i = 0; i < 4; ++i) rs.push_back(Send(1, 100 * (i + 1)));
  record_.Open();
  ExpectRows(first, 1, 0);
  for (int i = 0; i < 4; ++i) ExpectRows(rs[i], 1, 100 * (i + 1));
  EXPECT_EQ(record_.batch_sizes, (std::vector<int64_t>{1, 4}));
  auto s = stats_.Snapshot();
  EXPECT_EQ(s.execution_count, 2u);
  EXPECT_EQ(s.inference_count, 5u);
  EXPECT_EQ(s.batch_stats.at(4).compute_infer.count, 1u);
}

TEST_F(SchedulerTest, MergesRequestsOfSeveralRows) {
  Start(Dynamic({1}, 3'600'000'000));
  record_.gate_open = false;
  auto first = Send(1, 0);
  record_.WaitRunning(1);
  auto a = Send(3, 10), b = Send(5, 50);  // 3 + 5 = max_batch_size 8
  record_.Open();
  ExpectRows(a, 3, 10);
  ExpectRows(b, 5, 50);
  ExpectRows(first, 1, 0);
  EXPECT_EQ(record_.batch_sizes.back(), 8);
}

TEST_F(SchedulerTest, ARequestTheRuntimeFailsAloneGetsItsErrorTheOthersAnswer) {
  Start(Dynamic({1}, 3'600'000'000));
  record_.gate_open = false;
  auto first = Send(1, 0);
  record_.WaitRunning(1);
  auto a = Send(3, 10), b = Send(2, -50), c = Send(3, 70);  // one batch of 8
  record_.Open();
  ExpectRows(first, 1, 0);
  ExpectRows(a, 3, 10);
  ExpectRows(c, 3, 70);
  auto failed = b->future.get();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().message(), "request 1 is negative");
  EXPECT_EQ(record_.batch_sizes.back(), 8);
  auto s = stats_.Snapshot();
  EXPECT_EQ(s.execution_count, 2u);
}

TEST_F(SchedulerTest, ThePartialBatchRunsWhenTheDelayExpires) {
  Start(Dynamic({4}, /*delay_us=*/1000));
  auto a = Send(1, 1), b = Send(1, 2);
  // The fake clock has not moved: the delay cannot have passed.
  EXPECT_EQ(a->future.wait_for(std::chrono::milliseconds(50)),
            std::future_status::timeout);
  EXPECT_TRUE(record_.batch_sizes.empty());
  clock_.AdvanceNs(1'000'000);
  scheduler_->Wake();
  ExpectRows(a, 1, 1);
  ExpectRows(b, 1, 2);
  EXPECT_EQ(record_.batch_sizes, (std::vector<int64_t>{2}));
}

TEST_F(SchedulerTest, InstancesRunConcurrently) {
  BatchingPolicy p;
  p.max_batch_size = 8;
  Start(p, /*instances=*/3);
  record_.gate_open = false;
  auto a = Send(1, 0), b = Send(1, 10), c = Send(1, 20);
  record_.WaitRunning(3);
  record_.Open();
  ExpectRows(a, 1, 0);
  ExpectRows(b, 1, 10);
  ExpectRows(c, 1, 20);
  EXPECT_EQ(record_.max_running, 3);
}

TEST_F(SchedulerTest, PreserveOrderingHoldsLaterAnswers) {
  BatchingPolicy p;
  p.max_batch_size = 8;
  p.preserve_ordering = true;
  Start(p, /*instances=*/2);
  std::vector<int> order;
  record_.gate_open = false;
  auto a = Send(1, 0, nullptr, &order, 1);
  auto b = Send(1, 10, nullptr, &order, 2);
  record_.WaitRunning(2);
  record_.Open();
  ExpectRows(a, 1, 0);
  ExpectRows(b, 1, 10);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST_F(SchedulerTest, CancelledRequestsAreDroppedFromTheQueue) {
  BatchingPolicy p;
  p.max_batch_size = 8;
  Start(p);
  record_.gate_open = false;
  auto busy = Send(1, 0);
  record_.WaitRunning(1);
  auto flag = std::make_shared<std::atomic<bool>>(false);
  auto gone = Send(1, 5, flag);
  flag->store(true);
  record_.Open();
  ExpectRows(busy, 1, 0);
  auto res = gone->future.get();
  EXPECT_EQ(res.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(record_.batch_sizes, (std::vector<int64_t>{1}));  // never executed
  EXPECT_EQ(stats_.Snapshot().fail.count, 1u);
}

TEST_F(SchedulerTest, AFullQueueRefusesImmediately) {
  BatchingPolicy p = Dynamic({}, 3'600'000'000);
  p.default_queue_policy.max_queue_size = 1;
  Start(p);
  auto queued = Send(1, 0);
  auto refused = Send(1, 1);
  auto res = refused->future.get();
  EXPECT_EQ(res.status().code(), StatusCode::kUnavailable);
  scheduler_.reset();  // stopping runs what was accepted
  ExpectRows(queued, 1, 0);
}

TEST_F(SchedulerTest, StoppingRunsEveryAcceptedRequest) {
  Start(Dynamic({8}, 3'600'000'000));
  std::vector<std::shared_ptr<Result>> rs;
  for (int i = 0; i < 5; ++i) rs.push_back(Send(1, i));
  scheduler_.reset();
  for (int i = 0; i < 5; ++i) ExpectRows(rs[i], 1, i);
}

}  // namespace
// A decoupled runtime: answers the batch from its outputs (OUT = x + 1) and
// takes over its even requests, each of which gets, from within Execute, one
// response (OUT filled with 100 + k, and an EXTRA output nobody asked for),
// then the final flag alone.
class TakingOverInstance : public host::Instance {
 public:
  Status Execute(const host::Batch& batch, host::BatchResult* result) override {
    const TensorView& x = batch.inputs[0];
    std::string out(x.byte_size, '\0');
    for (size_t i = 0; i < x.byte_size / 4; ++i) {
      int32_t v;
      std::memcpy(&v, x.data + 4 * i, 4);
      ++v;
      std::memcpy(out.data() + 4 * i, &v, 4);
    }
    result->outputs.push_back(
        Tensor::FromBytes("OUT", DataType::kInt32,
                          {x.shape.begin(), x.shape.end()}, std::move(out)));
    const size_t n = batch.request_rows.size();
    result->taken_over.resize(n);
    for (size_t k = 0; k < n; k += 2) {
      result->taken_over[k] = 1;
      std::string values(16, '\0');
      for (int i = 0; i < 4; ++i) {
        const int32_t v = 100 + static_cast<int32_t>(k);
        std::memcpy(values.data() + 4 * i, &v, 4);
      }
      std::vector<Tensor> response;
      response.push_back(
          Tensor::FromBytes("EXTRA", DataType::kInt32, {1, 4}, values));
      response.push_back(
          Tensor::FromBytes("OUT", DataType::kInt32, {1, 4}, values));
      EXPECT_TRUE(batch.responders[k]->Send(std::move(response), false).ok());
      EXPECT_TRUE(batch.responders[k]->Send(std::nullopt, true).ok());
    }
    return Status::Ok();
  }
};

TEST(SchedulerDecoupledTest, TheRuntimesOwnAnswersGoToRespondAndCountOnce) {
  ModelStatistics stats;
  FakeClock clock;
  SchedulerOptions options;
  options.model_name = "decoupled";
  // One batch of all three: the fake clock never reaches the delay.
  options.policy = Dynamic({3}, 1000000);
  // A request the runtime answers itself must not hold the later answers.
  options.policy.preserve_ordering = true;
  options.stats = &stats;
  options.clock = &clock;
  std::vector<std::unique_ptr<host::Instance>> list;
  list.push_back(std::make_unique<TakingOverInstance>());
  auto scheduler =
      std::make_unique<Scheduler>(std::move(options), std::move(list));

  struct Answers {
    std::mutex mu;
    std::condition_variable cv;
    // Per request: (first OUT value or -1 for the final flag alone, final).
    std::map<int, std::vector<std::pair<int32_t, bool>>> sent;
    std::map<int, std::vector<std::string>> names;
    int done_calls = 0;
  } answers;
  for (int k = 0; k < 3; ++k) {
    auto r = std::make_unique<InferRequest>();
    InferInput in;
    in.name = "x";
    in.type = DataType::kInt32;
    in.shape = {1, 4};
    in.owned.assign(16, '\0');
    in.UseOwned();
    r->inputs.push_back(std::move(in));
    r->outputs.push_back({"OUT", 0});
    auto done = [&answers, k](StatusOr<InferResponse> res) {
      std::lock_guard<std::mutex> lock(answers.mu);
      EXPECT_TRUE(res.ok()) << res.status().ToString();
      int32_t v = -2;
      if (res.ok()) std::memcpy(&v, res->outputs.at(0).data, 4);
      answers.sent[k].push_back({v, true});
      ++answers.done_calls;
      answers.cv.notify_all();
    };
    auto respond = [&answers, k](
                       std::optional<StatusOr<InferResponse>> response,
                       bool final) {
      std::lock_guard<std::mutex> lock(answers.mu);
      int32_t v = -1;
      if (response) {
        EXPECT_TRUE(response->ok()) << response->status().ToString();
        for (const Tensor& t : (*response)->outputs)
          answers.names[k].push_back(t.name);
        std::memcpy(&v, (*response)->outputs.at(0).data, 4);
      }
      answers.sent[k].push_back({v, final});
      answers.cv.notify_all();
    };
    scheduler->Enqueue(std::move(r), done, respond);
  }
  std::unique_lock<std::mutex> lock(answers.mu);
  answers.cv.wait(lock, [&] {
    return answers.sent.size() == 3 && answers.sent[0].size() == 2 &&
           answers.sent[2].size() == 2 && answers.sent[1].size() == 1;
  });
  using Sent = std::vector<std::pair<int32_t, bool>>;
  EXPECT_EQ(answers.sent[0], (Sent{{100, false}, {-1, true}}));
  EXPECT_EQ(answers.sent[1], (Sent{{1, true}}));  // from the batch: 0 + 1
  EXPECT_EQ(answers.sent[2], (Sent{{102, false}, {-1, true}}));
  EXPECT_EQ(answers.names[0], (std::vector<std::string>{"OUT"}));
  EXPECT_EQ(answers.done_calls, 1);
  lock.unlock();
  scheduler.reset();  // the batch is over: its statistics are all in
  const StatisticsSnapshot s = stats.Snapshot();
  EXPECT_EQ(s.inference_count, 3u);
  EXPECT_EQ(s.execution_count, 1u);
  EXPECT_EQ(s.compute_infer.count, 3u);
  // The runtime's two requests end in success; the third is counted when
  // its response is encoded, which a front end does.
  EXPECT_EQ(s.success.count, 2u);
  EXPECT_EQ(s.fail.count, 0u);
}

}  // namespace adlik
