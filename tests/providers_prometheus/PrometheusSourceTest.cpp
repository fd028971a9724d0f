// The Prometheus metric source against a real Prometheus server scraping the
// real example crawler, discovered through the file_sd targets file the
// local provider writes (PrometheusTargets): the crawler's business counters
// and its fetch histogram, read per fleet by label, in the shape the judge
// uses; and every way asking can go wrong, named.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "../crawler/CrawlerProcess.h"
#include "PrometheusServer.h"
#include "providers/local/PrometheusTargets.h"
#include "providers/prometheus/PrometheusClient.h"
#include "providers/prometheus/PrometheusMetricReader.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace ramp::providers;

namespace {

fs::path home() {
  const char* h = std::getenv("RAMP_HOME");
  return h ? fs::path(h) : fs::temp_directory_path();
}

FleetRecord fleet(const std::string& id, const std::string& version, std::vector<int> ports) {
  FleetRecord r;
  r.spec.fleetId = id;
  r.spec.service = "crawler";
  r.spec.env = "prod";
  r.spec.region = "local";
  r.spec.releaseVersion = version;
  int slot = 0;
  for (int p : ports) {
    InstanceRecord i;
    i.id = "i" + std::to_string(slot) + "-0";
    i.slot = slot++;
    i.port = p;
    i.state = "healthy";
    r.instances.push_back(i);
  }
  return r;
}

// n crawls of the crawler's own front page through /crawl.
void crawl(crawler_test::CrawlerProcess& c, int n) {
  for (int i = 0; i < n; ++i) {
    auto r = crawler_test::HttpClient(c.port())
                 .request(crawler_test::http::verb::get, "/crawl?url=http://127.0.0.1:" + std::to_string(c.port()) + "/");
    ASSERT_EQ(r.status, 200) << r.body;
  }
}

json pagesMetric() {
  return {{"name", "pages"},
          {"kind", "error_rate"},
          {"prometheus",
           {{"total", "sum(crawler_pages_total{ramp_fleet=\"{{fleet}}\"})"},
            {"errors", "sum(crawler_parse_failures_total{ramp_fleet=\"{{fleet}}\"})"}}}};
}

json fetchMetric() {
  return {{"name", "fetch"},
          {"kind", "latency"},
          {"prometheus", {{"histogram", "sum by (le) (crawler_fetch_duration_seconds_bucket{ramp_fleet=\"{{fleet}}\"})"}}}};
}

}  // namespace

