#include "scheduler/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

namespace adlik {
namespace {

using R = RateLimiter::Resource;

TEST(RateLimiterTest, PoolsAreTheLargestCountAsked) {
  RateLimiter limiter;
  auto a = limiter.Register({{"R", false, 2}}, 0, 1);
  auto b = limiter.Register({{"R", false, 3}, {"G", true, 1}}, 1, 1);
  EXPECT_EQ(limiter.capacity("R", false, 0), 2u);
  EXPECT_EQ(limiter.capacity("R", false, 1), 3u);
  EXPECT_EQ(limiter.capacity("G", true, 7), 1u);
  b.reset();
  EXPECT_EQ(limiter.capacity("R", false, 1), 0u);
  EXPECT_EQ(limiter.capacity("G", true, 0), 0u);
}

TEST(RateLimiterTest, AnInstanceWaitsUntilItsResourcesAreFree) {
  RateLimiter limiter;
  auto a = limiter.Register({{"R", false, 1}}, 0, 1);
  auto b = limiter.Register({{"R", false, 1}}, 0, 1);
  std::vector<std::string> order;
  limiter.Request(a.get(), [&] { order.push_back("a"); });
  limiter.Request(b.get(), [&] { order.push_back("b"); });
  EXPECT_EQ(order, std::vector<std::string>{"a"});
  EXPECT_EQ(limiter.waiting(), 1u);
  limiter.Release(a.get());
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b"}));
  limiter.Release(b.get());
  EXPECT_EQ(limiter.waiting(), 0u);
}

TEST(RateLimiterTest, DevicesHaveTheirOwnPoolsAndGlobalOnesAreShared) {
  RateLimiter limiter;
  // Two models' instances on GPUs 0 and 1: R per device, G for all.
  auto gpu0 = limiter.Register({{"R", false, 1}}, 0, 1);
  auto gpu1 = limiter.Register({{"R", false, 1}}, 1, 1);
  auto g0 = limiter.Register({{"G", true, 1}}, 0, 1);
  auto g1 = limiter.Register({{"G", true, 1}}, 1, 1);
  int granted = 0;
  limiter.Request(gpu0.get(), [&] { ++granted; });
  limiter.Request(gpu1.get(), [&] { ++granted; });
  EXPECT_EQ(granted, 2);
  limiter.Request(g0.get(), [&] { ++granted; });
  limiter.Request(g1.get(), [&] { ++granted; });
  EXPECT_EQ(granted, 3);
  limiter.Release(g0.get());
  EXPECT_EQ(granted, 4);
}

TEST(RateLimiterTest, AWaiterThatFitsGoesBeforeOneThatDoesNot) {
  RateLimiter limiter;
  auto big = limiter.Register({{"R", false, 2}}, 0, 1);
  auto small1 = limiter.Register({{"R", false, 1}}, 0, 1);
  auto small2 = limiter.Register({{"R", false, 1}}, 0, 1);
  std::vector<std::string> order;
  limiter.Request(small1.get(), [&] { order.push_back("s1"); });
  limiter.Request(big.get(), [&] { order.push_back("big"); });
  limiter.Request(small2.get(), [&] { order.push_back("s2"); });
  EXPECT_EQ(order, (std::vector<std::string>{"s1", "s2"}));
  limiter.Release(small1.get());
  limiter.Release(small2.get());
  EXPECT_EQ(order, (std::vector<std::string>{"s1", "s2", "big"}));
  limiter.Release(big.get());
}

TEST(RateLimiterTest, PriorityTwoGetsHalfTheTurns) {
  RateLimiter limiter;
  auto holder = limiter.Register({{"R", false, 1}}, 0, 1);
  auto p1 = limiter.Register({{"R", false, 1}}, 0, 1);
  auto p2 = limiter.Register({{"R", false, 1}}, 0, 2);
  std::string turns;
  limiter.Request(holder.get(), [] {});
  // Both always waiting: each, once granted and released, asks again.
  std::function<void()> again1, again2;
  again1 = [&] { turns += "1"; };
  again2 = [&] { turns += "2"; };
  limiter.Request(p1.get(), again1);
  limiter.Request(p2.get(), again2);
  limiter.Release(holder.get());
  for (int i = 0; i < 11; ++i) {
    RateLimiter::Client* ran = turns.back() == '1' ? p1.get() : p2.get();
    limiter.Request(ran, ran == p1.get() ? again1 : again2);
    limiter.Release(ran);
  }
  EXPECT_EQ(turns.size(), 12u);
  EXPECT_EQ(std::count(turns.begin(), turns.end(), '1'), 8) << turns;
  limiter.Release(turns.back() == '1' ? p1.get() : p2.get());
}

TEST(RateLimiterTest, AcquireBlocksAcrossThreads) {
  RateLimiter limiter;
  auto a = limiter.Register({{"G", true, 1}}, 0, 1);
  auto b = limiter.Register({{"G", true, 1}}, 3, 1);
  limiter.Acquire(a.get());
  std::atomic<bool> got{false};
  std::thread t([&] {
    limiter.Acquire(b.get());
    got = true;
    limiter.Release(b.get());
  });
  while (limiter.waiting() == 0) std::this_thread::yield();
  EXPECT_FALSE(got);
  limiter.Release(a.get());
  t.join();
  EXPECT_TRUE(got);
}

TEST(RateLimiterTest, FixedCountsSizeThePools) {
  // R: 1 on every device, 3 on device 1; G (global): 2.
  RateLimiter limiter({{"R", 1, -1}, {"R", 3, 1}, {"G", 2, -1}});
  EXPECT_TRUE(limiter.CheckFits({{"R", false, 1}, {"G", true, 2}}, 0).ok());
  EXPECT_TRUE(limiter.CheckFits({{"R", false, 3}}, 1).ok());
  const Status s = limiter.CheckFits({{"R", false, 2}}, 0);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'R' asks 2 but the server has 1 on device 0"),
            std::string::npos)
      << s.message();
  EXPECT_FALSE(limiter.CheckFits({{"G", true, 3}}, 0).ok());
  // A pool nobody fixed is still the largest count asked.
  EXPECT_TRUE(limiter.CheckFits({{"other", false, 9}}, 0).ok());

