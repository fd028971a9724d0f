// The loop around the judge fails safe (issue #16), end to end with the real
// binary, controller, router and crawler instances:
//  - the controller killed (kill -9) mid-canary with a bad canary, and kept
//    from coming back for a while (the test holds controller.start.lock, as
//    a starter that hangs would): within the weight lease (3 s) + 2 s the
//    router has sent the canary's traffic back to the stable fleet by
//    itself, no request fails from then on, and once the router's watcher
//    brings the controller back it finds the lease ran out and rolls the
//    deployment back — without any command;
//  - the router killed (kill -9) mid-analysis, no traffic afterwards: the
//    judge measures through the counters' restart (what it had measured is
//    carried, `analysis.restart` in the audit) and the step still ends at
//    its deadline (inconclusive: paused for a person), never left open;
//  - every canary instance and its shim killed (kill -9) mid-analysis, the
//    provider's replacements never healthy (the canary cannot come back):
//    the router serves the canary's share from the stable fleet (no request
//    fails), counts each such request once as the canary's error (upstream
//    error + fallback, never also a 5xx), the judge sees exactly those
//    errors and fails the canary, and the deployment ends rolled back;
//  - a deployment fails while its alert's webhook receiver is down, the
//    controller is killed (kill -9) right after, and the receiver comes up:
//    the alert, written to the store's outbox with the deployment's last
//    event, is delivered by the controller that comes back — exactly once.
// Only the API is read while the controller is down (controller.json +
// admin.token), never the CLI: a CLI call would start a dead controller.
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../audit/LoopbackReceiver.h"
#include "RampProcess.h"
#include "VersionTraffic.h"

namespace fs = std::filesystem;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

using ramp::e2e::env;
using ramp::e2e::runRamp;
using Traffic = ramp::e2e::VersionTraffic;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

size_t sink(char* p, size_t s, size_t n, void* u) {
  static_cast<std::string*>(u)->append(p, s * n);
  return s * n;
}

size_t versionHeader(char* p, size_t s, size_t n, void* u) {
  std::string line(p, s * n);
  if (line.size() > 15 && strncasecmp(line.c_str(), "X-Ramp-Version:", 15) == 0) {
    std::string v = line.substr(15);
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
    *static_cast<std::string*>(u) = v;
  }
  return s * n;
}

struct Answer {
  long status = 0;
  std::string body, version;
};

// One request (2 s at most); status 0 when no answer came.
Answer request(const std::string& method, const std::string& url, const std::string& token = "") {
  Answer a;
  CURL* c = curl_easy_init();
  curl_slist* hs = nullptr;
  if (!token.empty()) hs = curl_slist_append(hs, ("Authorization: Bearer " + token).c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &a.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, versionHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &a.version);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
  curl_slist_free_all(hs);
  curl_easy_cleanup(c);
  return a;
}

json getJson(const std::string& url, const std::string& token) {
  auto a = request("GET", url, token);
  if (a.status != 200) return json();
  return json::parse(a.body, nullptr, false);
}

