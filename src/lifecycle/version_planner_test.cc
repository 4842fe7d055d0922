// The version planner on a table of repository states: what is on disk, the
// version policy, what is served, what failed, force -> the actions.
#include "lifecycle/version_planner.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace adlik {
namespace {

using repository::ModelSnapshot;

ModelSnapshot Snapshot(std::vector<int64_t> versions,
                       inference::ModelVersionPolicy policy = {}) {
  ModelSnapshot s;
  s.name = "m";
  s.path = "/repo/m";
  s.versions = versions;
  s.has_config = true;
  s.config.set_name("m");
  *s.config.mutable_version_policy() = policy;
  s.model_fingerprint = "cfg";
  for (int64_t v : versions)
    s.version_fingerprints[v] = "files" + std::to_string(v);
  return s;
}

// The fingerprint PlanVersions gives version `v` of Snapshot() with no
// override config.
std::string Fp(int64_t v) { return "cfg|files" + std::to_string(v) + "|"; }

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

KnownVersion Serving(int64_t v) { return {true, Fp(v), ""}; }
KnownVersion ServingOld() { return {true, "older files", ""}; }
KnownVersion FailedOn(int64_t v) { return {false, "", Fp(v)}; }
KnownVersion Listed() { return {false, "", ""}; }

std::string Render(const VersionPlan& plan) {
  std::string out;
  for (const VersionAction& a : plan.actions) {
    if (!out.empty()) out += ", ";
    switch (a.kind) {
      case VersionAction::Kind::kLoad:
        out += "load ";
        break;
      case VersionAction::Kind::kKeep:
        out += "keep ";
        break;
      case VersionAction::Kind::kUnload:
        out += "unload ";
        break;
      case VersionAction::Kind::kForget:
        out += "forget ";
        break;
    }
    out += std::to_string(a.version);
  }
  return out;
}

struct Row {
  const char* what;
  StatusOr<ModelSnapshot> snapshot;
  std::map<int64_t, KnownVersion> known;
  bool force;
  std::string actions;
  StatusCode code = StatusCode::kOk;
  std::string failure = "";  // a part of the model-level failure
};

TEST(VersionPlannerTest, RepositoryStatesToActions) {
  ModelSnapshot broken = Snapshot({1, 2});
  broken.config_status = InvalidArgument("m/config.pbtxt:3:1: bad");
  const Row rows[] = {
      {"a new model: its newest version",
       Snapshot({1, 2, 3}),
       {},
       false,
       "load 3"},
      {"latest 2", Snapshot({1, 2, 3}, Latest(2)), {}, false, "load 2, load 3"},
      {"all", Snapshot({1, 2}, All()), {}, false, "load 1, load 2"},
      {"specific: the listed versions present",
       Snapshot({1, 2, 3}, Specific({1, 3, 7})),
       {},
       false,
       "load 1, load 3"},
      {"nothing changed", Snapshot({1}), {{1, Serving(1)}}, false, "keep 1"},
      {"changed files reload the version",
       Snapshot({1}),
       {{1, ServingOld()}},
       false,
       "load 1"},
      {"a new version loads; the old one is unloaded (after the swap)",
       Snapshot({1, 2}),
       {{1, Serving(1)}},
       false,
       "load 2, unload 1"},
      {"files a load failed on are not retried",
       Snapshot({1}),
       {{1, FailedOn(1)}},
       false,
       "keep 1"},
      {"... unless forced", Snapshot({1}), {{1, FailedOn(1)}}, true, "load 1"},
      {"failed files that changed are retried",
       Snapshot({1}),
       {{1, {false, "", "other files"}}},
       false,
       "load 1"},
      {"a version no longer chosen but on disk stays listed",
       Snapshot({1, 2}),
       {{1, Listed()}, {2, Serving(2)}},
       false,
       "keep 2"},
      {"a version whose folder is gone is forgotten",
       Snapshot({2}),
       {{1, Listed()}, {2, Serving(2)}},
       false,
       "keep 2, forget 1"},
      {"a served version whose folder is gone is unloaded",
       Snapshot({2}),
       {{1, Serving(1)}, {2, Serving(2)}},
       false,
       "keep 2, unload 1"},
      {"a policy that selects nothing fails the model and unloads",
       Snapshot({1, 2}, Specific({5})),
       {{2, Serving(2)}},
       false,
       "unload 2",
       StatusCode::kInvalidArgument,
       "selects none"},
      {"no version folder",
       Snapshot({}),
       {{1, Serving(1)}},
       false,
       "unload 1",
       StatusCode::kUnavailable,
       "no version folder"},
      {"an unreadable model",
       NotFound("no model folder 'm'"),
       {{1, Serving(1)}, {2, Listed()}},
       false,
       "unload 1",
       StatusCode::kNotFound,
       "no model folder"},
      {"a config that does not parse keeps what serves",
       broken,
       {{2, Serving(2)}, {1, Listed()}},
       false,
       "keep 2",
       StatusCode::kInvalidArgument,
       "config.pbtxt:3:1"},
  };
  for (const Row& row : rows) {
    VersionPlan plan =
        PlanVersions("m", row.snapshot, std::nullopt, row.known, row.force);
    EXPECT_EQ(Render(plan), row.actions) << row.what;
    EXPECT_EQ(plan.status.code(), row.code) << row.what;
    if (row.failure.empty()) {
      EXPECT_EQ(plan.model_failure, "") << row.what;
    } else {
      EXPECT_NE(plan.model_failure.find(row.failure), std::string::npos)
          << row.what << ": " << plan.model_failure;
    }
  }
}

TEST(VersionPlannerTest, ReasonsSayWhy) {
  ModelSnapshot broken = Snapshot({1});
  broken.config_status = InvalidArgument("m/config.pbtxt:3:1: bad");
  VersionPlan kept =
      PlanVersions("m", broken, std::nullopt, {{1, Serving(1)}}, false);
  ASSERT_EQ(kept.actions.size(), 1u);
  EXPECT_EQ(kept.actions[0].reason,
            "serving the previous config; the new one failed: "
            "m/config.pbtxt:3:1: bad");

  VersionPlan unloaded =
      PlanVersions("m", Snapshot({2}), std::nullopt, {{1, Serving(1)}}, false);
  ASSERT_EQ(Render(unloaded), "load 2, unload 1");
  EXPECT_NE(unloaded.actions[1].reason.find("not chosen"), std::string::npos);
  EXPECT_EQ(unloaded.chosen, (std::vector<int64_t>{2}));
  EXPECT_EQ(unloaded.actions[0].fingerprint, Fp(2));
}

TEST(VersionPlannerTest, AConfigGivenThroughTheApiReplacesTheRepositorys) {
  ModelSnapshot broken = Snapshot({1, 2});
  broken.config_status = InvalidArgument("m/config.pbtxt:3:1: bad");
  inference::ModelConfig given;
  given.set_max_batch_size(8);
  given.mutable_version_policy()->mutable_all();
  VersionPlan plan = PlanVersions("m", broken, given, {{1, Serving(1)}}, true);
  EXPECT_TRUE(plan.status.ok());
  EXPECT_EQ(plan.config.max_batch_size(), 8);
  // The given config is part of the fingerprint: version 1 reloads with it.
  EXPECT_EQ(Render(plan), "load 1, load 2");
  EXPECT_NE(plan.actions[0].fingerprint, Fp(1));
}

}  // namespace
}  // namespace adlik
