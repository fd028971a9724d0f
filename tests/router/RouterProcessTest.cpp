// The real `ramp router` process: routing by weight, pinning, 400s for
// malformed requests (never forwarded), retries when an instance dies,
// restart restoring ports and weights, epoch fencing, draining, admin auth
// and errors, metrics.
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "RouterFixture.h"
#include "core/Home.h"

using namespace ramp;
using namespace ramp::router;
using namespace ramp::router::test;
using nlohmann::json;

namespace {
int backendCount(const Backend& b) {
  HttpConn c(b.port);
  auto r = c.get("/count");
  return r.status == 200 ? std::atoi(r.body.c_str()) : -1;
}
}  // namespace

TEST_F(RouterFixture, WritesStateFilesAndRefusesWithoutToken) {
  auto dir = home_ / "router";
  EXPECT_TRUE(std::filesystem::exists(dir / "admin.json"));
  struct stat st {};
  ASSERT_EQ(::stat((dir / "admin.token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  AdminClient wrong(endpoint_.adminAddress, "not-the-token", Millis(3000));
  auto r = wrong.request("GET", "/admin/v1/stats");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 401);
  // ensureRouterRunning is idempotent: same router.
  auto again = ensureRouterRunning(home_, bin_, Millis(5000));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->pid, endpoint_.pid);
}

TEST_F(RouterFixture, RoutesByWeightExactlyAndPins) {
  Backend a = startBackend("blue"), b = startBackend("green");
  int port = makeEntrypoint("svc.prod.local");
  ASSERT_GT(port, 0);
  auto applied = setSplit("svc.prod.local", 1, json::array({fleet("blue", 90, {a}), fleet("green", 10, {b})}),
                          json{{"header", "X-Ramp-Canary"}, {"cookie", "ramp-canary"}, {"fleet", "green"}});
  EXPECT_EQ(applied["generation"], 1);
  HttpConn c(port);
  std::map<std::string, int> seen;
  for (int i = 0; i < 100; ++i) {
    auto r = c.get("/");
    ASSERT_EQ(r.status, 200) << i;
    seen[r.headers["x-backend"]]++;
  }
  EXPECT_EQ(seen["blue"], 90);
  EXPECT_EQ(seen["green"], 10);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(c.get("/", "X-Ramp-Canary: yes\r\n").headers["x-backend"], "green");
    EXPECT_EQ(c.get("/", "Cookie: a=1; ramp-canary=1\r\n").headers["x-backend"], "green");
  }
  // A cookie whose name merely contains the pin name does not pin: of 20
  // unpinned requests (inside one round of 100 cards, 10 of them green) at
  // most 10 are green, whatever the shuffle; pinned, all 20 would be.
  int green = 0;
  for (int i = 0; i < 20; ++i) green += c.get("/", "Cookie: xramp-canary=1\r\n").headers["x-backend"] == "green";
  EXPECT_LE(green, 10);
  // Fresh connections draw from the same deck: any 200 requests in a row
  // hold 170..190 blue (two whole decks' worth, exact up to the partial ends).
  seen.clear();
  for (int i = 0; i < 200; ++i) {
    HttpConn once(port);
    seen[once.get("/", "Connection: close\r\n").headers["x-backend"]]++;
  }
  EXPECT_GE(seen["blue"], 170);
  EXPECT_LE(seen["blue"], 190);
  EXPECT_EQ(seen["blue"] + seen["green"], 200);
}

