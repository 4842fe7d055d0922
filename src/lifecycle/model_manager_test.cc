// The lifecycle on an in-memory repository with a fake runtime: every
// transition, every version policy, reload ordering, failure isolation.
#include "lifecycle/model_manager.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace adlik {
namespace {

using repository::ModelSnapshot;

class FakeSource : public repository::RepositorySource {
 public:
  StatusOr<std::vector<std::string>> ListModels() const override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> names;
    for (const auto& [name, s] : models_) names.push_back(name);
    return names;
  }
  StatusOr<ModelSnapshot> Read(const std::string& name) const override {
    std::lock_guard<std::mutex> lock(mu_);
    if (name.find('/') != std::string::npos) return InvalidArgument("bad name");
    auto it = models_.find(name);
    if (it == models_.end()) return NotFound("no model folder '" + name + "'");
    return it->second;
  }
  // Adds or replaces a model with the given versions; `tag` is what its files
  // hold ("corrupt" makes the fake runtime fail).
  void Put(const std::string& name, std::vector<int64_t> versions,
           const std::string& tag = "ok",
           inference::ModelVersionPolicy policy = {}) {
    std::lock_guard<std::mutex> lock(mu_);
    ModelSnapshot s;
    s.name = name;
    s.path = "/repo/" + name;
    s.versions = versions;
    s.has_config = true;
    s.config.set_name(name);
    *s.config.mutable_version_policy() = policy;
    s.model_fingerprint = "config";
    for (int64_t v : versions) s.version_fingerprints[v] = tag;
    models_[name] = s;
  }
  void SetTag(const std::string& name, int64_t version,
              const std::string& tag) {
    std::lock_guard<std::mutex> lock(mu_);
    models_[name].version_fingerprints[version] = tag;
  }
  void BreakConfig(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    models_[name].config_status =
        InvalidArgument(name + "/config.pbtxt:1:1: bad");
  }
  void Remove(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    models_.erase(name);
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, ModelSnapshot> models_;
};

class NoopInstance : public host::Instance {
 public:
  Status Execute(const host::Batch&, host::BatchResult*) override {
    return Status::Ok();
  }
};

// The thread each FakeModel was destroyed on.
std::mutex destroyed_mu;
std::vector<std::thread::id> destroyed_on;

class FakeModel : public host::Model {
 public:
  ~FakeModel() override {
    std::lock_guard<std::mutex> lock(destroyed_mu);
    destroyed_on.push_back(std::this_thread::get_id());
  }
  Signature signature() const override { return {}; }
  StatusOr<std::unique_ptr<host::Instance>> CreateInstance(
      const host::InstanceSpec&) override {
    return std::unique_ptr<host::Instance>(new NoopInstance());
  }
};

class ModelManagerTest : public ::testing::Test {
 protected:
  void Start(ControlMode mode = ControlMode::kPoll,
             std::vector<std::string> startup = {}) {
    ModelManagerOptions o;
    o.source = &source_;
    o.mode = mode;
    o.startup_models = std::move(startup);
    o.loader = [this](const ModelSnapshot& s, int64_t version,
                      inference::ModelConfig config, SharedStatistics stats)
        -> StatusOr<std::shared_ptr<ServedModel>> {
      {
        std::lock_guard<std::mutex> lock(mu_);
        loads_.push_back(s.name + "/" + std::to_string(version));
      }
      if (on_load_) on_load_(s.name, version);
      if (s.version_fingerprints.at(version) == "corrupt") {
        return InvalidArgument(s.path + "/" + std::to_string(version) +
                               "/model.onnx: protobuf parsing failed");
      }
      return ServedModel::Create(version, "fake", std::move(config), {},
                                 std::make_unique<FakeModel>(), "test", s.path,
                                 std::move(stats));
    };
    manager_ = std::make_unique<ModelManager>(std::move(o));
    ASSERT_TRUE(manager_->Start().ok());
  }

