// The router failing safe (issue #16) and assigning without bias (#17),
// through the real `ramp router` process: counters carry an epoch that
// changes when they restart from zero; a split's lease runs out without
// renewal and the router itself moves traffic to the stable fleet (state,
// metric, log, persisted); requests whose fleet refuses every connection
// are served by the stable fleet and counted once as that fleet's error,
// and so are requests whose pooled connection the backend had dropped;
// bytes a backend wrote unasked on an idle pooled connection are never
// taken for the next request's answer;
// the router's own 502 counts once; a 9-GET/1-POST client sees the
// canary's weight on its POSTs.
#include <set>
#include <thread>

#include "RouterFixture.h"
#include "core/Home.h"

using namespace ramp;
using namespace ramp::router;
using namespace ramp::router::test;
using nlohmann::json;

namespace {

json fleetStats(const json& stats, const std::string& fleet) {
  for (const auto& f : stats["fleets"])
    if (f["fleet"] == fleet) return f;
  return json();
}

std::string readAll(const std::filesystem::path& p) {
  auto t = readFile(p);
  return t ? *t : std::string();
}

}  // namespace

TEST_F(RouterFixture, CountersCarryAnEpochThatChangesWhenTheyRestart) {
  Backend a = startBackend("blue");
  int port = makeEntrypoint("svc.epoch.local");
  setSplit("svc.epoch.local", 1, json::array({fleet("blue", 100, {a})}));
  HttpConn c(port);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(c.get("/").status, 200);
  auto s1 = call("GET", "/admin/v1/entrypoints/svc.epoch.local/stats");
  std::string routerEpoch = s1["counters_epoch"];
  EXPECT_EQ(routerEpoch.size(), 16u);
  auto f1 = fleetStats(s1, "blue");
  std::string e1 = f1["counters_epoch"];
  EXPECT_EQ(e1.rfind(routerEpoch + "-", 0), 0u) << e1;
  EXPECT_EQ(f1["requests"], 5);
  // Same run: same epoch, counts only grow.
  ASSERT_EQ(c.get("/").status, 200);
  auto f2 = fleetStats(call("GET", "/admin/v1/entrypoints/svc.epoch.local/stats"), "blue");
  EXPECT_EQ(f2["counters_epoch"], e1);
  EXPECT_EQ(f2["requests"], 6);

  // Restart: counts start again from 0 under a new epoch.
  ASSERT_TRUE(stopRouter(home_, Millis(5000)).has_value());
  startRouter();
  HttpConn c2(port);
  ASSERT_EQ(c2.get("/").status, 200);
  auto s3 = call("GET", "/admin/v1/entrypoints/svc.epoch.local/stats");
  EXPECT_NE(s3["counters_epoch"], routerEpoch);
  auto f3 = fleetStats(s3, "blue");
  EXPECT_NE(f3["counters_epoch"], e1);
  EXPECT_EQ(f3["requests"], 1);

  // Deleted and made again: that entry point's counters restart, with a new epoch.
  call("DELETE", "/admin/v1/entrypoints/svc.epoch.local");
  int port2 = makeEntrypoint("svc.epoch.local");
  setSplit("svc.epoch.local", 1, json::array({fleet("blue", 100, {a})}));
  HttpConn c3(port2);
  ASSERT_EQ(c3.get("/").status, 200);
  auto f4 = fleetStats(call("GET", "/admin/v1/entrypoints/svc.epoch.local/stats"), "blue");
  EXPECT_NE(f4["counters_epoch"], f3["counters_epoch"]);
  EXPECT_EQ(f4["requests"], 1);
  AdminClient open(endpoint_.adminAddress, "", Millis(3000));
  EXPECT_NE(open.request("GET", "/metrics")->body.find("ramp_router_counters_epoch_info{epoch=\"" +
                                                         s3["counters_epoch"].get<std::string>() + "\"} 1"),
            std::string::npos);
}