TEST_F(RouterFixture, BodiesAreForwardedIntact) {
  Backend a = startBackend("blue");
  int port = makeEntrypoint("svc.int.local");
  setSplit("svc.int.local", 1, json::array({fleet("blue", 100, {a})}));
  HttpConn c(port);
  auto r = c.exchange("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello world");
  r = c.exchange("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "chunked:11\n");
  // Expect: 100-continue is answered by the router, then the body is sent.
  ASSERT_TRUE(c.connect());
  std::string head = "PUT /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n";
  ASSERT_EQ(::send(c.fd(), head.data(), head.size(), 0), static_cast<ssize_t>(head.size()));
  char buf[64] = {};
  ssize_t n = ::recv(c.fd(), buf, sizeof buf - 1, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_EQ(::send(c.fd(), "data", 4, 0), 4);
  r = c.readResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "data");
  // Pipelined requests are answered in order.
  HttpConn p(port);
  r = p.exchange("GET /a HTTP/1.1\r\nHost: t\r\n\r\nPOST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(r.body, "blue\n");
  r = p.readResponse();
  EXPECT_EQ(r.body, "ok");
  // HTTP/1.0 without keep-alive: answered, then closed.
  HttpConn old(port);
  r = old.exchange("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.closed);
}

TEST_F(RouterFixture, MalformedRequestsGet400AndAreNotForwarded) {
  Backend a = startBackend("blue");
  int port = makeEntrypoint("svc.uat.local");
  setSplit("svc.uat.local", 1, json::array({fleet("blue", 100, {a})}));
  for (const auto& req : hostileRequests()) {
    HttpConn c(port);
    auto r = c.exchange(req);
    EXPECT_EQ(r.status, 400) << req.substr(0, 80);
    EXPECT_TRUE(r.closed) << req.substr(0, 80);
  }
  EXPECT_EQ(backendCount(a), 0) << "a malformed request reached the backend";
  HttpConn ok(port);
  EXPECT_EQ(ok.get("/").status, 200);
  EXPECT_EQ(backendCount(a), 1);
}

TEST_F(RouterFixture, KillingAnInstanceMidLoadFailsNoRetriableRequest) {
  Backend a1 = startBackend("a1"), a2 = startBackend("a2"), a3 = startBackend("a3");
  int port = makeEntrypoint("svc.load.local");
  setSplit("svc.load.local", 1, json::array({fleet("a", 100, {a1, a2, a3})}));
  std::atomic<int> failures{0}, done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      HttpConn c(port);
      for (int i = 0; i < 2000 && !stop; ++i) {
        auto r = (t % 2 == 0) ? c.get("/") : HttpConn(port).get("/", "Connection: close\r\n");
        if (r.status != 200) ++failures;
        ++done;
      }
    });
  }
  for (int i = 0; i < 500 && done < 200; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  killBackend(a2);
  int at = done;
  for (int i = 0; i < 1000 && done < at + 600; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_GT(done.load(), at + 100) << "too little load after the kill";
  EXPECT_EQ(failures.load(), 0);
  auto stats = call("GET", "/admin/v1/entrypoints/svc.load.local/stats");
  ASSERT_EQ(stats["fleets"].size(), 1u);
  EXPECT_EQ(stats["fleets"][0]["upstream_errors"], 0);
  EXPECT_EQ(stats["fleets"][0]["status_2xx"].get<int>(), done.load());
}

TEST_F(RouterFixture, AllInstancesDownGives502AndCountsIt) {
  Backend a = startBackend("gone");
  int port = makeEntrypoint("svc.down.local");
  setSplit("svc.down.local", 1, json::array({fleet("a", 100, {a})}));
  killBackend(a);
  HttpConn c(port);
  auto r = c.get("/");
  EXPECT_EQ(r.status, 502);
  auto s = call("GET", "/admin/v1/entrypoints/svc.down.local/stats");
  // Once: the router's own 502 is an upstream error, not also a 5xx answer.
  EXPECT_EQ(s["fleets"][0]["requests"], 1);
  EXPECT_EQ(s["fleets"][0]["upstream_errors"], 1);
  EXPECT_EQ(s["fleets"][0]["status_5xx"], 0);
}

TEST_F(RouterFixture, RestartRestoresPortsAndWeights) {
  Backend a = startBackend("blue"), b = startBackend("green");
  int port = makeEntrypoint("svc.prod.eu");
  setSplit("svc.prod.eu", 4, json::array({fleet("blue", 30, {a}), fleet("green", 70, {b})}));
  auto before = call("GET", "/admin/v1/entrypoints/svc.prod.eu");
  ASSERT_TRUE(stopRouter(home_, Millis(5000)).has_value());
  EXPECT_FALSE(std::filesystem::exists(home_ / "router" / "admin.json"));
  startRouter();
  auto after = call("GET", "/admin/v1/entrypoints/svc.prod.eu");
  EXPECT_EQ(after["port"], port);
  EXPECT_EQ(after["fleets"], before["fleets"]);
  EXPECT_EQ(after["generation"], before["generation"]);
  EXPECT_EQ(after["epoch"], 4);
  std::map<std::string, int> seen;
  HttpConn c(port);
  for (int i = 0; i < 100; ++i) seen[c.get("/").headers["x-backend"]]++;
  EXPECT_EQ(seen["blue"], 30);
  EXPECT_EQ(seen["green"], 70);
  // Killed hard (no chance to clean up), it also comes back the same.
  auto pid = ensureRouterRunning(home_, bin_, Millis(5000))->pid;
  ::kill(static_cast<pid_t>(pid), SIGKILL);
  for (int i = 0; i < 200 && ::kill(static_cast<pid_t>(pid), 0) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  startRouter();
  EXPECT_NE(endpoint_.pid, pid);
  EXPECT_EQ(call("GET", "/admin/v1/entrypoints/svc.prod.eu")["port"], port);
  HttpConn c2(port);
  EXPECT_EQ(c2.get("/").status, 200);
}

TEST_F(RouterFixture, StaleEpochIsRefusedAndChangesNothing) {
  Backend a = startBackend("blue"), b = startBackend("green");
  makeEntrypoint("svc.e.local");
  setSplit("svc.e.local", 5, json::array({fleet("blue", 100, {a})}));
  auto r = admin_->call("PUT", "/admin/v1/entrypoints/svc.e.local/split",
                        json{{"epoch", 4}, {"fleets", json::array({fleet("green", 100, {b})})}});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(r.error().where, "epoch");
  auto now = call("GET", "/admin/v1/entrypoints/svc.e.local");
  EXPECT_EQ(now["fleets"][0]["id"], "blue");
  EXPECT_EQ(now["epoch"], 5);
  // Same epoch is accepted; the same split again changes nothing (generation kept).
  auto g1 = setSplit("svc.e.local", 5, json::array({fleet("green", 100, {b})}))["generation"];
  auto g2 = setSplit("svc.e.local", 5, json::array({fleet("green", 100, {b})}))["generation"];
  EXPECT_EQ(g1, g2);
}

TEST_F(RouterFixture, BadAdminBodiesAre400NamingTheField) {
  makeEntrypoint("svc.bad.local");
  auto check = [&](const std::string& path, const std::string& body, const std::string& where) {
    auto r = admin_->request("PUT", path, body);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 400) << body;
    auto j = json::parse(r->body, nullptr, false);
    EXPECT_EQ(j["error"]["where"], where) << r->body;
  };
  check("/admin/v1/entrypoints/svc.bad.local/split", "{nope", "body");
  check("/admin/v1/entrypoints/svc.bad.local/split",
        R"({"epoch":1,"fleets":[{"id":"a","weight":50,"backends":["127.0.0.1:1"]}]})", "fleets");
  check("/admin/v1/entrypoints/svc.bad.local/split",
        R"({"epoch":1,"fleets":[{"id":"a","weight":100,"backends":["nope"]}]})", "fleets[0].backends[0]");
  check("/admin/v1/entrypoints/svc.bad.local", R"({"port":"x"})", "port");
  check("/admin/v1/entrypoints/bad..name", R"({"port":0})", "name");
  auto ep = call("GET", "/admin/v1/entrypoints/svc.bad.local");
  EXPECT_EQ(ep["fleets"].size(), 0u);
  EXPECT_EQ(ep["generation"], 0);
  auto missing = admin_->request("GET", "/admin/v1/entrypoints/nope.x.y");
  EXPECT_EQ(missing->status, 404);
  // Idempotent PUT returns the same port.
  int p1 = makeEntrypoint("svc.bad.local");
  EXPECT_EQ(p1, ep["port"].get<int>());
}

TEST_F(RouterFixture, DrainingFleetKeepsInflightUntilDone) {
  Backend a = startBackend("blue"), b = startBackend("green");
  int port = makeEntrypoint("svc.drain.local");
  setSplit("svc.drain.local", 1, json::array({fleet("blue", 100, {a}), fleet("green", 0, {b})}));
  std::thread slow([&] {
    HttpConn c(port);
    auto r = c.get("/slow?ms=800");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.headers["x-backend"], "blue");
  });
  int inflight = 0;
  for (int i = 0; i < 200 && inflight == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    inflight = call("GET", "/admin/v1/entrypoints/svc.drain.local")["fleets"][0]["inflight"];
  }
  EXPECT_EQ(inflight, 1);
  setSplit("svc.drain.local", 2, json::array({fleet("blue", 0, {a}), fleet("green", 100, {b})}));
  HttpConn c(port);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(c.get("/").headers["x-backend"], "green");
  EXPECT_EQ(call("GET", "/admin/v1/entrypoints/svc.drain.local")["fleets"][0]["inflight"], 1);
  slow.join();
  EXPECT_EQ(call("GET", "/admin/v1/entrypoints/svc.drain.local")["fleets"][0]["inflight"], 0);
}

TEST_F(RouterFixture, StatsAndMetrics) {
  Backend a = startBackend("blue");
  int port = makeEntrypoint("svc.m.local");
  setSplit("svc.m.local", 1, json::array({fleet("blue", 100, {a})}));
  HttpConn c(port);
  for (int i = 0; i < 25; ++i) ASSERT_EQ(c.get("/").status, 200);
  auto s = call("GET", "/admin/v1/stats");
  ASSERT_EQ(s["fleets"].size(), 1u);
  auto f = s["fleets"][0];
  EXPECT_EQ(f["requests"], 25);
  EXPECT_EQ(f["status_2xx"], 25);
  EXPECT_GT(f["bytes_out"].get<int>(), 25 * 5);
  EXPECT_EQ(f["latency"]["bounds_ms"].back(), "+Inf");
  uint64_t sum = 0;
  for (auto& n : f["latency"]["counts"]) sum += n.get<uint64_t>();
  EXPECT_EQ(sum, 25u);
  AdminClient open(endpoint_.adminAddress, "", Millis(3000));
  auto m = open.request("GET", "/metrics");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->status, 200);
  EXPECT_NE(m->body.find("ramp_router_requests_total{entrypoint=\"svc.m.local\",fleet=\"blue\",code_class=\"2xx\"} 25"),
            std::string::npos) << m->body.substr(0, 500);
  EXPECT_NE(m->body.find("ramp_router_request_duration_seconds_count{entrypoint=\"svc.m.local\",fleet=\"blue\"} 25"),
            std::string::npos);
  EXPECT_NE(m->body.find("ramp_router_fleet_traffic_weight_ratio{entrypoint=\"svc.m.local\",fleet=\"blue\"} 1\n"), std::string::npos);
  // Delete: the port stops answering.
  call("DELETE", "/admin/v1/entrypoints/svc.m.local");
  HttpConn gone(port);
  EXPECT_FALSE(gone.connect());
}

