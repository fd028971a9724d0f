// ApplyWorld.h — a SQLite store in the test's RAMP_HOME, a ManualClock, a
// StoreInfraStore and a TestInfraProvider, plus helpers that build Plans by
// hand (the apply tests do not depend on the Planner).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <memory>

#include <gtest/gtest.h>

#include "TestInfraProvider.h"
#include "core/Clock.h"
#include "core/Sha256.h"
#include "infra/StoreInfraStore.h"
#include "store/Store.h"

namespace ramp::infra::test {

class ApplyWorld : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* home = std::getenv("RAMP_HOME");
    dir_ = std::filesystem::path(home && *home ? home : "/tmp") / ("infra-apply-" + randomHex(6));
    std::filesystem::create_directories(dir_);
    auto s = store::openStore("sqlite://" + (dir_ / "store.db").string());
    ASSERT_TRUE(s) << s.error().describe();
    store_ = std::move(*s);
    infra_ = std::make_unique<StoreInfraStore>(*store_, clock_);
  }
  void TearDown() override {
    infra_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  static Resource res(const std::string& type, const std::string& name, const std::string& region,
                      std::vector<std::string> deps = {}, nlohmann::json attrs = nlohmann::json::object()) {
    Resource r;
    r.type = type;
    r.name = name;
    r.region = region;
    r.address = type + "." + name + (region.empty() ? "" : "[" + region + "]");
    if (attrs.empty()) attrs = nlohmann::json{{"name", name}};
    r.attributes = attrs;
    r.dependsOn = std::move(deps);
    r.tags = nlohmann::json{{"ramp:project", "shop"}, {"ramp:env", "prod"}, {"ramp:region", region},
                            {"ramp:address", r.address}, {"ramp:managed-by", "infra"}};
    return r;
  }
  static Change create(const Resource& r) {
    Change c;
    c.action = Action::kCreate;
    c.address = r.address;
    c.type = r.type;
    c.region = r.region;
    c.desired = r;
    return c;
  }
  static Change remove(const ResourceState& s) {
    Change c;
    c.action = Action::kDelete;
    c.address = s.address;
    c.type = s.type;
    c.region = s.region;
    c.current = s;
    return c;
  }
  // A plan over `regions` whose basis is the current state.
  Plan plan(std::vector<std::string> regions, std::vector<Change> changes) {
    Plan p;
    p.project = "shop";
    p.env = "prod";
    p.regions = regions;
    p.changes = std::move(changes);
    regions.push_back("");
    for (const auto& r : regions) {
      auto s = infra_->load("shop", "prod", r);
      EXPECT_TRUE(s) << s.error().describe();
      if (s) p.basis[r] = StateBasis{s->lineage, s->serial};
    }
    p.digest = "sha256:" + sha256Hex(std::to_string(p.changes.size()));
    return p;
  }
  InfraState state(const std::string& region) {
    auto s = infra_->load("shop", "prod", region);
    EXPECT_TRUE(s) << s.error().describe();
    return s ? *s : InfraState{};
  }

  std::filesystem::path dir_;
  ManualClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<StoreInfraStore> infra_;
  TestInfraProvider provider_;
};

}  // namespace ramp::infra::test