TEST(PrometheusSource, ReadsEachFleetsBusinessCountersAndHistogramByLabel) {
  crawler_test::CrawlerProcess good({"--quiet", "--seed", "1"}), bad({"--quiet", "--seed", "2", "--parse-failure-rate", "0.5"});
  ASSERT_GT(good.port(), 0);
  ASSERT_GT(bad.port(), 0);
  // The local provider's discovery files, as Prometheus reads them.
  ASSERT_TRUE(PrometheusTargets::write(home(), fleet("crawler-prod-local-1", "1.0.0", {good.port()})));
  ASSERT_TRUE(PrometheusTargets::write(home(), fleet("crawler-prod-local-2", "2.0.0", {bad.port()})));
  ramp::testing::PrometheusServer prom(home() / "prom", {(PrometheusTargets::dir(home()) / "*.json").string()});
  ASSERT_TRUE(prom.start()) << prom.why();

  crawl(good, 40);
  crawl(bad, 60);
  // Scraped with the fleets' labels (the file_sd labels reach the series).
  ASSERT_TRUE(prom.waitFor("sum(crawler_pages_total{ramp_fleet=\"crawler-prod-local-1\",ramp_release=\"1.0.0\"})",
                           [](double v) { return v == 40; }))
      << prom.log();
  ASSERT_TRUE(prom.waitFor("sum(crawler_pages_total{ramp_fleet=\"crawler-prod-local-2\"})", [](double v) { return v == 60; }));

  PrometheusClient client(prom.url(), std::chrono::milliseconds(2000));
  PrometheusMetricReader reader(client);
  auto g = reader.read(pagesMetric(), 2, {{"fleet", "crawler-prod-local-1"}});
  ASSERT_TRUE(g) << g.error().describe();
  EXPECT_EQ((*g)["requests"], 40);
  EXPECT_EQ((*g)["errors"], 0);
  auto b = reader.read(pagesMetric(), 2, {{"fleet", "crawler-prod-local-2"}});
  ASSERT_TRUE(b) << b.error().describe();
  EXPECT_EQ((*b)["requests"], 60);
  // --parse-failure-rate 0.5 with seed 2: some, not all, failed — the same
  // number the crawler's own /metrics says.
  auto own = crawler_test::HttpClient(bad.port()).request(crawler_test::http::verb::get, "/metrics");
  auto at = own.body.find("\ncrawler_parse_failures_total ");
  ASSERT_NE(at, std::string::npos) << own.body;
  EXPECT_EQ((*b)["errors"].get<uint64_t>(), std::stoull(own.body.substr(at + 30))) << own.body;
  EXPECT_GT((*b)["errors"].get<uint64_t>(), 10u);
  EXPECT_LT((*b)["errors"].get<uint64_t>(), 50u);

  // successes + errors is the same count.
  json alt = pagesMetric();
  alt["prometheus"].erase("total");
  alt["prometheus"]["successes"] =
      "sum(crawler_pages_total{ramp_fleet=\"{{fleet}}\"}) - sum(crawler_parse_failures_total{ramp_fleet=\"{{fleet}}\"})";
  auto b2 = reader.read(alt, 0, {{"fleet", "crawler-prod-local-2"}});
  ASSERT_TRUE(b2) << b2.error().describe();
  EXPECT_EQ(*b2, *b);

  // The histogram: per-bucket counts in ms, +Inf last, summing to the crawls.
  auto h = reader.read(fetchMetric(), 3, {{"fleet", "crawler-prod-local-1"}});
  ASSERT_TRUE(h) << h.error().describe();
  ASSERT_EQ((*h)["bounds"].size(), 14u) << *h;
  EXPECT_DOUBLE_EQ((*h)["bounds"][0].get<double>(), 0.5);
  EXPECT_EQ((*h)["bounds"].back(), "+Inf");
  uint64_t n = 0;
  for (const auto& c : (*h)["counts"]) n += c.get<uint64_t>();
  EXPECT_EQ(n, 40u);

  // A fleet Prometheus has never seen: zero, not an error (a canary before its first scrape).
  auto none = reader.read(pagesMetric(), 2, {{"fleet", "no-such-fleet"}});
  ASSERT_TRUE(none) << none.error().describe();
  EXPECT_EQ((*none)["requests"], 0);
  auto noneH = reader.read(fetchMetric(), 3, {{"fleet", "no-such-fleet"}});
  ASSERT_TRUE(noneH);
  EXPECT_TRUE((*noneH)["counts"].empty());

  // A retired fleet's file is gone: Prometheus stops scraping it.
  PrometheusTargets::remove(home(), "crawler-prod-local-2");
  EXPECT_FALSE(fs::exists(PrometheusTargets::dir(home()) / "crawler-prod-local-2.json"));
  EXPECT_TRUE(prom.waitFor("up{ramp_fleet=\"crawler-prod-local-2\"}", [](double v) { return v < 0; }));
}

