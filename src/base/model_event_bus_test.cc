#include "base/model_event_bus.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace adlik {
namespace {

ModelStateEvent Event(const std::string& name, ModelState state) {
  return {name, 1, ModelState::kUnknown, state, "", {}};
}

TEST(ModelEventBusTest, DeliversInOrderToEveryListenerUntilCancelled) {
  ModelEventBus bus;
  std::vector<std::string> seen;
  auto a = bus.Subscribe(
      [&](const ModelStateEvent& e) { seen.push_back("a:" + e.name); });
  {
    auto b = bus.Subscribe(
        [&](const ModelStateEvent& e) { seen.push_back("b:" + e.name); });
    bus.Publish(Event("x", ModelState::kLoading));
  }
  bus.Publish(Event("y", ModelState::kReady));
  a.Cancel();
  bus.Publish(Event("z", ModelState::kReady));
  EXPECT_EQ(seen, (std::vector<std::string>{"a:x", "b:x", "a:y"}));
}

TEST(ModelEventBusTest, ANewListenerIsBroughtUpToDateFirst) {
  ModelEventBus bus;
  std::vector<ModelState> seen;
  auto s = bus.Subscribe(
      [&](const ModelStateEvent& e) { seen.push_back(e.new_state); },
      [] {
        return std::vector<ModelStateEvent>{
            Event("x", ModelState::kReady),
            Event("y", ModelState::kUnavailable)};
      });
  bus.Publish(Event("x", ModelState::kUnloading));
  EXPECT_EQ(seen, (std::vector<ModelState>{ModelState::kReady,
                                           ModelState::kUnavailable,
                                           ModelState::kUnloading}));
}

TEST(ModelEventBusTest, AMovedSubscriptionStaysSubscribed) {
  ModelEventBus bus;
  int calls = 0;
  ModelEventBus::Subscription kept;
  {
    auto s = bus.Subscribe([&](const ModelStateEvent&) { ++calls; });
    kept = std::move(s);
  }
  bus.Publish(Event("x", ModelState::kReady));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace adlik
