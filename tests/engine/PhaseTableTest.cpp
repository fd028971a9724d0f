// The typed phases and their table (engine/Phase.h, engine/PhaseTable.h):
//   - every phase name round-trips; an unknown name is an error naming the
//     known ones;
//   - records written before phases were typed (the phase as a string) load,
//     and write the same string back;
//   - a record with an unknown phase ends `failed` with the reading error as
//     its reason on the next tick (not an active deployment failing every
//     tick), and the service can be deployed again; an ended one keeps its
//     state;
//   - the table is whole (every phase reachable from a first phase, every
//     phase but done has a way out, every main path unambiguous);
//   - the phase tables in docs/architecture.md and docs/deployments.md are
//     the generated text (RAMP_UPDATE_DOCS=1 rewrites them).
#include "engine/PhaseTable.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "EngineWorld.h"
#include "core/Clock.h"
#include "engine/Deployment.h"
#include "engine/Engine.h"
#include "store/Store.h"

using namespace ramp;
using namespace std::chrono_literals;
using nlohmann::json;
using engine::fact::kCanary;
using engine::fact::kLastWave;
using engine::fact::kMoreWaves;
using engine::fact::kNoPrevious;
using engine::fact::kNoSmokeTest;
using engine::fact::kNotCanary;
using engine::fact::kPrevious;
using engine::fact::kSmokeTest;
using engine::Phase;
using engine::PhaseTable;

namespace {

// The phase strings records held before phases were typed (the engine's
// literals then). Kept literally: they are data in stores out there.
const char* kRecordedNames[] = {"approval",       "queue",          "window",        "start",
                                "create_fleet",   "wait_healthy",   "smoke_test",    "switch",
                                "verify_switch",  "fail_cleanup",   "done",          "bake",
                                "drain_previous", "retire_previous", "canary_step",  "canary_verify",
                                "canary_pause",   "canary_analysis", "rb_capacity",   "rb_switch",
                                "rb_verify",      "rb_drain",       "rb_retire",     "rb_regions",
                                "wave_done"};

TEST(Phase, NamesRoundTrip) {
  std::set<std::string> names;
  for (Phase p : engine::allPhases()) {
    std::string n(engine::phaseName(p));
    EXPECT_TRUE(names.insert(n).second) << "two phases are called " << n;
    auto back = engine::parsePhase(n);
    ASSERT_TRUE(back.has_value()) << back.error().describe();
    EXPECT_EQ(*back, p);
    EXPECT_EQ(json(p), json(n));
  }
  EXPECT_EQ(names.size(), std::size(kRecordedNames));
}

TEST(Phase, UnknownNameIsAnErrorNamingTheKnownOnes) {
  auto p = engine::parsePhase("create_fleets", "doc.phase");
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(p.error().where, "doc.phase");
  EXPECT_NE(p.error().message.find("'create_fleets'"), std::string::npos) << p.error().message;
  EXPECT_NE(p.error().message.find("create_fleet, wait_healthy"), std::string::npos) << p.error().message;
}

TEST(Phase, RecordsWrittenBeforeTypedPhasesLoadAndWriteTheSameString) {
  for (const char* name : kRecordedNames) {
    json doc = {{"region", "local"}, {"kind", "deploy"}, {"strategy", "bluegreen"}, {"phase", name},
                {"version", "1.0.0"}, {"step", 2},       {"steps", 5}};
    auto d = engine::Deployment::fromRecord("d-1", "crawler", "int", "running", 3, doc);
    ASSERT_TRUE(d.has_value()) << name << ": " << d.error().describe();
    EXPECT_EQ(engine::phaseName(d->phase), name);
    EXPECT_EQ(d->recordedPhase, d->phase);
    EXPECT_EQ(d->toDoc()["phase"], json(name));
  }
  // A record without a phase (the oldest) starts at start, as before.
  auto d = engine::Deployment::fromRecord("d-1", "crawler", "int", "queued", 1, json{{"version", "1.0.0"}});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->phase, Phase::kStart);
}

TEST(Phase, RecordWithAnUnknownPhaseIsAClearError) {
  auto d = engine::Deployment::fromRecord("d-7", "crawler", "int", "running", 3,
                                          json{{"phase", "rb_rewind"}, {"version", "1.0.0"}});
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().where, "d-7");
  EXPECT_NE(d.error().message.find("unknown phase 'rb_rewind'"), std::string::npos) << d.error().message;
}

// ---- the engine with such a record ----

json rendered() {
  return {{"service", "crawler"},
          {"env", "int"},
          {"region", "local"},
          {"run", {{"command", "bin/crawler"}, {"args", json::array()}, {"env", json::object()}}},
          {"health", {{"path", "/healthz"}, {"interval", "100ms"}, {"timeout", "500ms"}}},
          {"instances", 1},
          {"strategy", {{"type", "bluegreen"}, {"bake", "0s"}, {"deadline", "10s"}}}};
}