TEST_F(RouterFixture, LeaseRunsOutAndTheRouterSendsTrafficToStable) {
  Backend a = startBackend("blue"), b = startBackend("green");
  int port = makeEntrypoint("svc.lease.local");
  const json pin{{"header", "X-Ramp-Canary"}, {"fleet", "green"}};
  const json held{{"epoch", 3},
                  {"fleets", json::array({fleet("blue", 50, {a}), fleet("green", 50, {b})})},
                  {"pin", pin},
                  {"stable", "blue"},
                  {"lease_ms", 800}};
  auto applied = call("PUT", "/admin/v1/entrypoints/svc.lease.local/split", held);
  EXPECT_EQ(applied["lease"]["state"], "held");
  EXPECT_GT(applied["lease"]["remaining_ms"].get<int>(), 0);
  EXPECT_LE(applied["lease"]["remaining_ms"].get<int>(), 800);
  uint64_t generation = applied["generation"];

  // Renewed (by the small call and by the same split again), it holds past lease_ms.
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    if (i % 2 == 0) {
      auto r = call("POST", "/admin/v1/entrypoints/svc.lease.local/lease", json{{"epoch", 3}});
      EXPECT_EQ(r["lease"]["state"], "held");
    } else {
      auto r = call("PUT", "/admin/v1/entrypoints/svc.lease.local/split", held);
      EXPECT_EQ(r["generation"], generation) << "renewing is not a new split";
    }
  }
  ASSERT_GT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1200));
  HttpConn c(port);
  EXPECT_EQ(c.get("/", "X-Ramp-Canary: 1\r\n").headers["x-backend"], "green");
  // A stale epoch cannot renew it.
  auto stale = admin_->call("POST", "/admin/v1/entrypoints/svc.lease.local/lease", json{{"epoch", 2}});
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_EQ(stale.error().where, "epoch");

  // No more renewals: within lease_ms (+ slack for a busy machine) the router falls back by itself.
  json ep;
  for (int i = 0; i < 100; ++i) {
    ep = call("GET", "/admin/v1/entrypoints/svc.lease.local");
    if (ep["lease"]["state"] == "expired") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(ep["lease"]["state"], "expired") << ep.dump();
  EXPECT_EQ(ep["fleets"][0]["weight"], 100);
  EXPECT_EQ(ep["fleets"][1]["weight"], 0);
  EXPECT_TRUE(ep["pin"].is_null());
  EXPECT_EQ(ep["lease"]["before"]["fleets"][1]["weight"], 50);
  EXPECT_EQ(ep["lease"]["before"]["pin"]["fleet"], "green");
  EXPECT_EQ(ep["generation"], generation + 1);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(c.get("/").headers["x-backend"], "blue");
  EXPECT_EQ(c.get("/", "X-Ramp-Canary: 1\r\n").headers["x-backend"], "blue");
  // Said so: metric, log line, and the file a restarted router reads.
  AdminClient open(endpoint_.adminAddress, "", Millis(3000));
  auto metrics = open.request("GET", "/metrics")->body;
  EXPECT_NE(metrics.find("ramp_router_lease_expired{entrypoint=\"svc.lease.local\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("ramp_router_lease_expirations_total{entrypoint=\"svc.lease.local\"} 1"), std::string::npos);
  EXPECT_NE(readAll(home_ / "router" / "router.log").find("svc.lease.local: lease of 800 ms ran out"),
            std::string::npos);
  // Renewing now is refused: the controller must decide.
  auto late = admin_->call("POST", "/admin/v1/entrypoints/svc.lease.local/lease", json{{"epoch", 3}});
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, ErrorCode::kConflict);
  EXPECT_EQ(late.error().where, "lease");
  // A restart keeps the fallback and the record.
  ASSERT_TRUE(stopRouter(home_, Millis(5000)).has_value());
  startRouter();
  ep = call("GET", "/admin/v1/entrypoints/svc.lease.local");
  EXPECT_EQ(ep["lease"]["state"], "expired");
  EXPECT_EQ(ep["fleets"][1]["weight"], 0);
  HttpConn c2(port);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(c2.get("/").headers["x-backend"], "blue");

  // The controller resumes: the held split again.
  ep = call("PUT", "/admin/v1/entrypoints/svc.lease.local/split", held);
  EXPECT_EQ(ep["lease"]["state"], "held");
  EXPECT_EQ(c2.get("/", "X-Ramp-Canary: 1\r\n").headers["x-backend"], "green");
  // A lease that runs out while the router is down is expired as soon as it is back.
  ASSERT_TRUE(stopRouter(home_, Millis(5000)).has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(900));
  startRouter();
  ep = call("GET", "/admin/v1/entrypoints/svc.lease.local");
  EXPECT_EQ(ep["lease"]["state"], "expired");
  HttpConn c3(port);
  EXPECT_EQ(c3.get("/", "X-Ramp-Canary: 1\r\n").headers["x-backend"], "blue");
  // Without a lease nothing runs out.
  ep = call("PUT", "/admin/v1/entrypoints/svc.lease.local/split",
            json{{"epoch", 3}, {"fleets", json::array({fleet("blue", 50, {a}), fleet("green", 50, {b})})}});
  EXPECT_TRUE(ep["lease"].is_null());
  auto none = admin_->call("POST", "/admin/v1/entrypoints/svc.lease.local/lease", json{{"epoch", 3}});
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().where, "lease");
}

