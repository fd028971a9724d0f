// RouterTrafficProvider: the local TrafficProvider/MetricsProvider over the
// real router process.
#include <cmath>

#include "RouterFixture.h"
#include "providers/local/RouterTrafficProvider.h"

using namespace ramp;
using namespace ramp::providers;
using namespace ramp::router::test;

TEST_F(RouterFixture, ProviderSetsReadsBackAndMeasures) {
  Backend a = startBackend("blue"), b = startBackend("green");
  RouterTrafficProvider p(home_, bin_);
  EntrypointKey key{"crawler", "prod", "local"};
  auto url = p.ensureEntrypoint(key);
  ASSERT_TRUE(url.has_value()) << url.error().describe();
  EXPECT_EQ(url->rfind("http://127.0.0.1:", 0), 0u);
  auto again = p.ensureEntrypoint(key);
  EXPECT_EQ(*again, *url);

  TrafficSplit split;
  split.key = key;
  split.fleets = {{"fleet-a", 80, {a.address()}}, {"fleet-b", 20, {b.address()}}};
  split.pin = Pinning{"X-Ramp-Canary", "ramp-canary", "fleet-b"};
  split.epoch = 3;
  auto st = p.setTraffic(split);
  ASSERT_TRUE(st.has_value()) << st.error().describe();
  auto applied = p.appliedTraffic(key);
  ASSERT_TRUE(applied.has_value());
  EXPECT_EQ(applied->fleets, split.fleets);
  EXPECT_EQ(applied->pin, split.pin);
  EXPECT_EQ(applied->epoch, 3);

  int port = std::atoi(url->substr(url->rfind(':') + 1).c_str());
  HttpConn c(port);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(c.get("/").status, 200);
  auto m = p.fleetMetrics(key, "fleet-a");
  ASSERT_TRUE(m.has_value()) << m.error().describe();
  EXPECT_EQ(m->requests, 80u);  // exact over a whole deck of 100
  EXPECT_EQ(m->status2xx, 80u);
  EXPECT_EQ(m->countersEpoch.size(), 16u + 2u) << m->countersEpoch;  // "<router id>-1"
  ASSERT_EQ(m->latencyBoundsMs.size(), m->latencyCounts.size());
  EXPECT_TRUE(std::isinf(m->latencyBoundsMs.back()));
  EXPECT_EQ(p.inflight(key, "fleet-a").value(), 0);

  // A stale epoch is refused with kConflict; nothing changes.
  TrafficSplit stale = split;
  stale.epoch = 2;
  stale.fleets = {{"fleet-b", 100, {b.address()}}};
  auto refused = p.setTraffic(stale);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_EQ(p.appliedTraffic(key)->fleets, split.fleets);

  // The router dies: the provider restarts it, and what it applied is back.
  ASSERT_TRUE(router::stopRouter(home_, Millis(5000)).has_value());
  auto back = p.appliedTraffic(key);
  ASSERT_TRUE(back.has_value()) << back.error().describe();
  EXPECT_EQ(back->fleets, split.fleets);
  EXPECT_EQ(*p.ensureEntrypoint(key), *url);
  EXPECT_FALSE(p.fleetMetrics(key, "never-there").has_value());

  // Stable fleet and lease go through and come back.
  TrafficSplit leased = split;
  leased.stable = "fleet-a";
  leased.leaseMs = 60000;
  ASSERT_TRUE(p.setTraffic(leased).has_value());
  auto l = p.appliedTraffic(key);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->stable, "fleet-a");
  EXPECT_EQ(l->leaseMs, 60000);
  ASSERT_TRUE(l->lease.has_value());
  EXPECT_EQ(l->lease->state, "held");
  EXPECT_GT(l->lease->remainingMs, 0);
  EXPECT_TRUE(p.renewLease(key, 3).has_value());
  auto stale2 = p.renewLease(key, 1);
  ASSERT_FALSE(stale2.has_value());
  EXPECT_EQ(stale2.error().code, ErrorCode::kConflict);
}