class UnknownPhaseRecord : public fakes::EngineWorld {
 protected:
  // A record as another (newer, or broken) writer left it.
  void insert(const std::string& id, const std::string& state, const std::string& phase) {
    store::DeploymentRecord rec;
    rec.id = id;
    rec.service = "crawler";
    rec.env = "int";
    rec.state = state;
    rec.createdAt = toUnixMillis(clock.now());
    rec.updatedAt = rec.createdAt;
    rec.doc = {{"region", "local"}, {"kind", "deploy"}, {"strategy", "bluegreen"}, {"phase", phase},
               {"version", "1.0.0"}, {"rendered", rendered()}, {"reason", "was running"}};
    auto ins = st->insertDeployment(rec, std::nullopt);
    ASSERT_TRUE(ins.has_value()) << ins.error().describe();
  }
  static engine::DeployRequest request(const std::string& version) { return EngineWorld::request(version, rendered()); }
};

TEST_F(UnknownPhaseRecord, EndsFailedWithTheReasonAndFreesTheService) {
  insert("d-20260101000000-aaaaaa", "running", "rb_rewind");
  // While it is active, the service is busy.
  auto refused = engine->submit(request("2.0.0"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);

  auto t = engine->tick();
  ASSERT_FALSE(t.has_value()) << "the tick reports the unreadable record";
  EXPECT_NE(t.error().message.find("unknown phase 'rb_rewind'"), std::string::npos) << t.error().describe();

  auto d = engine->get("d-20260101000000-aaaaaa");
  ASSERT_TRUE(d.has_value()) << d.error().describe();
  EXPECT_EQ(d->state, engine::kFailed);
  EXPECT_EQ(d->phase, Phase::kDone);
  EXPECT_NE(d->reason.find("was running; the engine cannot read"), std::string::npos) << d->reason;
  EXPECT_NE(d->reason.find("unknown phase 'rb_rewind'"), std::string::npos) << d->reason;
  store::AuditFilter f;
  f.deploymentId = "d-20260101000000-aaaaaa";
  auto events = st->listEvents(f);
  ASSERT_TRUE(events.has_value());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().kind, "deployment.finished");
  EXPECT_EQ(events->front().data.value("state", ""), "failed");

  // The next tick is clean, and the service takes a new deployment.
  auto again = engine->tick();
  EXPECT_TRUE(again.has_value()) << again.error().describe();
  auto next = engine->submit(request("2.0.0"));
  ASSERT_TRUE(next.has_value()) << next.error().describe();
  for (int i = 0; i < 20; ++i) {
    (void)engine->tick();
    clock.advance(100ms);
  }
  auto done = engine->get(next->id);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->state, engine::kSucceeded);
}

TEST_F(UnknownPhaseRecord, AnEndedDeploymentKeepsItsState) {
  insert("d-20260101000000-bbbbbb", "succeeded", "bake_more");
  (void)engine->tick();
  auto d = engine->get("d-20260101000000-bbbbbb");
  ASSERT_TRUE(d.has_value()) << d.error().describe();
  EXPECT_EQ(d->state, engine::kSucceeded);
  EXPECT_EQ(d->phase, Phase::kDone);
  EXPECT_NE(d->reason.find("unknown phase 'bake_more'"), std::string::npos) << d->reason;
}

// ---- the table ----

TEST(PhaseTable, EveryPhaseIsReachableAndEveryPhaseButDoneHasAWayOut) {
  std::set<Phase> reached(PhaseTable::initialPhases().begin(), PhaseTable::initialPhases().end());
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& r : PhaseTable::rows()) {
      if (!r.to) continue;
      for (Phase from : r.from) {
        if (reached.contains(from) && reached.insert(*r.to).second) grew = true;
      }
    }
  }
  for (Phase p : engine::allPhases()) {
    EXPECT_TRUE(reached.contains(p)) << engine::phaseName(p) << " is never reached";
    if (p == Phase::kDone) continue;
    bool out = false;
    for (const auto& r : PhaseTable::rows()) {
      if (r.by == engine::Trigger::kTick && r.to && *r.to != p &&
          std::find(r.from.begin(), r.from.end(), p) != r.from.end()) {
        out = true;
      }
    }
    EXPECT_TRUE(out) << engine::phaseName(p) << " has no tick row out of it";
  }
}

TEST(PhaseTable, MainPathsAreUnambiguous) {
  for (uint32_t smoke : {kSmokeTest, kNoSmokeTest}) {
    for (uint32_t strategy : {kCanary, kNotCanary}) {
      for (uint32_t previous : {kPrevious, kNoPrevious}) {
        for (uint32_t wave : {kLastWave, kMoreWaves}) {
          auto path = PhaseTable::mainPath(smoke | strategy | previous | wave);
          ASSERT_TRUE(path.has_value()) << path.error().describe();
          EXPECT_EQ(path->back(), wave == kLastWave ? Phase::kDone : Phase::kWaveDone);
        }
      }
    }
  }
  auto bg = PhaseTable::mainPath(kNoSmokeTest | kNotCanary | kPrevious | kLastWave);
  ASSERT_TRUE(bg.has_value());
  std::vector<Phase> want{Phase::kStart,        Phase::kCreateFleet, Phase::kWaitHealthy,
                          Phase::kSwitch,       Phase::kVerifySwitch, Phase::kBake,
                          Phase::kDrainPrevious, Phase::kRetirePrevious, Phase::kDone};
  EXPECT_EQ(*bg, want);
}

