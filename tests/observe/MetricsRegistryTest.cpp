// The registry's text is checked byte for byte against hand-written
// Prometheus exposition text; the feed against a real SQLite store with
// events appended as the engine writes them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "server/MetricsFeed.h"
#include "server/MetricsRegistry.h"

using ramp::server::MetricsFeed;
using ramp::server::MetricsRegistry;

TEST(MetricsRegistry, RendersCountersGaugesAndHistogramsExactly) {
  MetricsRegistry r;
  r.counter("ramp_b_total", "B things.");
  r.gauge("ramp_a", "A \\ level\nsecond line.");
  r.histogram("ramp_c_seconds", "C time.", {0.1, 1});
  r.add("ramp_b_total", {{"service", "crawler"}, {"env", "prod"}});
  r.add("ramp_b_total", {{"env", "prod"}, {"service", "crawler"}}, 2);  // same series, labels reordered
  r.add("ramp_b_total", {{"service", "x\"y\\z\nw"}, {"env", "int"}});
  r.set("ramp_a", {}, 0.25);
  r.observe("ramp_c_seconds", {{"call", "x"}}, 0.05);
  r.observe("ramp_c_seconds", {{"call", "x"}}, 0.1);   // on the bound: in le="0.1"
  r.observe("ramp_c_seconds", {{"call", "x"}}, 0.5);
  r.observe("ramp_c_seconds", {{"call", "x"}}, 7);
  EXPECT_EQ(r.render(),
            "# HELP ramp_a A \\\\ level\\nsecond line.\n"
            "# TYPE ramp_a gauge\n"
            "ramp_a 0.25\n"
            "# HELP ramp_b_total B things.\n"
            "# TYPE ramp_b_total counter\n"
            "ramp_b_total{env=\"int\",service=\"x\\\"y\\\\z\\nw\"} 1\n"
            "ramp_b_total{env=\"prod\",service=\"crawler\"} 3\n"
            "# HELP ramp_c_seconds C time.\n"
            "# TYPE ramp_c_seconds histogram\n"
            "ramp_c_seconds_bucket{call=\"x\",le=\"0.1\"} 2\n"
            "ramp_c_seconds_bucket{call=\"x\",le=\"1\"} 3\n"
            "ramp_c_seconds_bucket{call=\"x\",le=\"+Inf\"} 4\n"
            "ramp_c_seconds_sum{call=\"x\"} 7.65\n"
            "ramp_c_seconds_count{call=\"x\"} 4\n");
}

TEST(MetricsRegistry, ClearedGaugeLosesItsOldSeries) {
  MetricsRegistry r;
  r.gauge("ramp_g", "G.");
  r.set("ramp_g", {{"fleet", "old"}}, 1);
  r.clear("ramp_g");
  r.set("ramp_g", {{"fleet", "new"}}, 0.5);
  EXPECT_EQ(r.render(), "# HELP ramp_g G.\n# TYPE ramp_g gauge\nramp_g{fleet=\"new\"} 0.5\n");
  EXPECT_EQ(r.value("ramp_g", {{"fleet", "old"}}), 0);
}

TEST(MetricsRegistry, EmptyFamilyStillHasHelpAndType) {
  MetricsRegistry r;
  r.histogram("ramp_h_seconds", "H.", {1});
  EXPECT_EQ(r.render(), "# HELP ramp_h_seconds H.\n# TYPE ramp_h_seconds histogram\n");
}

namespace {

ramp::store::AuditEvent event(int64_t seq, int64_t time, const std::string& kind, const std::string& dep,
                              nlohmann::json data, const std::string& env = "prod") {
  ramp::store::AuditEvent e;
  e.seq = seq;
  e.time = time;
  e.kind = kind;
  e.service = "crawler";
  e.env = env;
  e.deploymentId = dep;
  e.actor = "ramp";
  e.data = std::move(data);
  return e;
}

}  // namespace

