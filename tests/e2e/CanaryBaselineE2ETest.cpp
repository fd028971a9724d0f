// Canary with `strategy.baseline: fresh` end to end: the real binary,
// controller, router and crawler instances, with traffic. While the canary
// is analysed three fleets serve (stable, a fresh baseline of the stable
// release at the canary's size, the canary), the baseline carrying the same
// weight as the canary; a good canary walks to 100% and the baseline fleet
// is retired at the end.
#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "RampProcess.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using ramp::e2e::env;
using ramp::e2e::runRamp;

// Closed-loop GET traffic from a few clients, bounded to two minutes.
class Load {
 public:
  explicit Load(std::string url) : url_(std::move(url)) {}
  void start(int threads) {
    for (int i = 0; i < threads; ++i) pool_.emplace_back([this] { run(); });
  }
  void stop() {
    stop_ = true;
    for (auto& t : pool_) t.join();
    pool_.clear();
  }
  uint64_t failures() const { return failures_; }
  uint64_t answers() const { return answers_; }

 private:
  static size_t sink(char*, size_t s, size_t n, void*) { return s * n; }
  void run() {
    CURL* c = curl_easy_init();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    std::string target = url_ + "/";
    while (!stop_ && std::chrono::steady_clock::now() < deadline) {
      curl_easy_setopt(c, CURLOPT_URL, target.c_str());
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
      curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
      CURLcode rc = curl_easy_perform(c);
      long status = 0;
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
      if (rc != CURLE_OK || status >= 500) ++failures_;
      ++answers_;
    }
    curl_easy_cleanup(c);
  }
  std::string url_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> failures_{0}, answers_{0};
  std::vector<std::thread> pool_;
};

class CanaryBaselineE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    home = env("RAMP_HOME");
    ASSERT_FALSE(home.empty());
    work = home / "work";
    fs::create_directories(work);
    fs::copy_file(env("RAMP_E2E_DIR") + "/canary-fresh.yaml", work / "ramp.yaml", fs::copy_options::overwrite_existing);
    // Deployments are rendered from the controller's config of record.
    ASSERT_EQ(runRamp({"config", "push", "-m", "test world"}, work), 0);
  }
  void TearDown() override { runRamp({"down"}, work); }

  void release(const std::string& version) {
    fs::path dir = home / ("src-" + version);
    fs::create_directories(dir / "bin");
    fs::copy_file(env("RAMP_CRAWLER_BIN"), dir / "bin" / "crawler-bin");
    std::ofstream(dir / "bin" / "crawler") << "#!/bin/sh\nexec \"$(dirname \"$0\")/crawler-bin\" --quiet \"$@\"\n";
    fs::permissions(dir / "bin" / "crawler", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    ASSERT_EQ(runRamp({"release", "create", "crawler", "--version", version, "--from", dir.string()}, work), 0);
  }
  json status() {
    std::string out;
    if (runRamp({"status", "crawler", "--env", "prod", "--json"}, work, &out) != 0) return json();
    auto j = json::parse(out, nullptr, false);
    return j.is_discarded() ? json() : j;
  }

  fs::path home, work;
};

TEST_F(CanaryBaselineE2E, AGoodCanaryWithAFreshBaselineWalksTo100PercentWithThreeFleetsDuringTheAnalysis) {
  release("1.0.0");
  release("2.0.0");
  ASSERT_EQ(runRamp({"deploy", "crawler", "--env", "prod", "--version", "1.0.0"}, work), 0);
  auto before = status();
  ASSERT_TRUE(before.is_object()) << before.dump();
  Load load(before["entrypoint"].get<std::string>());
  load.start(4);

  // Watch the fleets while the canary deploys (bounded: the deploy ends).
  std::atomic<bool> done{false};
  std::mutex mu;
  std::vector<json> seen;  // fleets lists observed during canary_analysis
  std::thread watcher([&] {
    for (int i = 0; i < 600 && !done; ++i) {
      auto s = status();
      if (s.is_object() && s["deployment"].value("phase", "") == "canary_analysis") {
        std::lock_guard l(mu);
        seen.push_back(s["fleets"]);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  int rc = runRamp({"deploy", "crawler", "--env", "prod", "--version", "2.0.0"}, work);
  done = true;
  watcher.join();
  load.stop();

  auto after = status();
  ASSERT_TRUE(after.is_object());
  EXPECT_EQ(rc, 0) << after.dump(2);
  EXPECT_EQ(after["deployment"]["state"], "succeeded") << after.dump(2);
  ASSERT_TRUE(after["deployment"]["verdict"].is_object()) << after.dump(2);
  EXPECT_EQ(after["deployment"]["verdict"]["verdict"], "pass");
  EXPECT_EQ(load.failures(), 0u) << "of " << load.answers();

  // The record: the analysis's split was stable 50, baseline 25, canary 25
  // (a traffic.set of this deployment with three fleets at those weights),
  // and the verdict that passed judged both the canary and the baseline.
  {
    std::string out;
    ASSERT_EQ(runRamp({"audit", "--deployment", after["deployment"]["id"].get<std::string>(), "--json"}, work, &out), 0)
        << out;
    auto evs = json::parse(out, nullptr, false);
    ASSERT_TRUE(evs.is_array()) << out;
    bool split = false;
    for (const auto& e : evs) {
      if (e.value("kind", "") != "traffic.set" || !e["data"]["weights"].is_object()) continue;
      std::multiset<int> w;
      for (const auto& [fleet, weight] : e["data"]["weights"].items()) w.insert(weight.get<int>());
      if (w == std::multiset<int>{25, 25, 50}) split = true;
    }
    EXPECT_TRUE(split) << "no traffic.set with stable 50, baseline 25, canary 25: " << out.substr(0, 2000);
  }

  // During the analysis, as `ramp status` showed it: the same three fleets,
  // all serving. The watcher polls every 200 ms by running the CLI; on a
  // loaded machine an analysis that passes at once can end between two of
  // its looks, so this holds for what it saw, if it saw the phase at all
  // (the record above holds always).
  bool three = seen.empty();
  std::string last;
  for (const auto& fleets : seen) {
    std::map<std::string, json> byRole;
    for (const auto& f : fleets) {
      if (f.value("weight", 0) > 0) byRole[f.value("role", "")] = f;
    }
    last = fleets.dump();
    if (byRole.size() == 3 && byRole.contains("stable") && byRole.contains("baseline") && byRole.contains("canary") &&
        byRole["stable"]["weight"] == 50 && byRole["baseline"]["weight"] == 25 && byRole["canary"]["weight"] == 25 &&
        byRole["baseline"]["version"] == "1.0.0" && byRole["canary"]["version"] == "2.0.0" &&
        byRole["baseline"]["healthy"] == byRole["canary"]["healthy"] && byRole["canary"]["healthy"] == 2) {
      three = true;
    }
  }
  EXPECT_TRUE(three) << "last fleets seen during the analysis: " << last;

  // At the end: the canary has everything; the baseline fleet (like the
  // old stable one, bake 0s) is retired, so status lists only the canary.
  ASSERT_EQ(after["fleets"].size(), 1u) << after["fleets"].dump();
  EXPECT_EQ(after["fleets"][0]["version"], "2.0.0");
  EXPECT_EQ(after["fleets"][0]["weight"], 100);
  EXPECT_EQ(after["fleets"][0]["role"], "stable");
}

}  // namespace