TEST(PhaseTable, ActionsFindTheirTargets) {
  using engine::Trigger;
  EXPECT_EQ(PhaseTable::target(Phase::kCanaryAnalysis, Trigger::kAbort, kCanary | kPrevious), Phase::kRbSwitch);
  EXPECT_EQ(PhaseTable::target(Phase::kCanaryAnalysis, Trigger::kAbort, kCanary | kNoPrevious), Phase::kFailCleanup);
  EXPECT_EQ(PhaseTable::target(Phase::kWaitHealthy, Trigger::kAbort, kPrevious), Phase::kFailCleanup);
  EXPECT_EQ(PhaseTable::target(Phase::kQueue, Trigger::kAbort, 0), Phase::kDone);
  EXPECT_EQ(PhaseTable::target(Phase::kRetirePrevious, Trigger::kAbort, engine::fact::kWaves | kPrevious),
            Phase::kRetirePrevious);
  EXPECT_EQ(PhaseTable::target(Phase::kCanaryPause, Trigger::kPromoteNow, 0), Phase::kSwitch);
  EXPECT_EQ(PhaseTable::target(Phase::kBake, Trigger::kPromoteNow, 0), std::nullopt);
  EXPECT_EQ(PhaseTable::target(Phase::kBake, Trigger::kRollback, kPrevious), Phase::kRbSwitch);
  EXPECT_EQ(PhaseTable::target(Phase::kRetirePrevious, Trigger::kRollback, kPrevious), std::nullopt);
  EXPECT_EQ(PhaseTable::target(Phase::kRbVerify, Trigger::kDown, 0), Phase::kDone);
}

TEST(PhaseTable, ATransitionThatIsNotARowIsABug) {
  EXPECT_TRUE(PhaseTable::check(Phase::kSwitch, Phase::kVerifySwitch, "d-1").has_value());
  EXPECT_TRUE(PhaseTable::check(Phase::kBake, Phase::kBake, "d-1").has_value());
  auto bad = PhaseTable::check(Phase::kWaitHealthy, Phase::kBake, "d-1");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInternal);
  EXPECT_EQ(bad.error().where, "d-1");
  EXPECT_NE(bad.error().message.find("from wait_healthy to bake"), std::string::npos);
}

// ---- the docs ----

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The generated block called `name`: "<!-- phases:NAME (generated ... -->\n"
// up to "<!-- /phases -->".
struct Block {
  size_t begin = std::string::npos, end = std::string::npos;
};
Block find(const std::string& text, const std::string& name) {
  Block b;
  std::string open = "<!-- phases:" + name + " ";
  auto at = text.find(open);
  if (at == std::string::npos) return b;
  b.begin = text.find('\n', at) + 1;
  b.end = text.find("<!-- /phases -->", b.begin);
  return b;
}

std::string generated(const std::string& name) {
  if (name == "actions") return PhaseTable::actionsMarkdown();
  for (auto m : engine::allMachines()) {
    if (engine::machineName(m) == name) return PhaseTable::markdown(m);
  }
  return "no such table: " + name;
}

TEST(PhaseTableDocs, DocsShowTheGeneratedTables) {
  const char* src = std::getenv("RAMP_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  const bool update = std::getenv("RAMP_UPDATE_DOCS") != nullptr;
  std::map<std::string, std::vector<std::string>> docs{
      {"docs/architecture.md", {"bluegreen", "bake"}},
      {"docs/deployments.md", {"gates", "bluegreen", "bake", "canary", "rollback", "waves", "actions"}}};
  for (const auto& [file, tables] : docs) {
    auto path = std::filesystem::path(src) / file;
    std::string text = slurp(path);
    for (const auto& name : tables) {
      auto b = find(text, name);
      ASSERT_NE(b.begin, std::string::npos) << file << " has no <!-- phases:" << name << " ... --> block";
      ASSERT_NE(b.end, std::string::npos) << file << ": the phases:" << name << " block is not closed";
      std::string have = text.substr(b.begin, b.end - b.begin);
      std::string want = generated(name);
      if (update) {
        text.replace(b.begin, b.end - b.begin, want);
      } else {
        EXPECT_EQ(have, want) << file << ": the " << name
                              << " phase table differs from engine/PhaseTable.cpp; rerun this test with "
                                 "RAMP_UPDATE_DOCS=1 to rewrite it";
      }
    }
    if (update) std::ofstream(path) << text;
  }
}

}  // namespace
