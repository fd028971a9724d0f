// EngineWorld.h — the world an engine test runs the real Engine in: a fresh
// SQLite store under the test's $RAMP_HOME, a manual clock, the fake
// providers (EngineFakes.h), and the verbs the tests share: a request for
// the service crawler, ticking on the manual clock, and reading a
// deployment's audit events. A fixture derives from it, sets `options` (or
// the fakes) before calling EngineWorld::SetUp() when it needs to, and adds
// what only it uses.
#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "EngineFakes.h"
#include "core/Clock.h"
#include "engine/Engine.h"
#include "store/Store.h"

namespace ramp::fakes {

// A rendered config of crawler in int (local, bin/crawler, /healthz every
// 100 ms) with `instances` and `strategy`.
inline nlohmann::json renderedWith(nlohmann::json strategy, int instances = 2) {
  return {{"service", "crawler"},
          {"env", "int"},
          {"region", "local"},
          {"run", {{"command", "bin/crawler"}, {"args", nlohmann::json::array()}, {"env", nlohmann::json::object()}}},
          {"health", {{"path", "/healthz"}, {"interval", "100ms"}, {"timeout", "500ms"}}},
          {"instances", instances},
          {"strategy", std::move(strategy)}};
}

class EngineWorld : public ::testing::Test {
 protected:
  // Opens a fresh store ($RAMP_HOME/engine-N.db) and makes the engine.
  void SetUp() override {
    const char* home = std::getenv("RAMP_HOME");
    ASSERT_NE(home, nullptr);
    dbPath = std::filesystem::path(home) / ("engine-" + std::to_string(counter++) + ".db");
    auto s = store::openStore(dbPath.string());
    ASSERT_TRUE(s.has_value()) << s.error().describe();
    st = std::move(*s);
    engine = makeEngine();
  }
  // An engine over this world (a second one is a restarted controller).
  std::unique_ptr<engine::Engine> makeEngine() {
    return std::make_unique<engine::Engine>(*st, fleets, traffic, metrics, releases, clock, options);
  }
  // alice deploys crawler `version` to int with the config `rendered`.
  static engine::DeployRequest request(const std::string& version, nlohmann::json rendered) {
    engine::DeployRequest q;
    q.service = "crawler";
    q.env = "int";
    q.version = version;
    q.rendered = std::move(rendered);
    q.configDigest = "sha256:test";
    q.actor = "alice";
    return q;
  }
  // `ticks` ticks, the clock 100 ms on after each; the deployment then.
  engine::Deployment run(const std::string& id, int ticks = 20) {
    for (int i = 0; i < ticks; ++i) {
      auto t = engine->tick();
      EXPECT_TRUE(t.has_value()) << t.error().describe();
      clock.advance(std::chrono::milliseconds(100));
    }
    auto d = engine->get(id);
    EXPECT_TRUE(d.has_value());
    return *d;
  }
  // Ticks until `done` holds for the deployment (the clock 100 ms on after
  // each tick that did not end it), at most `ticks`; the deployment then.
  engine::Deployment tickUntil(const std::string& id, const std::function<bool(const engine::Deployment&)>& done,
                               int ticks = 400) {
    engine::Deployment d;
    for (int i = 0; i < ticks; ++i) {
      auto t = engine->tick();
      EXPECT_TRUE(t.has_value()) << t.error().describe();
      d = *engine->get(id);
      if (done(d)) return d;
      clock.advance(std::chrono::milliseconds(100));
    }
    return d;
  }
  // The audit events of deployment `id`, oldest first (of `kind` only, if given).
  std::vector<store::AuditEvent> events(const std::string& id, const std::string& kind = "") {
    store::AuditFilter f;
    f.deploymentId = id;
    auto evs = st->listEvents(f);
    EXPECT_TRUE(evs.has_value());
    std::vector<store::AuditEvent> out;
    for (auto& e : evs ? *evs : std::vector<store::AuditEvent>{}) {
      if (kind.empty() || e.kind == kind) out.push_back(e);
    }
    return out;
  }
  // The kinds of the audit events of deployment `id`, oldest first.
  std::vector<std::string> kindsOf(const std::string& id) {
    std::vector<std::string> out;
    for (auto& e : events(id)) out.push_back(e.kind);
    return out;
  }

  static inline int counter = 0;
  std::filesystem::path dbPath;
  std::unique_ptr<store::Store> st;
  ManualClock clock;
  FakeFleets fleets;
  FakeTraffic traffic;
  FakeMetrics metrics;
  FakeReleases releases;
  engine::EngineOptions options;
  std::unique_ptr<engine::Engine> engine;
};

}  // namespace ramp::fakes