class FailsafeE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    home = env("RAMP_HOME");
    ASSERT_FALSE(home.empty());
    work = home / ("work-" + std::to_string(++counter));
    fs::create_directories(work);
    // The alerted service's webhook: a port nobody listens on yet (a
    // receiver that is down), taken from a receiver opened and closed here.
    { ramp::testing::LoopbackReceiver probe("", {200}); hookPort = probe.port(); }
    std::string yaml = slurp(fs::path(env("RAMP_E2E_DIR")) / "failsafe.yaml");
    const std::string hook = "@HOOK_URL@";
    yaml.replace(yaml.find(hook), hook.size(), fmt::format("http://127.0.0.1:{}/hook", hookPort));
    std::ofstream(work / "ramp.yaml") << yaml << "\n";
    // The controller deploys only its config of record (#15).
    ASSERT_EQ(runRamp({"config", "push", "-m", "failsafe world"}, work), 0);
  }
  void TearDown() override {
    if (traffic) traffic->stop();
    if (startLock >= 0) close(startLock);
    runRamp({"down"}, work);
  }

  void release(const std::string& service, const std::string& version, const std::string& flags) {
    releaseWith(service, version, "exec \"$(dirname \"$0\")/crawler-bin\" --quiet " + flags + " \"$@\"\n");
  }
  // A release whose bin/crawler is the shell `script` (the crawler binary
  // beside it as bin/crawler-bin).
  void releaseWith(const std::string& service, const std::string& version, const std::string& script) {
    fs::path dir = home / ("src-" + service + "-" + version);
    fs::create_directories(dir / "bin");
    fs::copy_file(env("RAMP_CRAWLER_BIN"), dir / "bin" / "crawler-bin", fs::copy_options::overwrite_existing);
    std::ofstream(dir / "bin" / "crawler") << "#!/bin/sh\n" << script;
    fs::permissions(dir / "bin" / "crawler", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    ASSERT_EQ(runRamp({"release", "create", service, "--version", version, "--from", dir.string()}, work), 0);
  }
  std::string entrypoint(const std::string& service) {
    std::string out;
    EXPECT_EQ(runRamp({"status", service, "--env", "prod", "--json"}, work, &out), 0) << out;
    return json::parse(out)["entrypoint"].get<std::string>();
  }
  std::string deployDetached(const std::string& service, const std::string& version) {
    std::string out;
    EXPECT_EQ(runRamp({"deploy", service, "--env", "prod", "--version", version, "--detach"}, work, &out), 0) << out;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }
  // The controller's API, read directly (no CLI: it would start a dead
  // controller); null while it does not answer.
  json api(const std::string& path) {
    auto cj = json::parse(slurp(home / "controller.json"), nullptr, false);
    if (!cj.is_object()) return json();
    return getJson(cj.value("url", "http://" + cj.value("address", "")) + path, slurp(home / "admin.token"));
  }
  json deployment(const std::string& id) { return api("/api/v1/deployments/" + id); }
  // Polls (every 100 ms, at most `limit`) until `pred` holds; the last seen.
  json waitFor(const std::string& id, const std::function<bool(const json&)>& pred, std::chrono::seconds limit) {
    json d;
    auto deadline = SteadyClock::now() + limit;
    while (SteadyClock::now() < deadline) {
      if (auto x = deployment(id); x.is_object()) {
        d = x;
        if (pred(d)) return d;
      }
      std::this_thread::sleep_for(100ms);
    }
    return d;
  }
  static std::function<bool(const json&)> inPhase(const std::string& phase) {
    return [phase](const json& x) { return x.value("phase", "") == phase; };
  }
  static bool ended(const json& d) {
    std::string s = d.value("state", "");
    return (s == "succeeded" || s == "rolled_back" || s == "failed" || s == "aborted") && d.value("phase", "") == "done";
  }
  std::vector<json> events(const std::string& id, const std::string& kind) {
    std::vector<json> out;
    auto evs = api("/api/v1/events?deployment=" + id);
    for (auto& e : evs.is_array() ? evs : json::array()) {
      if (e.value("kind", "") == kind) out.push_back(e);
    }
    return out;
  }
  pid_t pidIn(const fs::path& file) {
    auto j = json::parse(slurp(file), nullptr, false);
    return j.is_object() ? j.value("pid", 0) : 0;
  }
  // The router's admin API (GET), or null.
  json router(const std::string& path) {
    auto j = json::parse(slurp(home / "router" / "admin.json"), nullptr, false);
    if (!j.is_object()) return json();
    return getJson("http://" + j.value("address", "") + path, slurp(home / "router" / "admin.token"));
  }
  // One fleet's counters on the router's entry point (null if it has none).
  json fleetStats(const std::string& entrypoint, const std::string& fleet) {
    auto st = router("/admin/v1/entrypoints/" + entrypoint + "/stats");
    for (auto& f : st.is_object() && st["fleets"].is_array() ? st["fleets"] : json::array()) {
      if (f.value("fleet", "") == fleet) return f;
    }
    return json();
  }
  // A deployment's first "lease" state on the router's entry point.
  std::string leaseState(const std::string& service) {
    auto ep = router("/admin/v1/entrypoints/" + service + ".prod.local");
    if (!ep.is_object() || !ep["lease"].is_object()) return "none";
    return ep["lease"].value("state", "?");
  }
  // The service's latest verdict ("continue" ones included), or null.
  json latestVerdict(const std::string& service) {
    auto st = api("/api/v1/status?service=" + service + "&env=prod");
    if (!st.is_array() || st.empty()) return json();
    return st[0]["deployment"].value("verdict", json());
  }
  // The canary's requests (or errors) in a verdict's error-rate metric; -1 if none.
  static int canaryRequests(const json& verdict, const char* what = "requests") {
    if (!verdict.is_object() || !verdict.contains("metrics") || !verdict["metrics"].is_array()) return -1;
    for (const auto& m : verdict["metrics"]) {
      if (m.value("name", "") != "error_rate") continue;
      const auto& c = m.value("stats", json::object()).value("canary", json::object());
      return c.is_object() ? c.value(what, -1) : -1;
    }
    return -1;
  }

  fs::path home, work;
  std::unique_ptr<Traffic> traffic;
  int startLock = -1;
  int hookPort = 0;
  static inline int counter = 0;
};