TEST_F(RouterFixture, RefusedFleetFallsBackToStableAndCountsOnce) {
  Backend a = startBackend("blue"), g1 = startBackend("green1"), g2 = startBackend("green2");
  int port = pinnedCanaryEntrypoint("svc.fb.local", 50, a, {g1, g2});
  killBackend(g1);
  killBackend(g2);
  HttpConn c(port);
  for (int i = 0; i < 100; ++i) {
    // Any method: nothing reached green.
    auto r = i % 2 ? c.get("/") : c.exchange("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
    ASSERT_EQ(r.status, 200) << i;
    EXPECT_EQ(r.headers["x-backend"], "blue");
  }
  EXPECT_EQ(c.get("/", "X-Ramp-Canary: 1\r\n").headers["x-backend"], "blue");
  auto s = call("GET", "/admin/v1/entrypoints/svc.fb.local/stats");
  auto green = fleetStats(s, "green"), blue = fleetStats(s, "blue");
  EXPECT_EQ(green["requests"], 51);  // 50 by weight + the pinned one
  EXPECT_EQ(green["upstream_errors"], 51);
  EXPECT_EQ(green["fallbacks"], 51);
  EXPECT_EQ(green["status_5xx"], 0);
  EXPECT_EQ(green["inflight"], 0);
  EXPECT_EQ(blue["requests"], 101);
  EXPECT_EQ(blue["status_2xx"], 101);
  EXPECT_EQ(blue["upstream_errors"], 0);
  AdminClient open(endpoint_.adminAddress, "", Millis(3000));
  EXPECT_NE(open.request("GET", "/metrics")->body.find(
                "ramp_router_fallbacks_total{entrypoint=\"svc.fb.local\",fleet=\"green\"} 51"),
            std::string::npos);
  // Stable down as well: the user gets the router's 502, counted once, on the fleet that failed.
  killBackend(a);
  auto r = c.get("/x");
  EXPECT_EQ(r.status, 502);
  s = call("GET", "/admin/v1/entrypoints/svc.fb.local/stats");
  EXPECT_EQ(fleetStats(s, "blue")["upstream_errors"], 1);
  EXPECT_EQ(fleetStats(s, "blue")["status_5xx"], 0);
  EXPECT_EQ(fleetStats(s, "blue")["requests"], 102);
}

// A pooled backend connection closed by the backend between two requests,
// found only once the next request was sent (the backend reads it and closes
// without an answer: what the router sees when a close races its send; GETs
// skip the pool's liveness peek). An idempotent request goes again on a new
// connection; a POST is not retried (its backend may have acted on it).
TEST_F(RouterFixture, PooledConnectionDroppedBetweenRequestsIsRetriedOnANewOne) {
  Backend a = startBackend("blue");
  int port = singleFleetEntrypoint("svc.pool.local", "blue", a);
  HttpConn c(port);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(c.get("/dropnext").status, 200) << i;
    auto r = c.get("/");  // on the pooled connection the backend drops: sent, no answer
    ASSERT_EQ(r.status, 200) << i << ": " << r.body;
    EXPECT_EQ(r.headers["x-backend"], "blue");
  }
  ASSERT_EQ(c.get("/dropnext").status, 200);
  auto post = c.exchange("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_EQ(post.status, 502) << post.body;
  auto blue = fleetStats(call("GET", "/admin/v1/entrypoints/svc.pool.local/stats"), "blue");
  EXPECT_EQ(blue["requests"], 42);
  EXPECT_EQ(blue["status_2xx"], 41);
  EXPECT_EQ(blue["upstream_errors"], 1);  // the POST alone
  EXPECT_EQ(blue["fallbacks"], 0);
  EXPECT_EQ(c.get("/count").body, "41\n");  // each dropped request reached the backend once, unanswered
}

// A backend that writes unasked on an idle keep-alive connection (here
// "HTTP/1.1 408 Request Timeout" then FIN, as servers do at their idle
// timeout) while it sits in the router's pool: the next GET, sent once the
// connection has been idle longer than the router's peek bound (250 ms), is
// answered by the backend on a fresh connection, never with those bytes (a
// response desync: another request's or nobody's answer). The backend's
// sending side is only shut down (no RST for the request sent on it), so
// without the peek the router would read the 408 as the answer.
TEST_F(RouterFixture, UnsolicitedBytesOnAnIdlePooledConnectionNeverBecomeTheAnswer) {
  Backend a = startBackend("blue");
  int port = singleFleetEntrypoint("svc.idle408.local", "blue", a);
  HttpConn c(port);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(c.get("/idle408?ms=50").status, 200) << i;
    // The 408 and the FIN arrive on the pooled connection after 50 ms; the
    // connection stays in the pool (idle < pool_idle 4 s) past the peek bound.
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    auto r = c.get("/");
    ASSERT_EQ(r.status, 200) << i << ": " << r.body;
    EXPECT_EQ(r.body, "blue\n") << i;
    EXPECT_EQ(r.headers["x-backend"], "blue") << i;
  }
  auto blue = fleetStats(call("GET", "/admin/v1/entrypoints/svc.idle408.local/stats"), "blue");
  EXPECT_EQ(blue["requests"], 6);
  EXPECT_EQ(blue["status_2xx"], 6);
  EXPECT_EQ(blue["status_4xx"], 0);
  EXPECT_EQ(blue["upstream_errors"], 0);
  EXPECT_EQ(c.get("/count").body, "6\n");  // every GET reached the backend once
}