TEST_F(RouterFixture, AdminBodyArrivingAfterTheHeadAndOddPaths) {
  // Head and body in separate packets (what Python's http.client does).
  auto addr = endpoint_.adminAddress;
  int port = std::atoi(addr.substr(addr.rfind(':') + 1).c_str());
  HttpConn c(port);
  ASSERT_TRUE(c.connect());
  std::string head = "PUT /admin/v1/entrypoints/svc.slow.local HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer " +
                     endpoint_.token + "\r\nContent-Length: 11\r\n\r\n";
  ASSERT_EQ(::send(c.fd(), head.data(), head.size(), 0), static_cast<ssize_t>(head.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(::send(c.fd(), "{\"port\": 0}", 11, 0), 11);
  auto r = c.readResponse();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("svc.slow.local"), std::string::npos);
  // A path with invalid UTF-8 gets a clean error, and the router lives on.
  auto bad = c.exchange("GET /admin/v1/\xff\xfe HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer " + endpoint_.token + "\r\n\r\n");
  EXPECT_EQ(bad.status, 400);
  auto odd = c.exchange("GET /admin/v1/entrypoints/a.b.c/\xff HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer " + endpoint_.token + "\r\n\r\n");
  EXPECT_EQ(odd.status, 400);
  EXPECT_TRUE(admin_->call("GET", "/admin/v1/ping").has_value());
}
