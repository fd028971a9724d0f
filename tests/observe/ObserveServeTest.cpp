// Observability of a real `ramp serve`: /metrics in Prometheus text after
// two real blue/green deployments, the DORA stats over the API and the CLI
// (with and without a controller), bad input named, the dashboard's assets,
// and the controller's log as JSON lines when it goes to a file.
#include <gtest/gtest.h>

#include <sstream>

#include "../controller/ControllerWorld.h"

using namespace ctl;

namespace {

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

// The value of one exposition line "NAME{LABELS} VALUE", or -1.
double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

}  // namespace

TEST(ObserveServe, MetricsStatsDashboardAndJsonLogs) {
  World w("observe");
  ASSERT_TRUE(w.createReleases());
  auto log = w.home() / "serve.log";
  pid_t pid = startServe({"--home", w.home().string(), "serve"}, log);
  ASSERT_TRUE(w.waitController(pid, std::chrono::seconds(20))) << slurp(log);

  std::string out;
  ASSERT_TRUE(w.pushConfig());
  ASSERT_EQ(w.run({"deploy", "crawler", "--env", "int", "--version", "1.0.0"}, &out), 0) << out;
  ASSERT_EQ(w.run({"deploy", "crawler", "--env", "int", "--version", "2.0.0"}, &out), 0) << out;

  // /metrics: needs a token; Prometheus text with HELP/TYPE and our series.
  auto anon = http("GET", w.apiBase() + "/metrics", "");
  EXPECT_EQ(anon.status, 401);
  auto m = w.api("GET", "/metrics");
  ASSERT_EQ(m.status, 200) << m.body;
  const std::string& text = m.body;
  EXPECT_TRUE(contains(text, "# TYPE ramp_deployments_started_total counter\n")) << text;
  EXPECT_TRUE(contains(text, "# HELP ramp_deployment_duration_seconds ")) << text;
  EXPECT_EQ(sample(text, "ramp_deployments_started_total{env=\"int\",service=\"crawler\"}"), 2) << text;
  EXPECT_EQ(sample(text, "ramp_deployments_finished_total{env=\"int\",result=\"succeeded\",service=\"crawler\"}"), 2) << text;
  EXPECT_EQ(sample(text, "ramp_deployment_duration_seconds_count{env=\"int\",result=\"succeeded\",service=\"crawler\"}"), 2) << text;
  EXPECT_EQ(sample(text, "ramp_deployments_active{state=\"running\"}"), 0) << text;
  EXPECT_GT(sample(text, "ramp_controller_tick_seconds_count"), 0) << text;
  EXPECT_GT(sample(text, "ramp_controller_store_call_seconds_count{call=\"list_events\"}"), 0) << text;
  // Exactly one fleet carries all of int's traffic after the switch.
  EXPECT_TRUE(contains(text, "ramp_fleet_traffic_weight_ratio{env=\"int\",fleet=\"")) << text;
  EXPECT_TRUE(contains(text, "\"} 1\n")) << text;

  // DORA over the API.
  auto s = w.api("GET", "/api/v1/stats?since=1d");
  ASSERT_EQ(s.status, 200) << s.body;
  auto sj = s.parsed();
  ASSERT_EQ(sj["services"].size(), 1u) << s.body;
  EXPECT_EQ(sj["services"][0]["service"], "crawler");
  EXPECT_EQ(sj["services"][0]["env"], "int");
  EXPECT_EQ(sj["services"][0]["deployment_frequency"]["succeeded"], 2);
  EXPECT_EQ(sj["services"][0]["lead_time"]["samples"], 2);
  EXPECT_EQ(sj["services"][0]["change_failure_rate"]["rate"], 0.0);
  auto bad = w.api("GET", "/api/v1/stats?since=yesterday");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.parsed()["error"].value("field", ""), "since") << bad.body;

  // The CLI through the API, and its bad input.
  ASSERT_EQ(w.run({"stats", "--json", "--since", "2d"}, &(out = "")), 0) << out;
  auto cj = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(cj.is_object()) << out;
  EXPECT_EQ(cj["services"][0]["deployment_frequency"]["succeeded"], 2);
  ASSERT_EQ(w.run({"stats"}, &(out = "")), 0);
  EXPECT_TRUE(contains(out, "crawler")) << out;
  EXPECT_TRUE(contains(out, "0% (0/2)")) << out;
  EXPECT_EQ(w.run({"stats", "--since", "soon"}, &(out = "")), 1);

  // The dashboard: assets without a token, data only with one.
  auto index = http("GET", w.apiBase() + "/", "");
  EXPECT_EQ(index.status, 200);
  EXPECT_TRUE(contains(index.body, "<title>ramp</title>")) << index.body;
  auto js = http("GET", w.apiBase() + "/ui/app.js", "");
  EXPECT_EQ(js.status, 200);
  EXPECT_TRUE(contains(js.body, "EventSource"));
  EXPECT_EQ(http("GET", w.apiBase() + "/ui/nothing.js", "").status, 404);
  EXPECT_EQ(http("GET", w.apiBase() + "/api/v1/dashboard/session", "").status, 401);
  auto session = w.api("GET", "/api/v1/dashboard/session");
  ASSERT_EQ(session.status, 200) << session.body;
  EXPECT_TRUE(session.parsed()["roles"].contains("*")) << session.body;
  // The event stream takes the token as ?access_token= (EventSource).
  auto stream = http("GET", w.apiBase() + "/api/v1/events/stream?access_token=" + w.token(), "", std::nullopt, 700);
  EXPECT_EQ(stream.status, 200);
  EXPECT_TRUE(contains(stream.body, "event: deployment.created")) << stream.body.substr(0, 300);
  EXPECT_EQ(http("GET", w.apiBase() + "/api/v1/events/stream?access_token=wrong", "", std::nullopt, 700).status, 401);

  bool stopped = false;
  EXPECT_EQ(downAndReap(w, {pid}, &stopped), 0);
  EXPECT_TRUE(stopped);

  // Without a controller the CLI computes the same figures from the store.
  ASSERT_EQ(w.run({"stats", "--json"}, &(out = "")), 0) << out;
  auto lj = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(lj.is_object()) << out;
  EXPECT_EQ(lj["services"][0]["deployment_frequency"]["succeeded"], 2);

  // The controller logged to a file: one JSON object per line; the
  // submissions name their deployment.
  std::istringstream lines(slurp(log));
  std::string line;
  int json = 0, withDeployment = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) continue;  // the router and instances share the file
    if (j.value("component", "") != "controller") continue;
    ++json;
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("msg")) << line;
    if (contains(j.value("msg", ""), "submitted")) {
      EXPECT_EQ(j.value("service", ""), "crawler") << line;
      EXPECT_EQ(j.value("env", ""), "int") << line;
      if (j.value("deployment", "").rfind("d-", 0) == 0) ++withDeployment;
    }
  }
  EXPECT_GE(json, 3) << slurp(log);
  EXPECT_EQ(withDeployment, 2) << slurp(log);
}