// The same on a canary's instances that died meanwhile (they refuse new
// connections, their pooled connections are found dead only once a request
// was sent on them): the requests go to the stable fleet, each counted once
// as the canary's upstream error and fallback, as if every connect had been
// refused. The second request meets a down instance and then the other's
// dropped pooled connection, with no instance left to try (FailsafeE2E).
TEST_F(RouterFixture, PooledConnectionsToDeadInstancesFallBackToStable) {
  Backend a = startBackend("blue"), g1 = startBackend("green1"), g2 = startBackend("green2");
  int port = pinnedCanaryEntrypoint("svc.poolfb.local", 100, a, {g1, g2});
  HttpConn c(port);
  std::set<std::string> served;
  for (int i = 0; i < 2; ++i) {  // one pooled connection to each green instance, then both die
    auto r = c.get("/dropnext?listen=0", "X-Ramp-Canary: 1\r\n");
    ASSERT_EQ(r.status, 200);
    served.insert(r.headers["x-backend"]);
  }
  EXPECT_EQ(served, (std::set<std::string>{"green1", "green2"}));
  for (int i = 0; i < 4; ++i) {
    auto r = c.get("/", "X-Ramp-Canary: 1\r\n");
    ASSERT_EQ(r.status, 200) << i << ": " << r.body;
    EXPECT_EQ(r.headers["x-backend"], "blue") << i;
  }
  auto s = call("GET", "/admin/v1/entrypoints/svc.poolfb.local/stats");
  auto green = fleetStats(s, "green"), blue = fleetStats(s, "blue");
  EXPECT_EQ(green["requests"], 6);
  EXPECT_EQ(green["status_2xx"], 2);
  EXPECT_EQ(green["upstream_errors"], 4);
  EXPECT_EQ(green["fallbacks"], 4);
  EXPECT_EQ(green["status_5xx"], 0);
  EXPECT_EQ(green["inflight"], 0);
  EXPECT_EQ(blue["requests"], 4);
  EXPECT_EQ(blue["status_2xx"], 4);
}

TEST_F(RouterFixture, PeriodicGetGetPostClientSeesTheCanaryWeightOnPosts) {
  // Issue #17: one keep-alive client sending 9 GETs then 1 POST, over and
  // over, on a 10% canary. Smooth weighted round robin sent 0 POSTs there.
  Backend a = startBackend("stable"), b = startBackend("canary");
  int port = makeEntrypoint("svc.bias.local");
  setSplit("svc.bias.local", 1, json::array({fleet("stable", 90, {a}), fleet("canary", 10, {b})}));
  HttpConn c(port);
  const int rounds = 2000;
  int postsOnCanary = 0, getsOnCanary = 0;
  for (int r = 0; r < rounds; ++r) {
    for (int i = 0; i < 9; ++i) {
      auto g = c.get("/");
      ASSERT_EQ(g.status, 200);
      getsOnCanary += g.headers["x-backend"] == "canary";
    }
    auto p = c.exchange("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx");
    ASSERT_EQ(p.status, 200);
    postsOnCanary += p.headers["x-backend"] == "canary";
  }
  // 10% ± 3% of 2,000 POSTs (binomial sd 0.67%: 4.5 sd either side).
  EXPECT_GE(postsOnCanary, 140);
  EXPECT_LE(postsOnCanary, 260);
  EXPECT_EQ(postsOnCanary + getsOnCanary, rounds);  // exact over every 100 requests
}
