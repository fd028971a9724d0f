// A canary judged on the service's own metric, read from a real Prometheus
// (the Debian package, started by this test): the real `ramp` binary,
// controller, router and crawler instances. Prometheus discovers every
// instance through the local provider's file_sd targets
// ($RAMP_HOME/prometheus/targets/*.json, labelled with its fleet) and
// scrapes the crawler's /metrics. Release 3.0.0 fails to parse 30% of the
// pages it fetches while answering every request 200: the router sees a
// perfect canary, only crawler_parse_failures_total shows the harm — the
// judge rolls it back by itself, naming the metric. Release 2.0.0 parses
// everything and walks to 100% by itself on the same two metrics.
#include <curl/curl.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../providers_prometheus/PrometheusServer.h"
#include "RampProcess.h"
#include "VersionTraffic.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using ramp::e2e::env;
using ramp::e2e::runRamp;

class PrometheusCanaryE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    home = env("RAMP_HOME");
    prom = std::make_unique<ramp::testing::PrometheusServer>(
        home / "prometheus-server", std::vector<std::string>{(home / "prometheus" / "targets" / "*.json").string()},
        std::vector<std::string>{}, "500ms");
    started = prom->start();
  }
  static void TearDownTestSuite() { prom.reset(); }

  void SetUp() override {
    ASSERT_TRUE(started) << prom->why();
    work = home / ("work-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::create_directories(work);
    std::ifstream in(env("RAMP_E2E_DIR") + "/canary-prometheus.yaml");
    std::string yaml((std::istreambuf_iterator<char>(in)), {});
    const std::string url = "PROMETHEUS_URL";
    yaml.replace(yaml.rfind(url), url.size(), prom->url());  // the value, not the comment
    std::ofstream(work / "ramp.yaml") << yaml;
    // The controller deploys only its config of record (#15).
    ASSERT_EQ(runRamp({"config", "push", "-m", "prometheus-judged canary"}, work), 0);
  }
  void TearDown() override { runRamp({"down"}, work); }

  void release(const std::string& version, const std::string& flags) {
    fs::path dir = home / ("src-" + version);
    fs::create_directories(dir / "bin");
    fs::copy_file(env("RAMP_CRAWLER_BIN"), dir / "bin" / "crawler-bin", fs::copy_options::overwrite_existing);
    std::ofstream(dir / "bin" / "crawler") << "#!/bin/sh\nexec \"$(dirname \"$0\")/crawler-bin\" --quiet " << flags
                                           << " \"$@\"\n";
    fs::permissions(dir / "bin" / "crawler", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    ASSERT_EQ(runRamp({"release", "create", "crawler", "--version", version, "--from", dir.string()}, work), 0);
  }
  json status() {
    std::string out;
    EXPECT_EQ(runRamp({"status", "crawler", "--env", "prod", "--json"}, work, &out), 0) << out;
    auto j = json::parse(out, nullptr, false);
    return j.is_object() ? j : json::object();
  }
  // Every request is a crawl of a loopback page (Prometheus' own
  // /-/healthy): each one is a page fetched and parsed by the crawler.
  std::string crawlPath() const { return "/crawl?url=" + prom->url() + "/-/healthy"; }

  static inline fs::path home;
  static inline std::unique_ptr<ramp::testing::PrometheusServer> prom;
  static inline bool started = false;
  fs::path work;
};

// The verdict entry of metric `name` (verdict.metrics is a list).
json metricOf(const json& verdict, const std::string& name) {
  for (const auto& m : verdict.value("metrics", json::array()))
    if (m.value("name", "") == name) return m;
  return json();
}

TEST_F(PrometheusCanaryE2E, ACanaryThatOnlyTheServicesOwnMetricShowsAsBadIsRolledBack) {
  release("1.0.0", "");
  release("3.0.0", "--parse-failure-rate 0.3");
  ASSERT_EQ(runRamp({"deploy", "crawler", "--env", "prod", "--version", "1.0.0"}, work), 0);
  // Prometheus has found the stable fleet's instance and scraped it.
  ASSERT_TRUE(prom->waitFor("sum(up{ramp_release=\"1.0.0\"})", [](double v) { return v >= 1; }))
      << "the instance was never scraped; prometheus log: " << prom->log();
  ramp::e2e::VersionTraffic t(status()["entrypoint"].get<std::string>(), 3, {}, crawlPath());
  t.start();
  std::string out;
  int rc = runRamp({"deploy", "crawler", "--env", "prod", "--version", "3.0.0"}, work, &out);
  t.stop();
  auto d = status()["deployment"];
  EXPECT_EQ(rc, 3) << "3 = rolled back\n" << out << d.dump(2);
  EXPECT_EQ(d.value("state", ""), "rolled_back") << d.dump(2);
  std::string reason = d.value("reason", "");
  EXPECT_NE(reason.find("parse_failures"), std::string::npos) << reason;
  // The router saw nothing wrong: no request failed anywhere.
  EXPECT_TRUE(t.failures().empty());
  EXPECT_GT(t.answers()["3.0.0"], 0u);
  ASSERT_TRUE(d["verdict"].is_object()) << d.dump(2);
  EXPECT_EQ(d["verdict"].value("verdict", ""), "fail") << d["verdict"].dump(2);
  auto pf = metricOf(d["verdict"], "parse_failures");
  EXPECT_EQ(pf.value("classification", ""), "high") << d["verdict"].dump(2);
  auto router = metricOf(d["verdict"], "error_rate");
  EXPECT_EQ(router.value("classification", ""), "pass") << "the router's error rate is clean: " << d["verdict"].dump(2);
  std::cout << "verdict: " << d["verdict"].value("reason", "") << "\n";
}

TEST_F(PrometheusCanaryE2E, AHealthyCanaryPassesOnTheSameMetricsByItself) {
  release("1.1.0", "");
  release("2.0.0", "");
  ASSERT_EQ(runRamp({"deploy", "crawler", "--env", "prod", "--version", "1.1.0"}, work), 0);
  ASSERT_TRUE(prom->waitFor("sum(up{ramp_release=\"1.1.0\"})", [](double v) { return v >= 1; }))
      << "the instance was never scraped; prometheus log: " << prom->log();
  ramp::e2e::VersionTraffic t(status()["entrypoint"].get<std::string>(), 3, {}, crawlPath());
  t.start();
  std::string out;
  int rc = runRamp({"deploy", "crawler", "--env", "prod", "--version", "2.0.0"}, work, &out);
  t.stop();
  auto d = status()["deployment"];
  EXPECT_EQ(rc, 0) << out << d.dump(2);
  EXPECT_EQ(d.value("state", ""), "succeeded") << d.dump(2);
  ASSERT_TRUE(d["verdict"].is_object()) << d.dump(2);
  EXPECT_EQ(d["verdict"].value("verdict", ""), "pass") << d["verdict"].dump(2);
  auto pf = metricOf(d["verdict"], "parse_failures");
  EXPECT_EQ(pf.value("classification", ""), "pass") << d["verdict"].dump(2);
  EXPECT_GT(pf["stats"]["canary"].value("requests", 0), 0) << "pages counted from Prometheus: " << pf.dump(2);
  EXPECT_TRUE(t.failures().empty());
}

}  // namespace
