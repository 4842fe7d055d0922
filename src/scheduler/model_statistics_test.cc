// ModelStatistics: the latency histograms put each duration in the bucket
// whose bound is the first at or above it, and count what the plain counters
// count.
#include "scheduler/model_statistics.h"

#include <gtest/gtest.h>

#include <numeric>

namespace adlik {
namespace {

constexpr uint64_t kUs = 1000;  // nanoseconds

TEST(LatencyHistogramTest, BoundsAreInclusiveUpperBounds) {
  EXPECT_EQ(LatencyHistogram::Bucket(0), 0u);
  EXPECT_EQ(LatencyHistogram::Bucket(25 * kUs), 0u);
  EXPECT_EQ(LatencyHistogram::Bucket(25 * kUs + 1), 1u);
  EXPECT_EQ(LatencyHistogram::Bucket(1000 * kUs), 5u);
  EXPECT_EQ(LatencyHistogram::Bucket(10'000'000 * kUs),
            kLatencyBoundsUs.size() - 1);
  EXPECT_EQ(LatencyHistogram::Bucket(10'000'000 * kUs + 1),
            kLatencyBoundsUs.size());
  EXPECT_EQ(LatencyHistogram::Bucket(UINT64_MAX), kLatencyBoundsUs.size());
}

TEST(LatencyHistogramTest, BoundsAscend) {
  for (size_t i = 1; i < kLatencyBoundsUs.size(); ++i)
    EXPECT_LT(kLatencyBoundsUs[i - 1], kLatencyBoundsUs[i]) << i;
}

TEST(ModelStatisticsTest, SuccessAndQueueTimesFillTheirHistograms) {
  ModelStatistics stats;
  stats.RecordSuccess(10 * kUs);           // bucket 0 (<= 25us)
  stats.RecordSuccess(300 * kUs);          // bucket 4 (<= 500us)
  stats.RecordSuccess(300 * kUs);          // bucket 4
  stats.RecordSuccess(20'000'000 * kUs);   // above every bound
  stats.RecordFailure(300 * kUs);          // failures are not in the histogram
  stats.RecordCompute(60 * kUs, 0, 0, 0);  // queue: bucket 2 (<= 100us)
  const StatisticsSnapshot s = stats.Snapshot();

  LatencyHistogram want;
  want.counts[0] = 1;
  want.counts[4] = 2;
  want.counts[kLatencyBoundsUs.size()] = 1;
  EXPECT_EQ(s.success_latency.counts, want.counts);
  EXPECT_EQ(std::accumulate(s.success_latency.counts.begin(),
                            s.success_latency.counts.end(), uint64_t{0}),
            s.success.count);

  LatencyHistogram queue;
  queue.counts[2] = 1;
  EXPECT_EQ(s.queue_latency.counts, queue.counts);
  EXPECT_EQ(s.queue.count, 1u);
}

}  // namespace
}  // namespace adlik
