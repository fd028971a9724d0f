// Canary end to end with the example crawler: the real binary, controller,
// router and instances, with traffic. A healthy canary walks every step to
// 100% by itself (every analysis passes, nobody resumes anything); a bad
// canary (10% errors, or +50% latency on a 20 ms service time) is rolled
// back by the judge by itself while the stable fleet serves without errors,
// and the failed requests stay bounded by what the canary's weight lets
// through; no traffic at all is inconclusive and waits for a person (never a
// silent promotion), and while it waits the judge keeps looking: a canary
// that starts failing then is rolled back without anyone; pinned users
// reach the canary.
//
// The analysis steps decide on evidence (canary.yaml: deadline 2m), never
// on how many requests this machine manages to serve in a fixed time: a
// slower machine takes longer, it does not change the outcome.
#include <curl/curl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "RampProcess.h"
#include "VersionTraffic.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

using ramp::e2e::env;
using ramp::e2e::runRamp;

using Traffic = ramp::e2e::VersionTraffic;

class CanaryE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    // One world per test binary (tests/isolated gives it one RAMP_HOME):
    // each test brings it down at the end and uses versions of its own.
    home = env("RAMP_HOME");
    ASSERT_FALSE(home.empty());
    suffix = "-t" + std::to_string(++counter);
    work = home / ("work" + suffix);
    fs::create_directories(work);
    fs::copy_file(env("RAMP_E2E_DIR") + "/canary.yaml", work / "ramp.yaml", fs::copy_options::overwrite_existing);
    // Deployments are rendered from the controller's config of record.
    ASSERT_EQ(runRamp({"config", "push", "-m", "test world"}, work), 0);
  }
  void TearDown() override { runRamp({"down"}, work); }

  // This test's spelling of a version.
  std::string v(const std::string& base) const { return base + suffix; }

  // A release: the crawler binary behind a wrapper passing `flags`.
  void release(const std::string& base, const std::string& flags) {
    std::string version = v(base);
    fs::path dir = home / ("src-" + version);
    fs::create_directories(dir / "bin");
    fs::copy_file(env("RAMP_CRAWLER_BIN"), dir / "bin" / "crawler-bin");
    std::ofstream(dir / "bin" / "crawler") << "#!/bin/sh\nexec \"$(dirname \"$0\")/crawler-bin\" --quiet " << flags
                                           << " \"$@\"\n";
    fs::permissions(dir / "bin" / "crawler", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    ASSERT_EQ(runRamp({"release", "create", "crawler", "--version", version, "--from", dir.string()}, work), 0);
  }
  std::string entrypoint() {
    std::string out;
    EXPECT_EQ(runRamp({"status", "crawler", "--env", "prod", "--json"}, work, &out), 0) << out;
    return nlohmann::json::parse(out)["entrypoint"].get<std::string>();
  }
  // The deployment's audit events (ramp audit --json).
  nlohmann::json eventsOf(const std::string& id) {
    std::string out;
    EXPECT_EQ(runRamp({"audit", "--deployment", id, "--json"}, work, &out), 0) << out;
    auto j = nlohmann::json::parse(out, nullptr, false);
    return j.is_array() ? j : nlohmann::json::array();
  }
  // Rewrites this test's ramp.yaml: `from` (which must be there) -> `to`.
  void edit(const std::string& from, const std::string& to) {
    std::ifstream in(work / "ramp.yaml");
    std::string yaml((std::istreambuf_iterator<char>(in)), {});
    auto at = yaml.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    yaml.replace(at, from.size(), to);
    std::ofstream(work / "ramp.yaml") << yaml;
    pushConfig("edited: " + to);
  }
  // Makes the edited ramp.yaml the config of record (#15): the controller
  // deploys only that.
  void pushConfig(const std::string& why) { ASSERT_EQ(runRamp({"config", "push", "-m", why}, work), 0); }
  nlohmann::json lastDeployment() {
    std::string out;
    EXPECT_EQ(runRamp({"status", "crawler", "--env", "prod", "--json"}, work, &out), 0);
    return nlohmann::json::parse(out)["deployment"];
  }

  fs::path home, work;
  std::string suffix;
  static inline int counter = 0;
};

