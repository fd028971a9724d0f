// Fault injection: the controller is SIGKILLed at every phase boundary of a
// blue/green deployment (RAMP_FAILPOINT=PHASE:before|after) and at random
// side-effect points (RAMP_FAILPOINT_RANDOM=SEED:N, seed printed), under a
// steady load on the router, then started again without a failpoint. Each
// run must end exactly like an undisturbed run:
//   - the same final status (state, fleets, weights, roles);
//   - the same sequence of deployment transitions and traffic changes
//     (fleet ids normalised to blue/green, timestamps ignored);
//   - exactly one green fleet with exactly its instances (no side effect
//     performed twice);
//   - zero failed requests;
//   - the restarted controller takes the dead one's lease at once (no stale
//     lock), and after `ramp down` no process is left (tests/isolated).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "ControllerWorld.h"
#include "engine/PhaseTable.h"

using namespace ctl;

namespace {

struct Outcome {
  std::vector<std::string> transitions;
  std::string finalStatus;
  int greenFleets = 0;
  int greenInstances = 0;
  size_t requests = 0;
  size_t failed = 0;
  bool killed = false;
  bool tookOver = false;
};

std::string roleOf(const std::string& fleet) {
  if (fleet.find("-1.0.0-") != std::string::npos) return "blue";
  if (fleet.find("-2.0.0-") != std::string::npos) return "green";
  return "?" + fleet;
}

std::vector<std::string> normalise(const json& events) {
  std::vector<std::string> out;
  if (!events.is_array()) return out;
  for (auto& e : events) {
    std::string kind = e.value("kind", "");
    const json& d = e["data"];
    if (kind == "deployment.created") {
      out.push_back("created");
    } else if (kind == "deployment.phase" || kind == "deployment.finished") {
      out.push_back(fmt::format("{} phase={} state={} step={}", kind, d.value("phase", ""), d.value("state", ""),
                                d.value("step", -1)));
    } else if (kind == "traffic.set") {
      std::vector<std::string> w;
      for (auto& [fleet, weight] : d["weights"].items()) w.push_back(roleOf(fleet) + "=" + weight.dump());
      std::sort(w.begin(), w.end());
      std::string s = "traffic";
      for (auto& x : w) s += " " + x;
      out.push_back(s);
    }
  }
  return out;
}

std::string normaliseStatus(const json& st) {
  if (!st.is_array() || st.empty()) return "no status: " + st.dump();
  const json& s = st[0];
  std::vector<std::string> fleets;
  for (auto& f : s["fleets"]) {
    fleets.push_back(fmt::format("{}:{}:{}:w{}:{}:{}/{}", roleOf(f.value("id", "")), f.value("version", ""),
                                 f.value("state", ""), f.value("weight", -1), f.value("role", ""),
                                 f.value("healthy", -1), f.value("instances", -1)));
  }
  std::sort(fleets.begin(), fleets.end());
  std::string out = fmt::format("{} {} phase={} step={}/{}", s["deployment"].value("version", ""),
                                s["deployment"].value("state", ""), s["deployment"].value("phase", ""),
                                s["deployment"].value("step", -1), s["deployment"].value("steps", -1));
  for (auto& f : fleets) out += " " + f;
  return out;
}

// Newest deployment of crawler/int, or null.
json newestDeployment(const World& w) {
  auto r = w.api("GET", "/api/v1/deployments?service=crawler&env=int&limit=1");
  if (!r.ok || r.status != 200) return nullptr;
  auto j = r.parsed();
  return j.is_array() && !j.empty() ? j[0] : json(nullptr);
}

Outcome runScenario(const std::string& name, const std::map<std::string, std::string>& failEnv) {
  Outcome o;
  World w(name);
  EXPECT_TRUE(w.createReleases()) << name;
  EXPECT_TRUE(w.pushConfig()) << name;
  EXPECT_EQ(w.run({"deploy", "crawler", "--env", "int", "--version", "1.0.0"}), 0) << name;
  std::string out;
  EXPECT_EQ(w.run({"status", "crawler", "--env", "int", "--json"}, &out), 0) << out;
  auto status = json::parse(out, nullptr, false);
  std::string url = status.is_object() ? status.value("entrypoint", "") : "";
  EXPECT_FALSE(url.empty()) << out;
  if (url.empty()) return o;

  Load load(url);
  load.start();

  // Replace the autostarted controller with one we start (and can arm).
  auto cj = w.controllerJson();
  pid_t first = cj.is_object() ? cj.value("pid", 0) : 0;
  EXPECT_GT(first, 0);
  if (first > 0) kill(first, SIGTERM);
  for (int i = 0; i < 300 && first > 0 && processAlive(first); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(first > 0 && processAlive(first)) << "the autostarted controller did not stop";

  pid_t serve = startServe({"serve", "--home", w.home().string()}, w.home() / "serve-1.log", failEnv);
  EXPECT_TRUE(w.waitController(serve, std::chrono::seconds(20))) << slurp(w.home() / "serve-1.log");
  (void)w.run({"deploy", "crawler", "--env", "int", "--version", "2.0.0", "--detach"}, &out);

  // Until the armed controller dies, or (a random point past the end) the
  // deployment is done.
  std::string id;
  auto deadline = SteadyClock::now() + std::chrono::seconds(60);
  while (SteadyClock::now() < deadline) {
    int st = 0;
    if (waitpid(serve, &st, WNOHANG) == serve) {
      o.killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
      EXPECT_TRUE(o.killed) << name << ": the controller ended without the failpoint:\n" << slurp(w.home() / "serve-1.log");
      serve = 0;
      break;
    }
    auto d = newestDeployment(w);
    if (d.is_object() && d.value("version", "") == "2.0.0" && d.value("phase", "") == "done") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  if (!failEnv.empty() && !failEnv.contains("RAMP_FAILPOINT_RANDOM")) {
    EXPECT_TRUE(o.killed) << name << ": the failpoint was never reached:\n" << slurp(w.home() / "serve-1.log");
  }
  if (serve == 0) {
    serve = startServe({"serve", "--home", w.home().string()}, w.home() / "serve-2.log");
    EXPECT_TRUE(w.waitController(serve, std::chrono::seconds(20)))
        << name << ": the controller could not start again (stale lease?):\n" << slurp(w.home() / "serve-2.log");
    o.tookOver = slurp(w.home() / "serve-2.log").find("took over the lease of dead controller") != std::string::npos;
  }

  json dep;
  deadline = SteadyClock::now() + std::chrono::seconds(60);
  while (SteadyClock::now() < deadline) {
    dep = newestDeployment(w);
    if (dep.is_object() && dep.value("version", "") == "2.0.0" && dep.value("phase", "") == "done") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(dep.is_object() && dep.value("phase", "") == "done") << name << ": " << dep.dump();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  load.stop();
  o.requests = load.total();
  o.failed = load.failed();
  if (o.failed) ADD_FAILURE() << name << ": " << o.failed << " failed requests, first: " << load.firstFailure();

  if (dep.is_object()) {
    auto ev = w.api("GET", "/api/v1/events?deployment=" + dep.value("id", ""));
    o.transitions = normalise(ev.parsed());
  }
  auto st = w.api("GET", "/api/v1/status?service=crawler&env=int");
  o.finalStatus = normaliseStatus(st.parsed());

  // Side effects performed once: one green fleet, with exactly its instances.
  for (const char* dir : {"fleets", "fleets-retired"}) {
    std::error_code ec;
    for (auto& e : fs::directory_iterator(w.home() / dir, ec)) {
      if (e.path().filename().string().rfind("crawler-int-2.0.0-", 0) != 0) continue;
      ++o.greenFleets;
      for (auto& inst : fs::directory_iterator(e.path(), ec)) {
        if (inst.is_directory()) ++o.greenInstances;
      }
    }
  }

  bool stopped = false;
  EXPECT_EQ(downAndReap(w, {serve}, &stopped), 0) << name;
  EXPECT_TRUE(stopped) << name << ": the controller did not stop after `ramp down`";
  std::cout << fmt::format("[{}] killed={} took_over={} requests={} failed={} green_fleets={} green_instances={}\n  {}\n",
                           name, o.killed, o.tookOver, o.requests, o.failed, o.greenFleets, o.greenInstances,
                           o.finalStatus);
  return o;
}

void expectSame(const Outcome& ref, const Outcome& got, const std::string& name) {
  EXPECT_EQ(got.finalStatus, ref.finalStatus) << name;
  EXPECT_EQ(got.transitions, ref.transitions) << name;
  EXPECT_EQ(got.greenFleets, 1) << name;
  EXPECT_EQ(got.greenInstances, ref.greenInstances) << name;
  EXPECT_EQ(got.failed, 0u) << name;
  EXPECT_GT(got.requests, 50u) << name << ": the load did not run";
}

// The phases of this test's blue/green (no smoke test, a previous fleet,
// one region), from the engine's own table: every one is a boundary to die
// at. A phase added to the table is a boundary here without an edit.
std::vector<std::string> mainPathPhases() {
  using namespace ramp::engine;
  auto path = PhaseTable::mainPath(fact::kNotCanary | fact::kNoSmokeTest | fact::kPrevious | fact::kLastWave);
  std::vector<std::string> out;
  if (!path) {
    ADD_FAILURE() << path.error().describe();
    return out;
  }
  for (Phase p : *path) out.emplace_back(phaseName(p));
  return out;
}

// Boundaries: every phase but done (nothing runs there).
std::vector<std::string> boundaryPhases() {
  auto out = mainPathPhases();
  if (!out.empty()) out.pop_back();
  return out;
}

class FaultInjection : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    reference_ = new Outcome(runScenario("reference", {}));
    std::cout << "reference transitions:\n";
    for (auto& t : reference_->transitions) std::cout << "  " << t << "\n";
  }
  static void TearDownTestSuite() {
    delete reference_;
    reference_ = nullptr;
  }
  static Outcome* reference_;
};
Outcome* FaultInjection::reference_ = nullptr;

}  // namespace

TEST_F(FaultInjection, ReferenceRunIsSane) {
  ASSERT_NE(reference_, nullptr);
  EXPECT_FALSE(reference_->killed);
  EXPECT_EQ(reference_->greenFleets, 1);
  EXPECT_EQ(reference_->greenInstances, 2);
  EXPECT_EQ(reference_->failed, 0u);
  // Every phase boundary appears once, in order, ending retired.
  std::vector<std::string> phases;
  for (auto& t : reference_->transitions) {
    auto p = t.find("phase=");
    if (p != std::string::npos) phases.push_back(t.substr(p + 6, t.find(' ', p) - p - 6));
  }
  std::vector<std::string> want = mainPathPhases();
  ASSERT_FALSE(want.empty());
  want.erase(want.begin());  // start: the phase it was created in, no event
  EXPECT_EQ(phases, want);
  EXPECT_NE(reference_->finalStatus.find("2.0.0 succeeded phase=done"), std::string::npos) << reference_->finalStatus;
}

TEST_F(FaultInjection, KillAtEveryPhaseBoundary) {
  ASSERT_NE(reference_, nullptr);
  std::string only = env("RAMP_TEST_FAILPOINT");  // run one boundary by hand
  auto phases = boundaryPhases();
  ASSERT_FALSE(phases.empty());
  for (const auto& phase : phases) {
    for (const char* when : {"before", "after"}) {
      std::string fp = fmt::format("{}:{}", phase, when);
      if (!only.empty() && only != fp) continue;
      auto got = runScenario("fp-" + phase + "-" + when, {{"RAMP_FAILPOINT", fp}});
      EXPECT_TRUE(got.killed) << fp;
      EXPECT_TRUE(got.tookOver) << fp << ": the restarted controller did not take the dead one's lease";
      expectSame(*reference_, got, fp);
    }
  }
}

TEST_F(FaultInjection, KillAtRandomSideEffects) {
  ASSERT_NE(reference_, nullptr);
  uint64_t seed = env("RAMP_TEST_SEED").empty()
                      ? static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count())
                      : std::stoull(env("RAMP_TEST_SEED"));
  std::cout << "random failpoints: RAMP_TEST_SEED=" << seed << "\n";
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 3; ++i) {
    uint64_t s = rng() % 1000000;
    std::string spec = fmt::format("{}:30", s);
    auto got = runScenario(fmt::format("random-{}", i), {{"RAMP_FAILPOINT_RANDOM", spec}});
    expectSame(*reference_, got, "RAMP_FAILPOINT_RANDOM=" + spec + " (RAMP_TEST_SEED=" + std::to_string(seed) + ")");
  }
}
