// Regions in waves end to end: the real `ramp` binary, controller, router
// and crawler instances in a local environment with two regions (east,
// west), each behind its own router entry point. `ramp deploy` without
// --region goes region by region; a bad release (30% errors) is rolled
// back by the canary's judge in the first region and the second region is
// never started: no fleet, no traffic change there, it keeps serving the
// previous release without a single failure.
#include <curl/curl.h>
#include <strings.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
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
using nlohmann::json;

namespace {

using ramp::e2e::env;
using ramp::e2e::runRamp;

using Load = ramp::e2e::VersionTraffic;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

size_t sinkInto(char* p, size_t s, size_t n, void* u) {
  static_cast<std::string*>(u)->append(p, s * n);
  return s * n;
}

// One request to the controller: {status, body}.
std::pair<long, std::string> http(const std::string& method, const std::string& url, const std::string& token,
                                  const std::string& body) {
  CURL* c = curl_easy_init();
  std::string out;
  curl_slist* hs = curl_slist_append(nullptr, ("Authorization: Bearer " + token).c_str());
  hs = curl_slist_append(hs, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
  if (method != "GET") curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sinkInto);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  long status = 0;
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(hs);
  curl_easy_cleanup(c);
  return {status, out};
}

class WavesE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    home = env("RAMP_HOME");
    ASSERT_FALSE(home.empty());
    work = home / ("work-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::create_directories(work);
    fs::copy_file(env("RAMP_E2E_DIR") + "/waves.yaml", work / "ramp.yaml", fs::copy_options::overwrite_existing);
    // Deployments are rendered from the controller's config of record.
    ASSERT_EQ(runRamp({"config", "push", "-m", "test world"}, work), 0);
  }
  void TearDown() override { runRamp({"down"}, work); }