TEST_F(CanaryE2E, AGoodCanaryWalksEveryStepTo100PercentByItself) {
  release("1.0.0", "");
  release("2.0.0", "");
  ASSERT_EQ(runRamp({"deploy", "crawler", "--env", "prod", "--version", v("1.0.0")}, work), 0);
  Traffic t(entrypoint(), 6);
  t.start();
  int rc = runRamp({"deploy", "crawler", "--env", "prod", "--version", v("2.0.0")}, work);
  t.stop();
  auto d = lastDeployment();
  EXPECT_EQ(rc, 0) << "0 = succeeded, with nobody resuming anything\n" << d.dump(2);
  EXPECT_EQ(d["state"], "succeeded");
  ASSERT_TRUE(d["verdict"].is_object()) << d.dump(2);
  EXPECT_EQ(d["verdict"]["verdict"], "pass");
  EXPECT_TRUE(t.failures().empty());
  EXPECT_GT(t.answers()[v("2.0.0")], 0u);
  // It reached 100% by itself: the canary's fleet takes all traffic, the
  // analysis step's stored verdict is a pass, and no person acted on it.
  std::string out;
  ASSERT_EQ(runRamp({"status", "crawler", "--env", "prod", "--json"}, work, &out), 0);
  bool full = false;
  const auto s = nlohmann::json::parse(out);  // kept alive for the loop (a temporary's member would dangle)
  for (auto& f : s["fleets"])
    if (f["version"] == v("2.0.0") && f["weight"] == 100) full = true;
  EXPECT_TRUE(full) << out;
  int passes = 0;
  for (auto& e : eventsOf(d["id"])) {
    std::string kind = e.value("kind", "");
    EXPECT_NE(kind, "deployment.control") << "a person acted: " << e.dump();
    if (kind == "verdict") {
      EXPECT_EQ(e["data"].value("verdict", ""), "pass") << e.dump();
      ++passes;
    }
  }
  EXPECT_EQ(passes, 1) << "one analysis step, passed";
}

