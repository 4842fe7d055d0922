// The batching rules, decided at explicit times: deterministic.
#include "scheduler/batch_queue.h"

#include <gtest/gtest.h>

namespace adlik {
namespace {

constexpr uint64_t kUs = 1000;

Pending Request(int64_t batch, int64_t width = 16, int64_t priority = 0,
                uint64_t timeout_us = 0) {
  auto r = std::make_unique<InferRequest>();
  InferInput in;
  in.name = "x";
  in.type = DataType::kInt32;
  in.shape = {batch, width};
  r->inputs.push_back(in);
  r->batch_size = batch;
  r->priority = priority;
  r->timeout_us = timeout_us;
  r->cancelled = std::make_shared<std::atomic<bool>>(false);
  Pending p;
  p.request = std::move(r);
  return p;
}

void Push(BatchQueue& q, Pending p, uint64_t now) {
  Status s = q.Push(&p, now);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

std::vector<int64_t> Sizes(const BatchQueue::Decision& d) {
  std::vector<int64_t> sizes;
  for (const auto& p : d.batch) sizes.push_back(p.request->batch_size);
  return sizes;
}

BatchingPolicy Batching(std::vector<int> preferred, uint64_t delay_us,
                        int max_batch = 8) {
  BatchingPolicy p;
  p.dynamic_batching = true;
  p.max_batch_size = max_batch;
  p.preferred_batch_sizes = std::move(preferred);
  p.max_queue_delay_us = delay_us;
  return p;
}

TEST(BatchQueueTest, WithoutBatchingEachRequestRunsAloneInOrder) {
  BatchingPolicy policy;
  policy.max_batch_size = 8;
  BatchQueue q(policy);
  Push(q, Request(2), 0);
  Push(q, Request(3), 0);
  auto d = q.Next(0);
  EXPECT_EQ(Sizes(d), (std::vector<int64_t>{2}));
  EXPECT_EQ(Sizes(q.Next(0)), (std::vector<int64_t>{3}));
  EXPECT_TRUE(q.empty());
  EXPECT_TRUE(q.Next(0).batch.empty());
}

TEST(BatchQueueTest, WaitsForAPreferredSizeThenRunsItAtOnce) {
  BatchQueue q(Batching({4}, 1000));
  for (int i = 0; i < 3; ++i) Push(q, Request(1), 10 * kUs);
  auto d = q.Next(20 * kUs);
  EXPECT_TRUE(d.batch.empty());
  EXPECT_EQ(d.wake_at_ns, 1010 * kUs);  // the head's delay
  Push(q, Request(1), 30 * kUs);
  EXPECT_EQ(Sizes(q.Next(30 * kUs)), (std::vector<int64_t>{1, 1, 1, 1}));
}

TEST(BatchQueueTest, TakesTheLargestPreferredPrefix) {
  BatchQueue q(Batching({2, 4}, 1000));
  for (int i = 0; i < 5; ++i) Push(q, Request(1), 0);
  EXPECT_EQ(Sizes(q.Next(0)).size(), 4u);
  EXPECT_EQ(q.size(), 1u);
}

TEST(BatchQueueTest, RunsWhatItHasWhenTheDelayExpires) {
  BatchQueue q(Batching({4}, 100));
  Push(q, Request(1), 0);
  Push(q, Request(2), 50 * kUs);
  EXPECT_TRUE(q.Next(99 * kUs).batch.empty());
  EXPECT_EQ(Sizes(q.Next(100 * kUs)), (std::vector<int64_t>{1, 2}));
}

TEST(BatchQueueTest, ZeroDelayRunsTheLargestBatchAvailable) {
  BatchQueue q(Batching({}, 0));
  Push(q, Request(1), 0);
  Push(q, Request(2), 0);
  EXPECT_EQ(Sizes(q.Next(0)), (std::vector<int64_t>{1, 2}));
}

TEST(BatchQueueTest, NeverExceedsMaxBatchSize) {
  BatchQueue q(Batching({}, 1000, 8));
  for (int i = 0; i < 3; ++i) Push(q, Request(3), 0);
  // 3 + 3 fits, 3 more would not: full, runs without waiting.
  EXPECT_EQ(Sizes(q.Next(0)), (std::vector<int64_t>{3, 3}));
  auto d = q.Next(0);
  EXPECT_TRUE(d.batch.empty());  // the last one waits for company
  EXPECT_EQ(Sizes(q.Next(1000 * kUs)), (std::vector<int64_t>{3}));
}

TEST(BatchQueueTest, MergesOnlyRequestsWhoseShapesAgree) {
  BatchQueue q(Batching({}, 0));
  Push(q, Request(1, 16), 0);
  Push(q, Request(1, 32), 0);
  Push(q, Request(1, 16), 0);
  auto d = q.Next(0);
  ASSERT_EQ(d.batch.size(), 2u);
  for (const auto& p : d.batch) EXPECT_EQ(p.request->inputs[0].shape[1], 16);
  auto rest = q.Next(0);
  ASSERT_EQ(rest.batch.size(), 1u);
  EXPECT_EQ(rest.batch[0].request->inputs[0].shape[1], 32);
}

TEST(BatchQueueTest, MergesOnlyRequestsGivingTheSameOptionalInputs) {
  // Two requests, each leaving out a different optional input of the same
  // shape: their tensors cannot be merged.
  BatchQueue q(Batching({}, 0));
  Pending a = Request(1);
  Pending b = Request(1);
  a.request->inputs[0].name = "opt_a";
  b.request->inputs[0].name = "opt_b";
  Push(q, std::move(a), 0);
  Push(q, std::move(b), 0);
  Push(q, Request(1), 0);
  EXPECT_EQ(q.Next(0).batch.size(), 1u);
  EXPECT_EQ(q.Next(0).batch.size(), 1u);
  EXPECT_EQ(q.Next(0).batch.size(), 1u);
}

TEST(BatchQueueTest, AFullQueueRefusesAtOnce) {
  BatchingPolicy policy = Batching({}, 1000);
  policy.default_queue_policy.max_queue_size = 2;
  BatchQueue q(policy);
  Push(q, Request(1), 0);
  Push(q, Request(1), 0);
  Pending third = Request(1);
  Status s = q.Push(&third, 0);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("queue is full"), std::string::npos);
  EXPECT_NE(third.request, nullptr);  // left with the caller
}

TEST(BatchQueueTest, AQueueIsBoundedEvenWithoutAConfiguredSize) {
  BatchQueue q(BatchingPolicy{});
  for (uint32_t i = 0; i < kDefaultMaxQueueSize; ++i) Push(q, Request(1), 0);
  Pending extra = Request(1);
  EXPECT_EQ(q.Push(&extra, 0).code(), StatusCode::kUnavailable);
}

TEST(BatchQueueTest, TimedOutRequestsAreRejected) {
  BatchingPolicy policy = Batching({4}, 10'000);
  policy.default_queue_policy.default_timeout_us = 100;
  BatchQueue q(policy);
  Push(q, Request(1), 0);
  auto waiting = q.Next(50 * kUs);
  EXPECT_TRUE(waiting.batch.empty());
  EXPECT_EQ(waiting.wake_at_ns,
            100 * kUs);  // the deadline comes before the delay
  auto d = q.Next(100 * kUs);
  ASSERT_EQ(d.refused.size(), 1u);
  EXPECT_EQ(d.refused[0].second.code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(q.empty());
}

TEST(BatchQueueTest, ExpireAnswersTimeoutsWithoutFormingABatch) {
  BatchingPolicy policy = Batching({4}, 10'000);
  policy.default_queue_policy.default_timeout_us = 100;
  BatchQueue q(policy);
  Push(q, Request(1), 0);
  Push(q, Request(1), 50 * kUs);
  EXPECT_EQ(q.earliest_deadline_ns(), 100 * kUs);
  EXPECT_TRUE(q.Expire(99 * kUs).empty());
  auto refused = q.Expire(120 * kUs);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].second.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.earliest_deadline_ns(), 150 * kUs);
}

TEST(BatchQueueTest, TimedOutRequestsWithDelayGoBehindTheOthers) {
  BatchingPolicy policy;
  policy.max_batch_size = 8;
  policy.default_queue_policy.reject_on_timeout = false;
  policy.default_queue_policy.allow_timeout_override = true;
  BatchQueue q(policy);
  Push(q, Request(1, 16, 0, /*timeout_us=*/10), 0);  // will time out
  Push(q, Request(2), 0);
  auto first = q.Next(20 * kUs);
  EXPECT_TRUE(first.refused.empty());
  EXPECT_EQ(Sizes(first), (std::vector<int64_t>{2}));
  EXPECT_EQ(Sizes(q.Next(20 * kUs)), (std::vector<int64_t>{1}));
}

TEST(BatchQueueTest, ATimeoutNeedsTheOverrideToBeAllowed) {
  BatchQueue q(BatchingPolicy{});
  Pending p = Request(1, 16, 0, 500);
  Status s = q.Push(&p, 0);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("allow_timeout_override"), std::string::npos);
}

TEST(BatchQueueTest, HigherPriorityRunsFirst) {
  BatchingPolicy policy;
  policy.max_batch_size = 8;
  policy.priority_levels = 2;
  policy.default_priority_level = 2;
  BatchQueue q(policy);
  Push(q, Request(1, 16, 0), 0);  // default: level 2
  Push(q, Request(2, 16, 2), 0);
  Push(q, Request(3, 16, 1), 0);
  EXPECT_EQ(Sizes(q.Next(0)), (std::vector<int64_t>{3}));
  EXPECT_EQ(Sizes(q.Next(0)), (std::vector<int64_t>{1}));
  EXPECT_EQ(Sizes(q.Next(0)), (std::vector<int64_t>{2}));
  Pending bad = Request(1, 16, 3);
  EXPECT_EQ(q.Push(&bad, 0).code(), StatusCode::kInvalidArgument);
}

TEST(BatchQueueTest, CancelledRequestsNeverRun) {
  BatchQueue q(Batching({}, 0));
  Pending a = Request(1), b = Request(2);
  auto a_flag = a.request->cancelled;
  Push(q, std::move(a), 0);
  Push(q, std::move(b), 0);
  a_flag->store(true);
  auto d = q.Next(0);
  EXPECT_EQ(Sizes(d), (std::vector<int64_t>{2}));
  ASSERT_EQ(d.refused.size(), 1u);
  EXPECT_EQ(d.refused[0].second.code(), StatusCode::kCancelled);
  EXPECT_TRUE(q.empty());
}

TEST(BatchQueueTest, FlushRunsPartialBatchesAtOnce) {
  BatchQueue q(Batching({4}, 1'000'000));
  Push(q, Request(1), 0);
  EXPECT_TRUE(q.Next(0).batch.empty());
  EXPECT_EQ(Sizes(q.Next(0, /*flush=*/true)), (std::vector<int64_t>{1}));
}

TEST(BatchQueueTest, SequenceNumbersFollowArrival) {
  BatchQueue q(Batching({}, 0));
  Push(q, Request(1), 0);
  Push(q, Request(1), 0);
  auto d = q.Next(0);
  ASSERT_EQ(d.batch.size(), 2u);
  EXPECT_LT(d.batch[0].sequence, d.batch[1].sequence);
}

}  // namespace
}  // namespace adlik