  // A release: the crawler binary behind a wrapper passing `flags`.
  void release(const std::string& version, const std::string& flags) {
    fs::path dir = home / ("src-" + version);
    fs::create_directories(dir / "bin");
    fs::copy_file(env("RAMP_CRAWLER_BIN"), dir / "bin" / "crawler-bin");
    std::ofstream(dir / "bin" / "crawler") << "#!/bin/sh\nexec \"$(dirname \"$0\")/crawler-bin\" --quiet " << flags
                                           << " \"$@\"\n";
    fs::permissions(dir / "bin" / "crawler", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    ASSERT_EQ(runRamp({"release", "create", "crawler", "--version", version, "--from", dir.string()}, work), 0);
  }
  json status() {
    std::string out;
    EXPECT_EQ(runRamp({"status", "crawler", "--env", "prod", "--json"}, work, &out), 0) << out;
    auto j = json::parse(out, nullptr, false);
    EXPECT_TRUE(j.is_object()) << out;
    return j.is_object() ? j : json::object();
  }
  json eventsOf(const std::string& id) {
    std::string out;
    EXPECT_EQ(runRamp({"audit", "--deployment", id, "--json"}, work, &out), 0) << out;
    auto j = json::parse(out, nullptr, false);
    EXPECT_TRUE(j.is_array()) << out;
    return j.is_array() ? j : json::array();
  }

  fs::path home, work;
};

TEST_F(WavesE2E, DeployGoesRegionByRegionAndARollbackInTheFirstNeverStartsTheSecond) {
  release("1.0.0", "");
  release("3.0.0", "--error-rate 0.3");
  {
    std::string r;
    ASSERT_EQ(runRamp({"render", "--env", "prod", "--region", "east", "--service", "crawler", "--json"}, work, &r), 0) << r;
    std::ofstream(home / "rendered-east.json") << r;
  }

  // 1.0.0 across both regions, one after the other.
  std::string out;
  ASSERT_EQ(runRamp({"deploy", "crawler", "--env", "prod", "--version", "1.0.0"}, work, &out), 0) << out;
  std::cout << out;
  EXPECT_NE(out.find("regions in waves: east -> west"), std::string::npos) << out;
  EXPECT_NE(out.find("== wave 1/2 east"), std::string::npos) << out;
  EXPECT_NE(out.find("== wave 2/2 west"), std::string::npos) << out;
  auto s = status();
  auto d = s["deployment"];
  EXPECT_EQ(d["state"], "succeeded") << d.dump(2);
  ASSERT_EQ(d["waves"].size(), 2u) << d.dump(2);
  EXPECT_EQ(d["waves"][0]["region"], "east");
  EXPECT_EQ(d["waves"][0]["state"], "succeeded");
  EXPECT_EQ(d["waves"][1]["region"], "west");
  EXPECT_EQ(d["waves"][1]["state"], "succeeded");
  EXPECT_LE(d["waves"][0].value("finished_at", int64_t{0}), d["waves"][1].value("started_at", int64_t{1}))
      << "west started after east finished: " << d.dump(2);
  ASSERT_TRUE(s["entrypoints"]["east"].is_string()) << s.dump(2);
  ASSERT_TRUE(s["entrypoints"]["west"].is_string()) << s.dump(2);
  std::string east = s["entrypoints"]["east"], west = s["entrypoints"]["west"];
  EXPECT_NE(east, west) << "each region has its own entry point";
  std::string firstId = d["id"];

  // 3.0.0 fails its canary analysis in east: east goes back to 1.0.0, the
  // waves stop, west is never touched.
  Load eastLoad(east, 4), westLoad(west, 2);
  eastLoad.start();
  westLoad.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  out.clear();
  int rc = runRamp({"deploy", "crawler", "--env", "prod", "--version", "3.0.0"}, work, &out);
  std::cout << out;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  eastLoad.stop();
  westLoad.stop();
  EXPECT_EQ(rc, 3) << "3 = rolled back\n" << out;
  EXPECT_NE(out.find("== wave 1/2 east rolled_back"), std::string::npos) << out;
  EXPECT_NE(out.find("== wave 2/2 west not_started"), std::string::npos) << out;
  s = status();
  d = s["deployment"];
  EXPECT_EQ(d["state"], "rolled_back") << d.dump(2);
  std::string reason = d.value("reason", "");
  EXPECT_NE(reason.find("rolled back in east: canary failed analysis"), std::string::npos) << reason;
  EXPECT_NE(reason.find("waves stopped: west not started"), std::string::npos) << reason;
  ASSERT_EQ(d["waves"].size(), 2u);
  EXPECT_EQ(d["waves"][0]["state"], "rolled_back");
  EXPECT_EQ(d["waves"][1]["state"], "not_started");
  for (auto& f : s["fleets"]) {
    if (f["version"] == "1.0.0") {
      EXPECT_EQ(f["weight"], 100) << "both regions serve 1.0.0 again: " << s.dump(2);
    }
    EXPECT_FALSE(f["version"] == "3.0.0" && f["region"] == "west") << "no 3.0.0 fleet in west: " << s.dump(2);
  }
  // Nothing of this deployment touched west's entry point.
  int eastTraffic = 0;
  for (auto& e : eventsOf(d["id"])) {
    EXPECT_NE(e.value("kind", ""), "deployment.wave_started") << e.dump();
    if (e.value("kind", "") == "traffic.set") {
      std::string ep = e["data"].value("entrypoint", "");
      EXPECT_EQ(ep.find("west"), std::string::npos) << e.dump();
      if (ep.find("east") != std::string::npos) ++eastTraffic;
    }
  }
  EXPECT_GE(eastTraffic, 2) << "east's split changed (canary weight, then back)";
  auto westAnswers = westLoad.answers();
  EXPECT_GT(westAnswers["1.0.0"], 0u);
  EXPECT_EQ(westAnswers.count("3.0.0"), 0u) << "west never saw 3.0.0";
  EXPECT_TRUE(westLoad.failures().empty()) << "west served without a failure";
  auto eastAnswers = eastLoad.answers();
  EXPECT_GT(eastAnswers["3.0.0"], 0u) << "east's canary took traffic";
  EXPECT_EQ(eastLoad.failures()["1.0.0"], 0u) << "east's stable fleet served without errors";
  EXPECT_NE(d["id"], firstId);

  // --rollback-all-regions needs waves: refused naming the flag, nothing sent.
  {
    std::string err;
    int bad = runRamp({"deploy", "crawler", "--env", "prod", "--version", "1.0.0", "--region", "east",
                       "--rollback-all-regions"},
                      work, &err);
    EXPECT_EQ(bad, 1);
    EXPECT_EQ(status()["deployment"]["id"], d["id"]) << "nothing was submitted";
  }

  // Waves are the controller's: a request that brings its own (or its own
  // rendered config) is refused 400 naming the field, and a region outside
  // the config of record too; nothing recorded.
  auto controller = json::parse(slurp(home / "controller.json"), nullptr, false);
  ASSERT_TRUE(controller.is_object());
  std::string base = "http://" + controller.value("address", "");
  std::string token = slurp(home / "admin.token");
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  json rendered = json::parse(slurp(home / "rendered-east.json"), nullptr, false);
  ASSERT_TRUE(rendered.is_object());
  json plain{{"service", "crawler"}, {"env", "prod"}, {"version", "1.0.0"}};
  auto with = [&](const std::string& field, json value) {
    json b = plain;
    b[field] = std::move(value);
    return b;
  };
  json waveEast{{"region", "east"}, {"rendered", rendered}, {"config_digest", "sha256:e"}};
  struct Case {
    std::string name;
    json body;
    std::string field;
  };
  std::vector<Case> cases{
      {"its own waves", with("waves", json::array({waveEast})), "waves"},
      {"waves, not even a list", with("waves", "east"), "waves"},
      {"its own rendered config", with("rendered", rendered), "rendered"},
      {"a region outside the config", with("region", "north"), "region"},
      {"a region that is a path", with("region", "../../x"), "region"},
  };
  auto before = http("GET", base + "/api/v1/deployments?limit=1000", token, "");
  for (const auto& c : cases) {
    auto r = http("POST", base + "/api/v1/deployments", token, c.body.dump());
    EXPECT_EQ(r.first, 400) << c.name << ": " << r.second;
    auto j = json::parse(r.second, nullptr, false);
    ASSERT_TRUE(j.is_object()) << c.name << ": " << r.second;
    EXPECT_EQ(j["error"].value("field", ""), c.field) << c.name << ": " << r.second;
  }
  auto after = http("GET", base + "/api/v1/deployments?limit=1000", token, "");
  EXPECT_EQ(before.second, after.second) << "bad requests recorded nothing";
  // A plain one is accepted, in waves east -> west from the config of record
  // (and then aborted, so that `down` finds nothing running).
  auto good = http("POST", base + "/api/v1/deployments", token, plain.dump());
  EXPECT_EQ(good.first, 201) << good.second;
  auto gj = json::parse(good.second, nullptr, false);
  ASSERT_TRUE(gj.is_object() && gj["waves"].is_array() && gj["waves"].size() == 2) << good.second;
  EXPECT_EQ(gj["waves"][0].value("region", ""), "east");
  EXPECT_EQ(gj["waves"][1].value("region", ""), "west");
  EXPECT_EQ(runRamp({"abort", "crawler", "--env", "prod"}, work), 0);
}

TEST_F(WavesE2E, WithRollbackAllRegionsAFailureInTheSecondRegionTakesTheFirstBackToo) {
  release("1.1.0", "");
  release("2.1.0", "");
  ASSERT_EQ(runRamp({"deploy", "crawler", "--env", "prod", "--version", "1.1.0"}, work), 0);
  auto s = status();
  ASSERT_TRUE(s["entrypoints"]["east"].is_string() && s["entrypoints"]["west"].is_string()) << s.dump(2);
  std::string east = s["entrypoints"]["east"], west = s["entrypoints"]["west"];
  // From now on west's instances answer 30% errors (a region override), east's none.
  {
    std::ofstream(work / "ramp.yaml", std::ios::app) << "    overrides:\n      region:\n        west:\n"
                                                         "          run:\n            env: {CRAWLER_ERROR_RATE: \"0.3\"}\n";
  }
  std::string out;
  ASSERT_EQ(runRamp({"validate"}, work, &out), 0) << out;
  ASSERT_EQ(runRamp({"config", "push", "-m", "west answers 30% errors"}, work, &out), 0) << out;
  Load eastLoad(east, 3), westLoad(west, 3);
  eastLoad.start();
  westLoad.start();
  out.clear();
  int rc = runRamp({"deploy", "crawler", "--env", "prod", "--version", "2.1.0", "--rollback-all-regions"}, work, &out);
  std::cout << out;
  EXPECT_EQ(rc, 3) << out;
  EXPECT_NE(out.find("== wave 1/2 east succeeded"), std::string::npos) << out;
  EXPECT_NE(out.find("== wave 2/2 west rolled_back"), std::string::npos) << out;
  EXPECT_NE(out.find("rolling back east too (d-"), std::string::npos) << "the CLI names the rollback of east\n" << out;
  // The rollback of east starts by itself; wait (bounded) for it to end.
  json d;
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    d = status()["deployment"];
    if (d.value("kind", "") == "rollback" && d.value("state", "") == "rolled_back" && d.value("phase", "") == "done") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  eastLoad.stop();
  westLoad.stop();
  EXPECT_EQ(d.value("kind", ""), "rollback") << d.dump(2);
  EXPECT_EQ(d.value("state", ""), "rolled_back") << d.dump(2);
  EXPECT_EQ(d.value("version", ""), "1.1.0") << d.dump(2);
  EXPECT_EQ(d.value("created_by", ""), "ramp (rollback_all_regions)") << d.dump(2);
  ASSERT_EQ(d["waves"].size(), 1u) << d.dump(2);
  EXPECT_EQ(d["waves"][0]["region"], "east");
  s = status();
  for (auto& f : s["fleets"]) {
    if (f["state"] == "retired") continue;
    if (f["weight"] == 100) {
      EXPECT_EQ(f["version"], "1.1.0") << "every region serves 1.1.0 again: " << s.dump(2);
    }
  }
  EXPECT_GT(eastLoad.answers()["2.1.0"], 0u) << "east ran 2.1.0 before it was taken back";
  EXPECT_EQ(eastLoad.failures()["2.1.0"], 0u);
  EXPECT_EQ(eastLoad.failures()["1.1.0"], 0u);
  EXPECT_EQ(westLoad.failures()["1.1.0"], 0u) << "west's stable fleet kept its clean config";
}

}  // namespace