TEST(MetricsFeed, CountsDeploymentsFromAuditEventsInAStore) {
  auto home = std::filesystem::path(std::getenv("RAMP_HOME") ? std::getenv("RAMP_HOME") : "/tmp") / "metrics-feed";
  std::filesystem::remove_all(home);
  std::filesystem::create_directories(home);
  auto st = ramp::store::openStore("sqlite://" + (home / "ramp.db").string());
  ASSERT_TRUE(st) << st.error().describe();
  auto append = [&](const ramp::store::AuditEvent& e) {
    ramp::store::AuditEventInput in = e;
    auto r = (*st)->appendEvent(in);
    ASSERT_TRUE(r) << r.error().describe();
  };
  append(event(0, 1'000, "deployment.created", "d1", {{"version", "1.0"}}));
  append(event(0, 61'000, "deployment.finished", "d1", {{"state", "succeeded"}}));
  append(event(0, 70'000, "deployment.finished", "d1", {{"state", "succeeded"}}));  // repeated after the bake
  append(event(0, 100'000, "deployment.created", "d2", {{"version", "1.1"}}, "int"));
  append(event(0, 105'000, "traffic.set", "d2", {{"entrypoint", "crawler-int"}, {"weights", {{"f1", 90}, {"f2", 10}}}}, "int"));
  append(event(0, 125'000, "deployment.finished", "d2", {{"state", "rolled_back"}}, "int"));
  append(event(0, 126'000, "traffic.set", "d2", {{"entrypoint", "crawler-int"}, {"weights", {{"f1", 100}}}}, "int"));

  MetricsRegistry reg;
  MetricsFeed feed(**st, reg);
  ASSERT_TRUE(feed.scrape());
  EXPECT_EQ(reg.value("ramp_deployments_started_total", {{"service", "crawler"}, {"env", "prod"}}), 1);
  EXPECT_EQ(reg.value("ramp_deployments_finished_total", {{"service", "crawler"}, {"env", "prod"}, {"result", "succeeded"}}), 1);
  EXPECT_EQ(reg.value("ramp_deployments_finished_total", {{"service", "crawler"}, {"env", "int"}, {"result", "rolled_back"}}), 1);
  EXPECT_EQ(reg.value("ramp_rollbacks_total", {{"service", "crawler"}, {"env", "int"}}), 1);
  EXPECT_EQ(reg.value("ramp_rollbacks_total", {{"service", "crawler"}, {"env", "prod"}}), 0);
  EXPECT_EQ(reg.value("ramp_fleet_traffic_weight_ratio", {{"service", "crawler"}, {"env", "int"}, {"fleet", "f1"}}), 1);
  EXPECT_EQ(reg.value("ramp_fleet_traffic_weight_ratio", {{"service", "crawler"}, {"env", "int"}, {"fleet", "f2"}}), 0);
  auto text = reg.render();
  // d1 took 60 s: in the le="60" bucket, not in le="30".
  EXPECT_NE(text.find("ramp_deployment_duration_seconds_bucket{env=\"prod\",result=\"succeeded\",service=\"crawler\",le=\"30\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("ramp_deployment_duration_seconds_bucket{env=\"prod\",result=\"succeeded\",service=\"crawler\",le=\"60\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("ramp_deployment_duration_seconds_sum{env=\"int\",result=\"rolled_back\",service=\"crawler\"} 25\n"), std::string::npos) << text;
  EXPECT_NE(text.find("ramp_deployments_active{state=\"running\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE ramp_controller_store_call_seconds histogram\n"), std::string::npos);

  // A second scrape reads only new events: the totals do not double.
  ASSERT_TRUE(feed.scrape());
  EXPECT_EQ(reg.value("ramp_deployments_started_total", {{"service", "crawler"}, {"env", "prod"}}), 1);
  append(event(0, 200'000, "deployment.created", "d3", {{"version", "1.2"}}));
  ASSERT_TRUE(feed.scrape());
  EXPECT_EQ(reg.value("ramp_deployments_started_total", {{"service", "crawler"}, {"env", "prod"}}), 2);
  // d1 undone by a person: a rollback deployment r1, d1 ends rolled_back.
  append(event(0, 300'000, "deployment.created", "r1", {{"version", "1.0"}}));
  append(event(0, 300'001, "deployment.rollback", "r1", {{"rolls_back", "d1"}}));
  append(event(0, 310'000, "deployment.finished", "d1", {{"state", "rolled_back"}}));
  append(event(0, 310'001, "deployment.finished", "r1", {{"state", "rolled_back"}}));
  ASSERT_TRUE(feed.scrape());
  EXPECT_EQ(reg.value("ramp_rollbacks_total", {{"service", "crawler"}, {"env", "prod"}}), 1);
  EXPECT_EQ(reg.value("ramp_deployments_finished_total", {{"service", "crawler"}, {"env", "prod"}, {"result", "succeeded"}}), 1);
  EXPECT_EQ(reg.value("ramp_deployments_finished_total", {{"service", "crawler"}, {"env", "prod"}, {"result", "rolled_back"}}), 1);
  std::filesystem::remove_all(home);
}