TEST_F(FailsafeE2E, AControllerKilledMidBadCanaryLosesTheCanarysWeightWithinTheLeaseAndEndsRolledBack) {
  release("held", "1.0.0", "");
  release("held", "3.0.0", "--error-rate 0.1");
  ASSERT_EQ(runRamp({"deploy", "held", "--env", "prod", "--version", "1.0.0"}, work), 0);
  traffic = std::make_unique<Traffic>(entrypoint("held"), 4);
  traffic->start();
  std::string id = deployDetached("held", "3.0.0");
  auto d = waitFor(id, inPhase("canary_pause"), 60s);
  ASSERT_EQ(d.value("phase", ""), "canary_pause") << d.dump(2);
  // The bad canary serves its 20% (and fails a tenth of it).
  for (auto until = SteadyClock::now() + 10s; SteadyClock::now() < until && traffic->answers()["3.0.0"] < 20;)
    std::this_thread::sleep_for(50ms);
  ASSERT_GE(traffic->answers()["3.0.0"], 20u) << "the canary never answered";
  EXPECT_EQ(leaseState("held"), "held");

  // Nobody may start a controller for now: the test holds the start lock
  // that every starter (the router's watcher, the CLI) takes.
  startLock = open((home / "controller.start.lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_GE(startLock, 0);
  ASSERT_EQ(flock(startLock, LOCK_EX), 0);
  pid_t controller = pidIn(home / "controller.json");
  ASSERT_GT(controller, 0);
  ASSERT_EQ(kill(controller, SIGKILL), 0);
  auto killed = SteadyClock::now();

  // The canary stops answering once the router's lease runs out: no answer
  // from it for a whole second (bounded: lease + 5 s).
  while (SteadyClock::now() < killed + 8s) {
    auto last = traffic->lastAnswer("3.0.0");
    if (last && SteadyClock::now() - *last > 1s) break;
    std::this_thread::sleep_for(50ms);
  }
  auto lastCanary = traffic->lastAnswer("3.0.0");
  ASSERT_TRUE(lastCanary.has_value());
  double backOnStable = std::chrono::duration<double>(*lastCanary - killed).count();
  auto failuresThen = traffic->failures();
  auto answersThen = traffic->answers();
  EXPECT_EQ(leaseState("held"), "expired") << router("/admin/v1/entrypoints/held.prod.local").dump();
  EXPECT_LT(backOnStable, 3.0 + 2.0) << "the canary's traffic back on the stable fleet within the lease + 2 s";

  // Two more seconds with no controller: everything on stable, nothing fails.
  std::this_thread::sleep_for(2s);
  EXPECT_GT(traffic->answers()["1.0.0"], answersThen["1.0.0"]) << "the stable fleet serves";

  // The router's watcher may start the controller again: without any command
  // it finds the lease ran out and rolls the deployment back.
  close(startLock);
  startLock = -1;
  auto released = SteadyClock::now();
  d = waitFor(id, ended, 60s);
  double rolledBackIn = std::chrono::duration<double>(SteadyClock::now() - released).count();
  traffic->stop();
  EXPECT_EQ(d.value("state", ""), "rolled_back") << d.dump(2);
  EXPECT_NE(d.value("reason", "").find("weight lease (3000 ms) ran out"), std::string::npos) << d.value("reason", "");
  EXPECT_NE(pidIn(home / "controller.json"), controller) << "another controller finished it";
  EXPECT_EQ(traffic->lastAnswer("3.0.0"), lastCanary) << "the canary never got traffic back";
  auto failures = traffic->failures();
  for (auto& [version, n] : failures) {
    EXPECT_EQ(n, failuresThen[version]) << "a request failed (" << version << ") after the lease ran out";
  }
  EXPECT_EQ(failures["1.0.0"], 0u);
  EXPECT_EQ(failures["?"], 0u) << "no request failed outside the canary";
  std::cout << fmt::format("controller killed: canary traffic back on stable after {:.2f} s (lease 3 s); "
                           "{} canary failures before that, 0 after; rolled back {:.1f} s after the controller "
                           "could start again\n",
                           backOnStable, failuresThen["3.0.0"], rolledBackIn);
}

TEST_F(FailsafeE2E, ARouterKilledMidAnalysisIsMeasuredThroughAndTheStepStillEndsAtItsDeadline) {
  release("judged", "1.0.0", "");
  release("judged", "2.0.0", "");
  ASSERT_EQ(runRamp({"deploy", "judged", "--env", "prod", "--version", "1.0.0"}, work), 0);
  std::string url = entrypoint("judged");
  std::string id = deployDetached("judged", "2.0.0");
  auto d = waitFor(id, inPhase("canary_analysis"), 60s);
  ASSERT_EQ(d.value("phase", ""), "canary_analysis") << d.dump(2);
  auto analysing = SteadyClock::now();
  // 100 requests one after the other: the router's deck gives the canary
  // exactly 20 of them, fewer than min_requests (50): no verdict yet.
  int canary = 0;
  for (int i = 0; i < 100; ++i) {
    auto a = request("GET", url + "/");
    ASSERT_EQ(a.status, 200) << i;
    if (a.version == "2.0.0") ++canary;
  }
  EXPECT_EQ(canary, 20);
  // A look has seen them (the latest verdict, "continue").
  json seen;
  for (auto until = SteadyClock::now() + 10s; SteadyClock::now() < until; std::this_thread::sleep_for(50ms)) {
    seen = latestVerdict("judged");
    if (canaryRequests(seen) == canary) break;
  }
  ASSERT_EQ(canaryRequests(seen), canary) << seen.dump();
  ASSERT_EQ(deployment(id).value("phase", ""), "canary_analysis");

  pid_t routerPid = pidIn(home / "router" / "admin.json");
  ASSERT_GT(routerPid, 0);
  ASSERT_EQ(kill(routerPid, SIGKILL), 0);
  // The controller brings the router back (every second); no traffic after.
  auto killed = SteadyClock::now();
  while (SteadyClock::now() < killed + 10s) {
    pid_t now = pidIn(home / "router" / "admin.json");
    if (now > 0 && now != routerPid && router("/admin/v1/ping").is_object()) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_NE(pidIn(home / "router" / "admin.json"), routerPid) << "the router did not come back";

  d = waitFor(id, [](const json& x) { return x.value("phase", "") != "canary_analysis"; }, 20s);
  double took = std::chrono::duration<double>(SteadyClock::now() - analysing).count();
  EXPECT_EQ(d.value("state", ""), "paused") << d.dump(2);
  EXPECT_EQ(d.value("phase", ""), "canary_pause") << d.dump(2);
  EXPECT_NE(d.value("reason", "").find("inconclusive"), std::string::npos) << d.value("reason", "");
  auto verdicts = events(id, "verdict");
  ASSERT_EQ(verdicts.size(), 1u);
  auto verdict = verdicts.back()["data"];
  EXPECT_EQ(verdict.value("verdict", ""), "inconclusive") << "no false verdict: " << verdict.dump();
  EXPECT_EQ(canaryRequests(verdict), canary)
      << "what was measured before the restart is carried: " << verdict.dump();
  auto restarts = events(id, "analysis.restart");
  ASSERT_FALSE(restarts.empty()) << "the counters' restart was not seen";
  EXPECT_EQ(restarts.front()["data"]["canary"].value("carried_requests", 0), canary) << restarts.front().dump();
  std::cout << fmt::format("router killed mid-analysis: step ended (inconclusive, {} canary requests carried) "
                           "{:.1f} s after it began; deadline 5 s\n",
                           canary, took);
  EXPECT_EQ(runRamp({"abort", "judged", "--env", "prod"}, work), 0);
}

TEST_F(FailsafeE2E, AllCanaryInstancesDeadMidAnalysisFallBackToStableCountedOnceAndTheCanaryIsRolledBack) {
  release("fallen", "1.0.0", "");
  // The canary's own two instances (i0-0, i1-1) serve; the replacements the
  // provider starts after they die fail their health check, so no canary
  // instance is healthy again while the test runs (what is under test is
  // "all canary instances dead", not "the canary back in a second").
  releaseWith("fallen", "2.0.0",
              "case \"$RAMP_INSTANCE_ID\" in\n"
              "  i0-0|i1-1) exec \"$(dirname \"$0\")/crawler-bin\" --quiet \"$@\" ;;\n"
              "esac\n"
              "exec \"$(dirname \"$0\")/crawler-bin\" --quiet --fail-health \"$@\"\n");
  ASSERT_EQ(runRamp({"deploy", "fallen", "--env", "prod", "--version", "1.0.0"}, work), 0);
  const std::string url = entrypoint("fallen"), ep = "fallen.prod.local";
  std::string id = deployDetached("fallen", "2.0.0");
  auto d = waitFor(id, inPhase("canary_analysis"), 60s);
  ASSERT_EQ(d.value("phase", ""), "canary_analysis") << d.dump(2);
  const std::string canaryFleet = d.value("new_fleet", ""), stableFleet = d.value("old_fleet", "");
  ASSERT_FALSE(canaryFleet.empty()) << d.dump(2);

  // 100 requests one after the other while the canary is alive: its 20%
  // answer (all well: the analysis window holds 20 good canary requests).
  std::map<std::string, int> before;
  for (int i = 0; i < 100; ++i) {
    auto a = request("GET", url + "/");
    ASSERT_EQ(a.status, 200) << i;
    ++before[a.version];
  }
  const int served = before["2.0.0"];
  EXPECT_EQ(served, 20);

  // kill -9 every canary instance (its process group) and its shim.
  auto rec = json::parse(slurp(home / "fleets" / canaryFleet / "fleet.json"), nullptr, false);
  ASSERT_TRUE(rec.is_object()) << canaryFleet;
  std::vector<int> ports;
  for (const auto& inst : rec["instances"]) {
    if (inst.value("state", "") != "healthy") continue;
    pid_t shim = inst.value("shimPid", 0), child = inst.value("childPid", 0);
    ASSERT_GT(shim, 0);
    ASSERT_GT(child, 0);
    ASSERT_EQ(kill(shim, SIGKILL), 0);
    kill(-child, SIGKILL);
    kill(child, SIGKILL);
    ports.push_back(inst.value("port", 0));
  }
  ASSERT_EQ(ports.size(), 2u) << rec.dump(2);
  // Dead means refusing connections (bounded: a killed process is gone in
  // well under 10 s even on a loaded machine).
  auto refused = [&] {
    for (int port : ports) {
      if (request("GET", fmt::format("http://127.0.0.1:{}/healthz", port)).status != 0) return false;
    }
    return true;
  };
  for (auto until = SteadyClock::now() + 10s; SteadyClock::now() < until && !refused();)
    std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(refused()) << "the killed canary instances still answer";
  auto canary0 = fleetStats(ep, canaryFleet), stable0 = fleetStats(ep, stableFleet);
  ASSERT_TRUE(canary0.is_object() && stable0.is_object()) << router("/admin/v1/entrypoints/" + ep + "/stats").dump();
  ASSERT_EQ(deployment(id).value("phase", ""), "canary_analysis") << "the canary was judged before it died";

  // 100 more requests: none fails, the stable fleet answers every one.
  std::map<std::string, int> after;
  int userFailures = 0;
  for (int i = 0; i < 100; ++i) {
    auto a = request("GET", url + "/");
    if (a.status != 200) ++userFailures;
    ++after[a.status == 200 ? a.version : std::to_string(a.status)];
  }
  auto canary1 = fleetStats(ep, canaryFleet), stable1 = fleetStats(ep, stableFleet);
  EXPECT_EQ(userFailures, 0) << "a user saw the dead canary (502/503) although the stable fleet is healthy";
  EXPECT_EQ(after["1.0.0"], 100);
  auto delta = [](const json& a, const json& b, const char* k) { return b.value(k, 0) - a.value(k, 0); };
  auto counts = [](const json& f) {
    return fmt::format("{} requests: {} 2xx, {} 5xx, {} upstream errors, {} fallbacks", f.value("requests", 0),
                       f.value("status_2xx", 0), f.value("status_5xx", 0), f.value("upstream_errors", 0),
                       f.value("fallbacks", 0));
  };
  const int chosen = delta(canary0, canary1, "requests");
  // The router chose the canary for its share, could not connect to any of
  // its instances, and served the request from the stable fleet: counted
  // once, as the canary's upstream error and fallback, never as a 5xx too.
  EXPECT_GT(chosen, 0) << counts(canary1);
  EXPECT_EQ(delta(canary0, canary1, "fallbacks"), chosen) << counts(canary1);
  EXPECT_EQ(delta(canary0, canary1, "upstream_errors"), chosen) << counts(canary1);
  EXPECT_EQ(delta(canary0, canary1, "status_5xx"), 0) << "counted twice: " << counts(canary1);
  EXPECT_EQ(delta(canary0, canary1, "status_2xx"), 0) << counts(canary1);
  EXPECT_EQ(delta(stable0, stable1, "requests"), 100) << "the stable fleet counts the fallbacks as its own requests: " << counts(stable1);
  EXPECT_EQ(delta(stable0, stable1, "status_2xx"), 100) << counts(stable1);

  // The judge sees exactly those errors: its window holds the `served`
  // good requests and then only fallbacks, each one error.
  auto analysisBegan = SteadyClock::now();
  d = waitFor(id, ended, 60s);
  double rolledBackIn = std::chrono::duration<double>(SteadyClock::now() - analysisBegan).count();
  EXPECT_EQ(d.value("state", ""), "rolled_back") << d.dump(2);
  auto verdicts = events(id, "verdict");
  ASSERT_FALSE(verdicts.empty()) << "no verdict";
  auto verdict = verdicts.back()["data"];
  EXPECT_EQ(verdict.value("verdict", ""), "fail") << verdict.dump();
  const int judged = canaryRequests(verdict), errors = canaryRequests(verdict, "errors");
  EXPECT_GT(errors, 0) << verdict.dump();
  EXPECT_LE(errors, chosen) << verdict.dump();
  EXPECT_EQ(errors, judged - served) << "each fallback counted once as the canary's error: " << verdict.dump();
  std::cout << fmt::format("all canary instances killed: {} of 100 requests failed, {} chosen for the canary "
                           "({} served by the stable fleet instead); judged {} errors of {} canary requests ({} "
                           "good before the kill); rolled back {:.1f} s after the second burst\n",
                           userFailures, chosen, delta(canary0, canary1, "fallbacks"), errors, judged, served,
                           rolledBackIn);
}

TEST_F(FailsafeE2E, AnAlertOfAFailureWhileItsReceiverWasDownIsSentOnceByTheControllerThatComesBackAfterAKill) {
  releaseWith("alerted", "1.0.0", "exit 3\n");  // never healthy
  std::string id = deployDetached("alerted", "1.0.0");
  ASSERT_FALSE(id.empty());
  auto d = waitFor(id, ended, 60s);
  ASSERT_EQ(d.value("state", ""), "failed") << d.dump();
  // At once: the controller dies with the alert unsent (its receiver is down).
  pid_t controller = pidIn(home / "controller.json");
  ASSERT_GT(controller, 0);
  ASSERT_EQ(kill(controller, SIGKILL), 0);
  ramp::testing::LoopbackReceiver receiver("", {200}, hookPort);
  // Any ramp command brings the controller back (the router's watcher may
  // have already); it sends what the dead one left.
  std::string out;
  EXPECT_EQ(runRamp({"status", "alerted", "--env", "prod"}, work, &out), 0) << out;
  auto deadline = SteadyClock::now() + 30s;
  while (SteadyClock::now() < deadline && receiver.requests().empty()) std::this_thread::sleep_for(100ms);
  ASSERT_EQ(receiver.requests().size(), 1u) << "the alert was lost with the controller";
  // No second delivery after it (each attempt's id is the same; none is due).
  std::this_thread::sleep_for(3s);
  auto got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].headers.at("x-ramp-event"), "deployment.failed");
  auto body = json::parse(got[0].body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << got[0].body;
  EXPECT_EQ(body.value("deployment", ""), id);
  auto finished = events(id, "deployment.finished");
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(got[0].headers.at("x-ramp-delivery"), fmt::format("{}-0", finished[0].value("seq", 0)));
  auto sent = events(id, "notification.sent");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_GE(sent[0]["data"].value("attempts", 0), 1) << sent[0].dump();
}

}  // namespace