TEST(PrometheusSource, EveryFailureIsNamed) {
  ramp::testing::PrometheusServer prom(home() / "prom2", {}, {});
  ASSERT_TRUE(prom.start()) << prom.why();
  PrometheusClient client(prom.url(), std::chrono::milliseconds(2000));
  PrometheusMetricReader reader(client);

  // Prometheus refuses the query: its own message, the metric's key.
  json broken = pagesMetric();
  broken["prometheus"]["errors"] = "sum(crawler_parse_failures_total{ramp_fleet=\"{{fleet}}\"}";
  auto r = reader.read(broken, 4, {{"fleet", "f"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().where, "analysis.metrics[4].prometheus.errors");
  EXPECT_NE(r.error().message.find("Prometheus refused the query: bad_data"), std::string::npos) << r.error().message;

  // A range vector is not a count.
  auto m = client.query("up[1m]");
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("matrix"), std::string::npos) << m.error().message;

  // A scalar is fine.
  auto s = client.query("scalar(vector(3))");
  ASSERT_TRUE(s) << s.error().describe();
  ASSERT_EQ(s->size(), 1u);
  EXPECT_DOUBLE_EQ((*s)[0].value, 3);

  // A histogram query that is not a histogram.
  json notHist = fetchMetric();
  notHist["prometheus"]["histogram"] = "vector(1) + 0 * count(up{ramp_fleet=\"{{fleet}}\"})";
  auto h = reader.read(notHist, 1, {{"fleet", "f"}});
  ASSERT_TRUE(h) << h.error().describe();  // no series at all: empty
  notHist["prometheus"]["histogram"] = "label_replace(vector(1), \"x\", \"{{fleet}}\", \"\", \"\")";
  h = reader.read(notHist, 1, {{"fleet", "f"}});
  ASSERT_FALSE(h);
  EXPECT_NE(h.error().message.find("without an 'le' label"), std::string::npos) << h.error().message;
  EXPECT_EQ(h.error().where, "analysis.metrics[1].prometheus.histogram");

  // Nobody listening: unavailable, naming the address.
  prom.stop();
  auto gone = client.query("up");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ramp::ErrorCode::kUnavailable);
  EXPECT_NE(gone.error().message.find("cannot reach Prometheus at " + prom.url()), std::string::npos)
      << gone.error().message;

  // A server that accepts and never answers: the timeout, not a hang.
  int s0 = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s0, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(s0, 4), 0);
  socklen_t len = sizeof a;
  ::getsockname(s0, reinterpret_cast<sockaddr*>(&a), &len);
  PrometheusClient slow("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)), std::chrono::milliseconds(300));
  auto t0 = std::chrono::steady_clock::now();
  auto timedOut = slow.query("up");
  auto took = std::chrono::steady_clock::now() - t0;
  ::close(s0);
  ASSERT_FALSE(timedOut);
  EXPECT_NE(timedOut.error().message.find("did not answer within 300 ms"), std::string::npos) << timedOut.error().message;
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(PrometheusSource, AnswersThatAreNotTheApisAreRefused) {
  EXPECT_FALSE(PrometheusClient::parse(200, "<html>proxy</html>"));
  EXPECT_FALSE(PrometheusClient::parse(200, R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"x"]}]}})"));
  auto err = PrometheusClient::parse(503, R"({"status":"error","errorType":"unavailable","error":"busy"})");
  ASSERT_FALSE(err);
  EXPECT_EQ(err.error().code, ramp::ErrorCode::kUnavailable);
  EXPECT_NE(err.error().message.find("unavailable: busy"), std::string::npos);
  auto ok = PrometheusClient::parse(200, R"({"status":"success","data":{"resultType":"vector","result":[]}})");
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->empty());
  // Histogram buckets: out of order in, ordered per-bucket counts out; a dip never goes negative.
  std::vector<PromSample> buckets{{{{"le", "+Inf"}}, 10}, {{{"le", "0.1"}}, 4}, {{{"le", "0.01"}}, 5}};
  auto h = PrometheusMetricReader::histogram(buckets);
  ASSERT_TRUE(h) << h.error().describe();
  EXPECT_EQ((*h)["bounds"], json::parse(R"([10.0, 100.0, "+Inf"])"));
  EXPECT_EQ((*h)["counts"], json::parse("[5, 0, 5]"));
  EXPECT_FALSE(PrometheusMetricReader::histogram({{{{"le", "0.1"}}, 4}}));  // no +Inf bucket
}
