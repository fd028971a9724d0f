// CrawlerTest.cpp — the example service, through its built binary: every
// endpoint, every knob (flag and environment variable), the loopback-only
// /crawl rule, crash-after and graceful SIGTERM. Bad knobs are refused
// naming the flag or variable.
#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "CrawlerProcess.h"

using namespace crawler_test;
using namespace std::chrono_literals;

namespace {

double msSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

TEST(Crawler, BinaryIsKnown) { ASSERT_FALSE(crawlerBin().empty()) << "CRAWLER_BIN not set"; }

TEST(Crawler, EndpointsAndHeaders) {
  CrawlerProcess c({}, {{"RAMP_RELEASE_VERSION", "1.4.0"}, {"RAMP_INSTANCE_ID", "int-blue-0"}});
  ASSERT_NE(c.port(), 0) << c.firstLine();
  HttpClient h(c.port());
  ASSERT_TRUE(h.connected());

  auto health = h.get("/healthz");
  EXPECT_EQ(health.status, 200) << health.error;
  EXPECT_EQ(health.body, "ok\n");
  EXPECT_EQ(health.headers["X-Ramp-Version"], "1.4.0");
  EXPECT_EQ(health.headers["X-Ramp-Instance"], "int-blue-0");

  auto version = h.get("/version");  // same connection: keep-alive
  EXPECT_EQ(version.status, 200) << version.error;
  EXPECT_EQ(version.body, "1.4.0\n");
  EXPECT_EQ(version.headers["X-Ramp-Version"], "1.4.0");

  auto root = h.get("/");
  EXPECT_EQ(root.status, 200);
  EXPECT_NE(root.body.find("crawler"), std::string::npos);

  auto echo = h.request(http::verb::post, "/echo", "payload-123");
  EXPECT_EQ(echo.status, 200) << echo.error;
  EXPECT_EQ(echo.body, "payload-123");
  EXPECT_EQ(echo.headers["X-Ramp-Instance"], "int-blue-0");

  auto missing = h.get("/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.headers["X-Ramp-Version"], "1.4.0");

  auto wrongMethod = h.request(http::verb::post, "/version", "x");
  EXPECT_EQ(wrongMethod.status, 405);

  // One log line per request on stdout.
  std::string log = c.readLine(2s);
  EXPECT_NE(log.find("GET /healthz 200"), std::string::npos) << log;
}

TEST(Crawler, QuietTurnsOffRequestLog) {
  CrawlerProcess c({"--quiet"});
  ASSERT_NE(c.port(), 0);
  HttpClient h(c.port());
  EXPECT_EQ(h.get("/healthz").status, 200);
  EXPECT_EQ(c.readLine(300ms), "");
}

TEST(Crawler, CrawlFetchesLoopbackOnly) {
  CrawlerProcess target({"--quiet"}, {{"RAMP_RELEASE_VERSION", "9.9.9"}});
  CrawlerProcess c({"--quiet"});
  ASSERT_NE(target.port(), 0);
  ASSERT_NE(c.port(), 0);
  HttpClient h(c.port());
  std::string url = "http://127.0.0.1:" + std::to_string(target.port()) + "/version";
  auto r = h.get("/crawl?url=" + url);
  EXPECT_EQ(r.status, 200) << r.error << r.body;
  EXPECT_EQ(r.body, "{\"url\":\"" + url + "\",\"status\":200,\"bytes\":6,\"parsed\":true,\"links\":0}\n");

  // localhost and percent-encoding work too; a 404 upstream is reported as such.
  auto r2 = h.get("/crawl?url=http%3A%2F%2Flocalhost%3A" + std::to_string(target.port()) + "%2Fmissing");
  EXPECT_EQ(r2.status, 200) << r2.body;
  EXPECT_NE(r2.body.find("\"status\":404"), std::string::npos) << r2.body;

  // POST /crawl with the URL as the body.
  auto r3 = h.request(http::verb::post, "/crawl", "url=" + url);
  EXPECT_EQ(r3.status, 200) << r3.body;
  EXPECT_NE(r3.body.find("\"bytes\":6"), std::string::npos) << r3.body;

  for (std::string bad : {"http://example.com/", "http://10.0.0.1/", "http://127.0.0.1.evil.com/",
                          "http://169.254.169.254/latest/meta-data/", "http://[2001:db8::1]/"}) {
    auto f = h.get("/crawl?url=" + bad);
    EXPECT_EQ(f.status, 403) << bad << " " << f.body;
    EXPECT_NE(f.body.find("\"error\""), std::string::npos) << f.body;
  }
  EXPECT_EQ(h.get("/crawl?url=ftp://127.0.0.1/").status, 400);
  EXPECT_EQ(h.get("/crawl?url=http://user@127.0.0.1/").status, 400);
  EXPECT_EQ(h.get("/crawl").status, 400);

  // A closed port is a 502, not a hang.
  CrawlerProcess gone({"--quiet"});
  unsigned short deadPort = gone.port();
  gone.signal(SIGKILL);
  gone.waitExit(5s);
  auto d = h.get("/crawl?url=http://127.0.0.1:" + std::to_string(deadPort) + "/");
  EXPECT_EQ(d.status, 502) << d.body;
}

TEST(Crawler, ParseFailuresShowOnlyInItsOwnMetrics) {
  // A build that breaks parsing answers 200 all the same ("parsed": false);
  // only /metrics (crawler_parse_failures_total) shows it. The fetch
  // histogram counts every page, cumulative buckets ending with +Inf.
  CrawlerProcess c({"--quiet", "--seed", "5", "--parse-failure-rate", "0.4"});
  ASSERT_NE(c.port(), 0);
  HttpClient h(c.port());
  std::string url = "http://127.0.0.1:" + std::to_string(c.port()) + "/";
  int notParsed = 0;
  for (int i = 0; i < 100; ++i) {
    auto r = h.get("/crawl?url=" + url);
    ASSERT_EQ(r.status, 200) << r.body;
    notParsed += r.body.find("\"parsed\":false") != std::string::npos;
  }
  EXPECT_GT(notParsed, 20);
  EXPECT_LT(notParsed, 60);
  auto m = h.get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("# TYPE crawler_pages_total counter\ncrawler_pages_total 100\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("\ncrawler_parse_failures_total " + std::to_string(notParsed) + "\n"), std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("crawler_fetch_duration_seconds_bucket{le=\"+Inf\"} 100\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("crawler_fetch_duration_seconds_count 100\n"), std::string::npos) << m.body;
  // /metrics is never failed nor slowed by the knobs.
  CrawlerProcess failing({"--quiet", "--error-rate", "1", "--latency-ms", "500"});
  HttpClient f(failing.port());
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(f.get("/metrics").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 400ms);
  EXPECT_EQ(f.get("/version").status, 500);
}

TEST(Crawler, ErrorRateIsRoughlyRight) {
  CrawlerProcess c({"--quiet", "--error-rate", "0.1", "--seed", "7"});
  ASSERT_NE(c.port(), 0);
  HttpClient h(c.port());
  int errors = 0, ok = 0;
  for (int i = 0; i < 1000; ++i) {
    auto r = h.get("/version");
    ASSERT_TRUE(r.error.empty()) << r.error;
    if (r.status == 500) ++errors;
    if (r.status == 200) ++ok;
  }
  EXPECT_EQ(errors + ok, 1000);
  // Binomial(1000, 0.1): sd ~ 9.5; +-4 sd.
  EXPECT_GE(errors, 62);
  EXPECT_LE(errors, 138);
  // /healthz is never failed.
  for (int i = 0; i < 100; ++i) ASSERT_EQ(h.get("/healthz").status, 200);
}

TEST(Crawler, ErrorRateFromEnvironment) {
  CrawlerProcess c({"--quiet"}, {{"CRAWLER_ERROR_RATE", "1"}});
  ASSERT_NE(c.port(), 0);
  HttpClient h(c.port());
  auto r = h.get("/version");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("injected"), std::string::npos);
  EXPECT_EQ(r.headers["X-Ramp-Version"], "unknown");
}

TEST(Crawler, LatencyIsAddedAndScaledButNotToHealth) {
  CrawlerProcess c({"--quiet", "--latency-ms", "100", "--latency-factor", "1.5"});
  ASSERT_NE(c.port(), 0);
  HttpClient h(c.port());
  auto t = std::chrono::steady_clock::now();
  EXPECT_EQ(h.get("/version").status, 200);
  double ms = msSince(t);
  EXPECT_GE(ms, 150.0);
  EXPECT_LT(ms, 2000.0);
  t = std::chrono::steady_clock::now();
  EXPECT_EQ(h.get("/healthz").status, 200);
  EXPECT_LT(msSince(t), 100.0);
}

TEST(Crawler, LatencyFromEnvironmentDoesNotSerialiseRequests) {
  CrawlerProcess c({"--quiet"}, {{"CRAWLER_LATENCY_MS", "300"}});
  ASSERT_NE(c.port(), 0);
  // Four concurrent requests on four connections: a timer, not a blocking
  // sleep, so together they take about one service time, not four.
  auto t = std::chrono::steady_clock::now();
  std::vector<std::future<int>> all;
  for (int i = 0; i < 4; ++i) {
    all.push_back(std::async(std::launch::async, [&] { return HttpClient(c.port()).get("/version").status; }));
  }
  for (auto& f : all) EXPECT_EQ(f.get(), 200);
  double ms = msSince(t);
  EXPECT_GE(ms, 300.0);
  EXPECT_LT(ms, 1100.0);
}

TEST(Crawler, FailHealthByFlagAndEnvironment) {
  {
    CrawlerProcess c({"--quiet", "--fail-health"});
    ASSERT_NE(c.port(), 0);
    HttpClient h(c.port());
    EXPECT_EQ(h.get("/healthz").status, 503);
    EXPECT_EQ(h.get("/version").status, 200);
  }
  {
    CrawlerProcess c({"--quiet"}, {{"CRAWLER_FAIL_HEALTH", "1"}});
    ASSERT_NE(c.port(), 0);
    EXPECT_EQ(HttpClient(c.port()).get("/healthz").status, 503);
  }
}

TEST(Crawler, CrashAfter) {
  auto t = std::chrono::steady_clock::now();
  CrawlerProcess c({"--quiet", "--crash-after", "0.3"});
  ASSERT_NE(c.port(), 0);
  EXPECT_EQ(HttpClient(c.port()).get("/healthz").status, 200);
  auto st = c.waitExit(5s);
  ASSERT_TRUE(st.has_value()) << "did not crash";
  EXPECT_TRUE(WIFEXITED(*st));
  EXPECT_EQ(WEXITSTATUS(*st), 1);
  EXPECT_GE(msSince(t), 300.0);
}

TEST(Crawler, CrashAfterFromEnvironment) {
  CrawlerProcess c({"--quiet"}, {{"CRAWLER_CRASH_AFTER", "0.2"}});
  ASSERT_NE(c.port(), 0);
  auto st = c.waitExit(5s);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(WEXITSTATUS(*st), 1);
}

TEST(Crawler, SigtermFinishesInFlightThenExitsZero) {
  CrawlerProcess c({"--quiet", "--latency-ms", "500"});
  ASSERT_NE(c.port(), 0);
  HttpClient idle(c.port());  // an idle keep-alive connection must not hold it up
  ASSERT_EQ(idle.get("/healthz").status, 200);
  auto inflight = std::async(std::launch::async, [&] { return HttpClient(c.port()).get("/version"); });
  std::this_thread::sleep_for(150ms);  // let the request arrive; it is now waiting on its service time
  auto t = std::chrono::steady_clock::now();
  c.signal(SIGTERM);
  auto r = inflight.get();
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.headers["Connection"], "close");
  auto st = c.waitExit(5s);
  ASSERT_TRUE(st.has_value()) << "did not exit after SIGTERM";
  EXPECT_TRUE(WIFEXITED(*st));
  EXPECT_EQ(WEXITSTATUS(*st), 0);
  EXPECT_LT(msSince(t), 3000.0);
  // No longer accepting.
  EXPECT_FALSE(HttpClient(c.port()).connected());
}

TEST(Crawler, DrainBoundIsHonoured) {
  CrawlerProcess c({"--quiet", "--latency-ms", "20000", "--drain-ms", "300"});
  ASSERT_NE(c.port(), 0);
  auto inflight = std::async(std::launch::async, [&] { return HttpClient(c.port()).get("/version"); });
  std::this_thread::sleep_for(150ms);
  auto t = std::chrono::steady_clock::now();
  c.signal(SIGTERM);
  auto st = c.waitExit(5s);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(WEXITSTATUS(*st), 0);
  EXPECT_LT(msSince(t), 3000.0);
  inflight.get();  // the connection is cut; the client returns
}

TEST(Crawler, BadKnobsAreRefusedNamingThem) {
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::string expect;
  };
  std::vector<Case> cases = {
      {{"--error-rate", "2"}, {}, "--error-rate"},
      {{"--latency-ms", "abc"}, {}, "--latency-ms"},
      {{"--bogus"}, {}, "--bogus"},
      {{}, {{"CRAWLER_LATENCY_FACTOR", "x"}}, "$CRAWLER_LATENCY_FACTOR"},
      {{}, {{"CRAWLER_FAIL_HEALTH", "maybe"}}, "$CRAWLER_FAIL_HEALTH"},
      {{"--parse-failure-rate", "1.5"}, {}, "--parse-failure-rate"},
      {{}, {{"CRAWLER_PARSE_FAILURE_RATE", "-1"}}, "$CRAWLER_PARSE_FAILURE_RATE"},
  };
  for (const auto& k : cases) {
    int err[2];
    ASSERT_EQ(::pipe(err), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(err[1], 2);
      for (auto& [n, v] : k.env) ::setenv(n.c_str(), v.c_str(), 1);
      std::vector<std::string> all{crawlerBin(), "--port", "0"};
      all.insert(all.end(), k.args.begin(), k.args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      _exit(127);
    }
    ::close(err[1]);
    std::string text;
    char b[1024];
    pollfd p{err[0], POLLIN, 0};
    while (::poll(&p, 1, 5000) > 0) {
      ssize_t n = ::read(err[0], b, sizeof b);
      if (n <= 0) break;
      text.append(b, static_cast<size_t>(n));
    }
    ::close(err[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 2) << text;
    EXPECT_NE(text.find(k.expect), std::string::npos) << text;
  }
}