  // Two instances asking 1 of R on device 1 run together (the pool is 3,
  // not the 1 they ask); on device 0 (pool 1) one waits.
  auto a = limiter.Register({{"R", false, 1}}, 1, 1);
  auto b = limiter.Register({{"R", false, 1}}, 1, 1);
  EXPECT_EQ(limiter.capacity("R", false, 1), 3u);
  int granted = 0;
  limiter.Request(a.get(), [&] { ++granted; });
  limiter.Request(b.get(), [&] { ++granted; });
  EXPECT_EQ(granted, 2);
  auto c = limiter.Register({{"R", false, 1}}, 0, 1);
  auto d = limiter.Register({{"R", false, 1}}, 0, 1);
  limiter.Request(c.get(), [&] { ++granted; });
  limiter.Request(d.get(), [&] { ++granted; });
  EXPECT_EQ(granted, 3);
  limiter.Release(c.get());
  EXPECT_EQ(granted, 4);
  limiter.Release(a.get());
  limiter.Release(b.get());
  limiter.Release(d.get());
}

TEST(RateLimiterTest, ParsesTritonsResourceForm) {
  auto r = ParseResourceCount("R1:10");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->name, "R1");
  EXPECT_EQ(r->count, 10u);
  EXPECT_EQ(r->device, -1);
  r = ParseResourceCount("R2:5:1");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->device, 1);
  for (const char* bad :
       {"R", "R:", ":3", "R:x", "R:-1", "R:1:-2", "R:1:2:3", "R:99999999999"}) {
    auto s = ParseResourceCount(bad);
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.status().message().find(bad), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace adlik