  std::map<std::string, std::pair<ModelState, std::string>> States() {
    std::map<std::string, std::pair<ModelState, std::string>> m;
    for (const auto& e : manager_->Index())
      m[e.name + "/" + e.version] = {e.state, e.reason};
    return m;
  }
  ModelState StateOf(const std::string& key) { return States()[key].first; }
  int Loads(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(std::count(loads_.begin(), loads_.end(), key));
  }
  void WaitRetired() {
    for (int i = 0; i < 5000 && manager_->retiring() > 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  FakeSource source_;
  std::mutex mu_;
  std::vector<std::string> loads_;
  std::function<void(const std::string&, int64_t)> on_load_;
  std::unique_ptr<ModelManager> manager_;
};

inference::ModelVersionPolicy All() {
  inference::ModelVersionPolicy p;
  p.mutable_all();
  return p;
}
inference::ModelVersionPolicy Latest(uint32_t n) {
  inference::ModelVersionPolicy p;
  p.mutable_latest()->set_num_versions(n);
  return p;
}
inference::ModelVersionPolicy Specific(std::vector<int64_t> versions) {
  inference::ModelVersionPolicy p;
  for (int64_t v : versions) p.mutable_specific()->add_versions(v);
  return p;
}

TEST_F(ModelManagerTest, ServesTheNewestVersionByDefault) {
  source_.Put("m", {1, 2, 3});
  Start();
  EXPECT_EQ(StateOf("m/3"), ModelState::kReady);
  EXPECT_EQ(States().count("m/1"), 0u);
  auto m = manager_->Get("m", "");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->version(), 3);
  EXPECT_EQ(manager_->Get("m", "2").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(manager_->Get("nope", "").status().code(), StatusCode::kNotFound);
}

TEST_F(ModelManagerTest, VersionPolicies) {
  source_.Put("all", {1, 2, 3}, "ok", All());
  source_.Put("latest2", {1, 2, 3}, "ok", Latest(2));
  source_.Put("specific", {1, 2, 3}, "ok", Specific({1, 3, 7}));
  Start();
  for (const char* k : {"all/1", "all/2", "all/3", "latest2/2", "latest2/3",
                        "specific/1", "specific/3"}) {
    EXPECT_EQ(StateOf(k), ModelState::kReady) << k;
  }
  EXPECT_EQ(States().count("latest2/1"), 0u);
  EXPECT_EQ(States().count("specific/2"), 0u);
  EXPECT_EQ((*manager_->Get("all", "1"))->version(), 1);
  // Each served version has its own statistics.
  EXPECT_NE(&(*manager_->Get("all", "1"))->stats(),
            &(*manager_->Get("all", "2"))->stats());
}

TEST_F(ModelManagerTest, AFailedModelHoldsBackNothingElse) {
  source_.Put("good", {1});
  source_.Put("bad", {1}, "corrupt");
  Start();
  EXPECT_EQ(StateOf("good/1"), ModelState::kReady);
  auto states = States();
  EXPECT_EQ(states["bad/1"].first, ModelState::kUnavailable);
  EXPECT_NE(states["bad/1"].second.find("protobuf parsing failed"),
            std::string::npos);
  Status s = manager_->Get("bad", "").status();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("protobuf parsing failed"), std::string::npos);
  EXPECT_FALSE(manager_->AllReady());
}

TEST_F(ModelManagerTest, ANewVersionIsReadyBeforeTheOldOneStops) {
  source_.Put("m", {1});
  Start();
  auto v1 = *manager_->Get("m", "");  // a request holding version 1
  bool old_served_during_load = false;
  on_load_ = [&](const std::string&, int64_t v) {
    if (v == 2) old_served_during_load = manager_->Get("m", "1").ok();
  };
  source_.Put("m", {1, 2});
  ASSERT_TRUE(manager_->Poll().ok());
  EXPECT_TRUE(old_served_during_load);
  EXPECT_EQ(StateOf("m/2"), ModelState::kReady);
  EXPECT_EQ(StateOf("m/1"), ModelState::kUnavailable);
  EXPECT_EQ((*manager_->Get("m", ""))->version(), 2);
  // Version 1 is out of service but alive for the request that holds it.
  EXPECT_EQ(manager_->retiring(), 1u);
  EXPECT_EQ(v1->version(), 1);
  v1.reset();
  WaitRetired();
  EXPECT_EQ(manager_->retiring(), 0u);
}

TEST_F(ModelManagerTest, ANewVersionThatFailsLeavesTheOldOneServing) {
  source_.Put("m", {1});
  Start();
  source_.Put("m", {1, 2});
  source_.SetTag("m", 2, "corrupt");  // version 2's files are corrupt
  manager_->Poll().IgnoreError();
  EXPECT_EQ(StateOf("m/2"), ModelState::kUnavailable);
  EXPECT_EQ(StateOf("m/1"), ModelState::kReady);
  EXPECT_NE(States()["m/1"].second.find("kept serving"), std::string::npos);
  EXPECT_EQ((*manager_->Get("m", ""))->version(), 1);
  // Once version 2 is fixed it takes over.
  source_.SetTag("m", 2, "fixed");
  ASSERT_TRUE(manager_->Poll().ok());
  EXPECT_EQ((*manager_->Get("m", ""))->version(), 2);
  EXPECT_EQ(StateOf("m/1"), ModelState::kUnavailable);  // still listed
  EXPECT_EQ(manager_->ReadyVersions("m"), (std::vector<int64_t>{2}));
}

TEST_F(ModelManagerTest, ChangedFilesReloadTheSameVersionKeepingItsStatistics) {
  source_.Put("m", {1}, "ok");
  Start();
  auto before = *manager_->Get("m", "1");
  before->stats().RecordFailure(5);
  before.reset();
  source_.Put("m", {1}, "ok-edited");
  ASSERT_TRUE(manager_->Poll().ok());
  EXPECT_EQ(Loads("m/1"), 2);
  auto after = *manager_->Get("m", "1");
  EXPECT_EQ(after->stats().Snapshot().fail.count, 1u);
  ASSERT_TRUE(manager_->Poll().ok());  // nothing changed: no reload
  EXPECT_EQ(Loads("m/1"), 2);
}

TEST_F(ModelManagerTest, AFailedReloadKeepsThePreviousCopyServing) {
  source_.Put("m", {1}, "ok");
  Start();
  source_.Put("m", {1}, "corrupt");
  manager_->Poll().IgnoreError();
  auto states = States();
  EXPECT_EQ(states["m/1"].first, ModelState::kReady);
  EXPECT_NE(states["m/1"].second.find("reloading failed"), std::string::npos);
  EXPECT_TRUE(manager_->Get("m", "").ok());
}

TEST_F(ModelManagerTest, ABrokenConfigKeepsServingAndIsReported) {
  source_.Put("m", {1});
  source_.Put("fresh", {1});
  source_.BreakConfig("fresh");
  Start();
  EXPECT_EQ(manager_->Get("fresh", "").status().code(),
            StatusCode::kUnavailable);
  EXPECT_NE(
      manager_->Get("fresh", "").status().message().find("config.pbtxt:1:1"),
      std::string::npos);
  source_.BreakConfig("m");
  manager_->Poll().IgnoreError();
  EXPECT_TRUE(manager_->Get("m", "").ok());
  EXPECT_NE(States()["m/1"].second.find("config.pbtxt"), std::string::npos);
}

TEST_F(ModelManagerTest, ARemovedModelIsUnloaded) {
  source_.Put("a", {1});
  source_.Put("b", {1});
  Start();
  source_.Remove("b");
  ASSERT_TRUE(manager_->Poll().ok());
  EXPECT_EQ(StateOf("b/1"), ModelState::kUnavailable);
  EXPECT_NE(States()["b/1"].second.find("removed"), std::string::npos);
  EXPECT_EQ(manager_->Get("b", "").status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(manager_->Get("a", "").ok());
  EXPECT_TRUE(manager_->AllReady());  // a removed model is not waited for
}

TEST_F(ModelManagerTest, AFailedLoadIsNotRetriedUntilItsFilesChange) {
  source_.Put("bad", {1}, "corrupt");
  Start();
  manager_->Poll().IgnoreError();
  manager_->Poll().IgnoreError();
  EXPECT_EQ(Loads("bad/1"), 1);
  source_.Put("bad", {1}, "ok");
  manager_->Poll().IgnoreError();
  EXPECT_EQ(StateOf("bad/1"), ModelState::kReady);
}

TEST_F(ModelManagerTest, ExplicitModeLoadsOnlyWhatIsAskedFor) {
  source_.Put("a", {1});
  source_.Put("b", {1});
  Start(ControlMode::kExplicit, {"a"});
  EXPECT_TRUE(manager_->Get("a", "").ok());
  EXPECT_EQ(manager_->Get("b", "").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(manager_->Poll().ok());  // does nothing in explicit mode
  EXPECT_EQ(Loads("b/1"), 0);

  ASSERT_TRUE(manager_->Load("b", std::nullopt).ok());
  EXPECT_TRUE(manager_->Get("b", "").ok());
  EXPECT_EQ(manager_->Load("../etc", std::nullopt).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->Load("missing", std::nullopt).code(),
            StatusCode::kNotFound);

  inference::ModelConfig config;
  config.set_max_batch_size(4);
  ASSERT_TRUE(manager_->Load("b", config).ok());  // reload with a given config
  EXPECT_EQ((*manager_->Get("b", ""))->config().max_batch_size(), 4);

  ASSERT_TRUE(manager_->Unload("a").ok());
  EXPECT_EQ(manager_->Get("a", "").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(StateOf("a/1"), ModelState::kUnavailable);
  EXPECT_TRUE(manager_->AllReady());
}

TEST_F(ModelManagerTest, PollModeRefusesApiControl) {
  source_.Put("a", {1});
  Start();
  EXPECT_EQ(manager_->Load("a", std::nullopt).code(), StatusCode::kUnavailable);
  EXPECT_EQ(manager_->Unload("a").code(), StatusCode::kUnavailable);
}

TEST_F(ModelManagerTest, UnloadAllWaitsForRequestsInFlight) {
  source_.Put("m", {1});
  Start();
  auto held = *manager_->Get("m", "");
  std::thread request([held = std::move(held)]() mutable {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    held.reset();  // the request finishes
  });
  manager_->UnloadAll();
  EXPECT_EQ(manager_->retiring(), 0u);
  request.join();
}

TEST_F(ModelManagerTest, EveryChangeIsPublishedToSubscribers) {
  source_.Put("m", {1});
  Start();
  std::vector<std::string> seen;
  auto subscription = manager_->Subscribe([&](const ModelStateEvent& e) {
    seen.push_back(e.name + "/" + std::to_string(e.version) + " " +
                   std::string(ModelStateName(e.old_state)) + "->" +
                   std::string(ModelStateName(e.new_state)));
  });
  // The present state first, then each change.
  source_.Put("m", {1, 2});
  ASSERT_TRUE(manager_->Poll().ok());
  source_.BreakConfig("m");
  manager_->Poll().IgnoreError();
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "m/1 UNKNOWN->READY", "m/2 UNKNOWN->LOADING",
                      "m/2 LOADING->READY", "m/1 READY->UNLOADING",
                      "m/1 UNLOADING->UNAVAILABLE",
                      "m/0 UNKNOWN->UNAVAILABLE",  // the model-level failure
                      "m/2 READY->READY",  // its reason: the old config serves
                  }));
  subscription.Cancel();
  source_.Put("m", {1, 2, 3});
  ASSERT_TRUE(manager_->Poll().ok());
  EXPECT_EQ(seen.size(), 7u);
}

TEST_F(ModelManagerTest, TheLastHandleHandsARetiredModelToTheDestroyer) {
  source_.Put("m", {1});
  Start();
  auto held = *manager_->Get("m", "");
  source_.Put("m", {2});
  ASSERT_TRUE(manager_->Poll().ok());
  EXPECT_EQ(manager_->retiring(), 1u);
  {
    std::lock_guard<std::mutex> lock(destroyed_mu);
    destroyed_on.clear();
  }
  // A request thread lets go of the last handle: the model is destroyed,
  // but not on that thread.
  std::thread::id request_thread;
  std::thread request([&, held = std::move(held)]() mutable {
    request_thread = std::this_thread::get_id();
    held.reset();
  });
  request.join();
  WaitRetired();
  EXPECT_EQ(manager_->retiring(), 0u);
  std::lock_guard<std::mutex> lock(destroyed_mu);
  ASSERT_EQ(destroyed_on.size(), 1u);
  EXPECT_NE(destroyed_on[0], request_thread);
  EXPECT_NE(destroyed_on[0], std::this_thread::get_id());
}

TEST_F(ModelManagerTest, ExplicitModeIndexListsTheModelsNotLoaded) {
  source_.Put("a", {1});
  source_.Put("b", {1, 2});
  Start(ControlMode::kExplicit, {"a"});
  auto states = States();
  EXPECT_EQ(states["a/1"].first, ModelState::kReady);
  EXPECT_EQ(states["b/"],
            std::make_pair(ModelState::kUnavailable, std::string("unloaded")));
  EXPECT_EQ(states.size(), 2u);
}

}  // namespace
}  // namespace adlik