TEST_F(CanaryE2E, WhileAnInconclusiveCanaryWaitsForAPersonTheJudgeStillRollsItBack) {
  // The low-traffic case: the step ends inconclusive (no traffic
  // within a 3 s deadline) and waits for a person; then the canary's users
  // start seeing 20% errors. Nobody acts: the judge, still looking, rolls
  // it back by itself.
  edit("      deadline: 2m", "      deadline: 3s");
  release("1.0.0", "");
  release("5.0.0", "--error-rate 0.2");
  ASSERT_EQ(runRamp({"deploy", "crawler", "--env", "prod", "--version", v("1.0.0")}, work), 0);
  int rc = runRamp({"deploy", "crawler", "--env", "prod", "--version", v("5.0.0")}, work);
  ASSERT_EQ(rc, 4) << "4 = waiting on a person\n" << lastDeployment().dump(2);
  std::string id = lastDeployment()["id"];
  Traffic t(entrypoint(), 2);
  t.start();
  // Bounded: the rollback needs evidence from tens of canary requests; the
  // client stops by itself after two minutes, and the test after its
  // timeout. `ramp status --wait`-like polling, every 200 ms.
  nlohmann::json d;
  for (auto until = Clock::now() + std::chrono::seconds(120); Clock::now() < until;) {
    d = lastDeployment();
    if (d.value("state", "") == "rolled_back" && d.value("phase", "") == "done") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  t.stop();
  EXPECT_EQ(d.value("state", ""), "rolled_back") << d.dump(2);
  std::string reason = d.value("reason", "");
  EXPECT_NE(reason.find("while paused for a person"), std::string::npos) << reason;
  EXPECT_NE(reason.find("error rate"), std::string::npos) << reason;
  for (auto& e : eventsOf(id)) EXPECT_NE(e.value("kind", ""), "deployment.control") << "a person acted: " << e.dump();
  EXPECT_EQ(t.failures()[v("1.0.0")], 0u) << "the stable fleet serves without errors";
  EXPECT_GT(t.failures()[v("5.0.0")], 0u);
}

TEST_F(CanaryE2E, TenPercentErrorsAreRolledBackWithBoundedFailures) {
  release("1.0.0", "");
  release("3.0.0", "--error-rate 0.1");
  ASSERT_EQ(runRamp({"deploy", "crawler", "--env", "prod", "--version", v("1.0.0")}, work), 0);
  Traffic t(entrypoint(), 4);
  t.start();
  int rc = runRamp({"deploy", "crawler", "--env", "prod", "--version", v("3.0.0")}, work);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  t.stop();
  EXPECT_EQ(rc, 3) << "3 = rolled back";
  auto d = lastDeployment();
  EXPECT_EQ(d["state"], "rolled_back");
  std::string reason = d["reason"];
  EXPECT_NE(reason.find("error rate"), std::string::npos) << reason;
  auto answers = t.answers();
  auto failures = t.failures();
  uint64_t canaryRequests = answers[v("3.0.0")];
  uint64_t failed = failures[v("3.0.0")];
  std::cout << fmt::format("canary answered {} requests, {} failed; stable answered {}, failed {}\n", canaryRequests,
                           failed, answers[v("1.0.0")], failures[v("1.0.0")]);
  EXPECT_EQ(failures[v("1.0.0")], 0u) << "the stable fleet serves without errors";
  EXPECT_EQ(failures["?"], 0u) << "no request failed outside the canary";
  EXPECT_LE(static_cast<double>(failed), 1.5 * canaryRequests * 0.10 + 20);
  EXPECT_GT(canaryRequests, 0u);
}

TEST_F(CanaryE2E, FiftyPercentMoreLatencyIsCaughtByTheLatencyMetric) {
  release("1.0.0", "--latency-ms 20");
  release("4.0.0", "--latency-ms 20 --latency-factor 1.5");
  ASSERT_EQ(runRamp({"deploy", "crawler", "--env", "prod", "--version", v("1.0.0")}, work), 0);
  Traffic t(entrypoint(), 12);
  t.start();
  int rc = runRamp({"deploy", "crawler", "--env", "prod", "--version", v("4.0.0")}, work);
  t.stop();
  auto d = lastDeployment();
  EXPECT_EQ(rc, 3) << d.dump(2);
  std::string reason = d["reason"];
  EXPECT_NE(reason.find("latency"), std::string::npos) << reason;
  EXPECT_TRUE(t.failures().empty());
}

TEST_F(CanaryE2E, NoTrafficIsInconclusiveAndWaitsForAPerson) {
  // No traffic, whatever the machine: a short deadline ends the step.
  edit("      deadline: 2m", "      deadline: 3s");
  release("1.0.0", "");
  release("2.0.0", "");
  ASSERT_EQ(runRamp({"deploy", "crawler", "--env", "prod", "--version", v("1.0.0")}, work), 0);
  int rc = runRamp({"deploy", "crawler", "--env", "prod", "--version", v("2.0.0")}, work);
  EXPECT_EQ(rc, 4) << "4 = waiting on a person";
  auto d = lastDeployment();
  EXPECT_EQ(d["state"], "paused");
  EXPECT_NE(d["reason"].get<std::string>().find("inconclusive"), std::string::npos) << d.dump(2);
  // Never promoted silently: the stable fleet still takes 80%.
  std::string out;
  runRamp({"status", "crawler", "--env", "prod", "--json"}, work, &out);
  const auto s = nlohmann::json::parse(out);
  for (auto& f : s["fleets"]) {
    if (f["version"] == v("2.0.0")) {
      EXPECT_EQ(f["weight"], 20);
    }
  }
  EXPECT_EQ(runRamp({"abort", "crawler", "--env", "prod"}, work), 0);
  EXPECT_EQ(lastDeployment()["state"], "aborted");
}

TEST_F(CanaryE2E, PinnedUsersReachTheCanaryWhateverItsWeight) {
  release("1.0.0", "");
  release("2.0.0", "");
  ASSERT_EQ(runRamp({"deploy", "crawler", "--env", "prod", "--version", v("1.0.0")}, work), 0);
  std::string id;
  ASSERT_EQ(runRamp({"deploy", "crawler", "--env", "prod", "--version", v("2.0.0"), "--detach"}, work, &id), 0);
  // Wait for the first weight step.
  for (int i = 0; i < 100 && lastDeployment()["phase"] != "canary_analysis"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Traffic pinned(entrypoint(), 1, {"X-Ramp-Canary: yes"});
  pinned.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  pinned.stop();
  auto a = pinned.answers();
  EXPECT_GT(a[v("2.0.0")], 10u);
  EXPECT_EQ(a[v("1.0.0")], 0u) << "a pinned user never sees the stable fleet";
  EXPECT_EQ(runRamp({"abort", "crawler", "--env", "prod"}, work), 0);
}

TEST_F(CanaryE2E, ABlueGreenThatFailsDuringItsBakeIsRolledBackAndTheFollowingCliExits3) {
  // Blue/green with a bake: green takes all traffic at the switch, then the
  // judge compares it with blue's window before the switch while blue is
  // kept ready. 10% errors on green must send traffic back to blue by
  // itself; `--through-bake` keeps the CLI following, so it exits 3.
  std::string yaml;
  {
    std::ifstream in(work / "ramp.yaml");
    yaml.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto replace = [&](const std::string& from, const std::string& to) {
    auto at = yaml.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    yaml.replace(at, from.size(), to);
  };
  replace("type: canary", "type: bluegreen");
  replace("bake: 0s", "bake: 30s");
  replace("      pin:\n        header: X-Ramp-Canary\n      steps:\n        - weight: 20\n"
          "        - analysis: {interval: 500ms}\n        - weight: 100\n",
          "");
  std::ofstream(work / "ramp.yaml") << yaml;
  ASSERT_EQ(runRamp({"config", "push", "-m", "blue/green with a bake"}, work), 0);
  release("1.0.0", "");
  release("3.0.0", "--error-rate 0.1");
  ASSERT_EQ(runRamp({"deploy", "crawler", "--env", "prod", "--version", v("1.0.0")}, work), 0);
  Traffic t(entrypoint(), 4);
  t.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // blue's window before the switch
  auto started = Clock::now();
  int rc = runRamp({"deploy", "crawler", "--env", "prod", "--version", v("3.0.0"), "--through-bake"}, work);
  auto took = std::chrono::duration<double>(Clock::now() - started).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  t.stop();
  auto d = lastDeployment();
  EXPECT_EQ(rc, 3) << "3 = rolled back\n" << d.dump(2);
  EXPECT_EQ(d["state"], "rolled_back") << d.dump(2);
  std::string reason = d.value("reason", "");
  EXPECT_NE(reason.find("during the bake"), std::string::npos) << reason;
  EXPECT_LT(took, 30.0) << "rolled back before the 30 s bake ended";
  auto failures = t.failures();
  EXPECT_EQ(failures[v("1.0.0")], 0u) << "blue serves without errors";
  EXPECT_EQ(failures["?"], 0u) << "no request failed outside green";
  EXPECT_GT(t.answers()[v("1.0.0")], 0u);
  // All traffic is back on blue.
  std::string out;
  ASSERT_EQ(runRamp({"status", "crawler", "--env", "prod", "--json"}, work, &out), 0);
  const auto s = nlohmann::json::parse(out);
  for (auto& f : s["fleets"]) {
    if (f["version"] == v("1.0.0")) {
      EXPECT_EQ(f["weight"], 100) << out;
    }
  }
}

}  // namespace

