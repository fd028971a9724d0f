// RouteTable: split bodies are validated with errors naming the field, and
// routes.json round-trips.
#include <gtest/gtest.h>

#include "router/RouteTable.h"

using namespace ramp::router;
using nlohmann::json;

TEST(RouteTable, SplitErrorsNameTheField) {
  struct C {
    json body;
    const char* where;
  } cases[] = {
      {json::array(), "body"},
      {json{{"fleets", json::array()}}, "epoch"},
      {json{{"epoch", "1"}, {"fleets", json::array()}}, "epoch"},
      {json{{"epoch", -1}, {"fleets", json::array()}}, "epoch"},
      {json{{"epoch", 1}}, "fleets"},
      {json{{"epoch", 1}, {"fleets", json::array()}, {"extra", 1}}, "extra"},
      {json{{"epoch", 1}, {"fleets", {{{"id", "a"}, {"weight", 101}, {"backends", {"127.0.0.1:1"}}}}}}, "fleets[0].weight"},
      {json{{"epoch", 1}, {"fleets", {{{"id", "a"}, {"weight", 1.5}, {"backends", {"127.0.0.1:1"}}}}}}, "fleets[0].weight"},
      {json{{"epoch", 1}, {"fleets", {{{"id", "a b"}, {"weight", 100}, {"backends", {"127.0.0.1:1"}}}}}}, "fleets[0].id"},
      {json{{"epoch", 1}, {"fleets", {{{"id", "a"}, {"weight", 100}, {"backends", {"example.com:1"}}}}}}, "fleets[0].backends[0]"},
      {json{{"epoch", 1}, {"fleets", {{{"id", "a"}, {"weight", 100}, {"backends", {"127.0.0.1:0"}}}}}}, "fleets[0].backends[0]"},
      {json{{"epoch", 1}, {"fleets", {{{"id", "a"}, {"weight", 100}, {"backends", json::array()}}}}}, "fleets[0].backends"},
      {json{{"epoch", 1}, {"fleets", {{{"id", "a"}, {"weight", 60}, {"backends", {"127.0.0.1:1"}}},
                                      {{"id", "b"}, {"weight", 30}, {"backends", {"127.0.0.1:2"}}}}}}, "fleets"},
      {json{{"epoch", 1}, {"fleets", {{{"id", "a"}, {"weight", 50}, {"backends", {"127.0.0.1:1"}}},
                                      {{"id", "a"}, {"weight", 50}, {"backends", {"127.0.0.1:2"}}}}}}, "fleets[1].id"},
      {json{{"epoch", 1}, {"fleets", {{{"id", "a"}, {"weight", 100}, {"backends", {"127.0.0.1:1"}}}}},
            {"pin", {{"header", "X-C"}, {"fleet", "zzz"}}}}, "pin.fleet"},
      {json{{"epoch", 1}, {"fleets", {{{"id", "a"}, {"weight", 100}, {"backends", {"127.0.0.1:1"}}}}},
            {"pin", {{"header", "X C"}, {"fleet", "a"}}}}, "pin.header"},
      {json{{"epoch", 1}, {"fleets", {{{"id", "a"}, {"weight", 100}, {"backends", {"127.0.0.1:1"}}}}},
            {"pin", {{"fleet", "a"}}}}, "pin"},
      {json{{"epoch", 1}, {"fleets", {{{"id", "a"}, {"weight", 100}, {"backends", {"127.0.0.1:1"}}}}},
            {"stable", "zzz"}}, "stable"},
      {json{{"epoch", 1}, {"fleets", {{{"id", "a"}, {"weight", 100}, {"backends", {"127.0.0.1:1"}}}}},
            {"stable", 3}}, "stable"},
      {json{{"epoch", 1}, {"fleets", {{{"id", "a"}, {"weight", 100}, {"backends", {"127.0.0.1:1"}}},
                                      {{"id", "b"}, {"weight", 0}}}},
            {"stable", "b"}}, "stable"},
      {json{{"epoch", 1}, {"fleets", {{{"id", "a"}, {"weight", 100}, {"backends", {"127.0.0.1:1"}}}}},
            {"lease_ms", 5000}}, "lease_ms"},
      {json{{"epoch", 1}, {"fleets", {{{"id", "a"}, {"weight", 100}, {"backends", {"127.0.0.1:1"}}}}},
            {"stable", "a"}, {"lease_ms", 5}}, "lease_ms"},
      {json{{"epoch", 1}, {"fleets", {{{"id", "a"}, {"weight", 100}, {"backends", {"127.0.0.1:1"}}}}},
            {"stable", "a"}, {"lease_ms", "10s"}}, "lease_ms"},
  };
  for (const auto& c : cases) {
    auto r = RouteTable::parseSplit(c.body);
    ASSERT_FALSE(r.has_value()) << c.body.dump();
    EXPECT_EQ(r.error().where, c.where) << c.body.dump() << " -> " << r.error().describe();
  }
}

TEST(RouteTable, AcceptsValidSplitAndRoundTrips) {
  json body = {{"epoch", 7},
               {"fleets", {{{"id", "blue"}, {"weight", 90}, {"backends", {"127.0.0.1:5001", "localhost:5002"}}},
                           {{"id", "green"}, {"weight", 10}, {"backends", {"127.0.0.1:6001"}}},
                           {{"id", "old"}, {"weight", 0}, {"backends", json::array()}}}},
               {"pin", {{"header", "X-Ramp-Canary"}, {"cookie", "ramp-canary"}, {"fleet", "green"}}}};
  auto s = RouteTable::parseSplit(body);
  ASSERT_TRUE(s.has_value()) << s.error().describe();
  RouteTable t;
  t.highestEpoch = 7;
  t.entrypoints["crawler.prod.local"] = EntrypointRoute{"crawler.prod.local", 41000, false, 3, *s, std::nullopt};
  auto back = RouteTable::fromJson(t.toJson().dump(), "routes.json");
  ASSERT_TRUE(back.has_value()) << back.error().describe();
  EXPECT_EQ(back->highestEpoch, 7);
  const auto& ep = back->entrypoints.at("crawler.prod.local");
  EXPECT_EQ(ep.port, 41000);
  EXPECT_EQ(ep.generation, 3u);
  EXPECT_EQ(ep.split, *s);
}

TEST(RouteTable, CorruptRoutesFileNamesTheFile) {
  auto r = RouteTable::fromJson("{not json", "/x/routes.json");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().describe().find("/x/routes.json"), std::string::npos);
  auto r2 = RouteTable::fromJson(R"({"version":1,"entrypoints":[{"name":"a","port":99999,"fleets":[]}]})", "/x/routes.json");
  ASSERT_FALSE(r2.has_value());
  EXPECT_NE(r2.error().where.find("entrypoints[0].port"), std::string::npos);
}

TEST(RouteTable, EntrypointNames) {
  EXPECT_TRUE(RouteTable::validateName("crawler.prod.local").has_value());
  EXPECT_FALSE(RouteTable::validateName("").has_value());
  EXPECT_FALSE(RouteTable::validateName("a/b").has_value());
  EXPECT_FALSE(RouteTable::validateName("a..b").has_value());
}

TEST(RouteTable, LeaseAndStableRoundTripAndFallback) {
  json body = {{"epoch", 4},
               {"fleets", {{{"id", "blue"}, {"weight", 90}, {"backends", {"127.0.0.1:5001"}}},
                           {{"id", "green"}, {"weight", 10}, {"backends", {"127.0.0.1:6001"}}}}},
               {"pin", {{"header", "X-Ramp-Canary"}, {"fleet", "green"}}},
               {"stable", "blue"},
               {"lease_ms", 10000}};
  auto s = RouteTable::parseSplit(body);
  ASSERT_TRUE(s.has_value()) << s.error().describe();
  EXPECT_EQ(s->stable, "blue");
  EXPECT_EQ(s->leaseMs, 10000);
  auto fb = RouteTable::fallbackSplit(*s);
  EXPECT_EQ(fb.fleets[0].weight, 100);
  EXPECT_EQ(fb.fleets[1].weight, 0);
  EXPECT_EQ(fb.fleets[1].backends, s->fleets[1].backends);  // still listed: it drains
  EXPECT_FALSE(fb.pin.has_value());
  EXPECT_EQ(fb.leaseMs, 0);
  EXPECT_EQ(fb.stable, "blue");
  EXPECT_EQ(fb.epoch, 4);

  RouteTable t;
  EntrypointRoute held{"a.b.c", 41000, false, 2, *s, std::nullopt};
  held.lease = LeaseRecord{.state = "held", .leaseMs = 10000, .expiresAtMs = 1'700'000'010'000,
                           .renewedAtMs = 1'700'000'000'000, .expiredAtMs = 0, .before = std::nullopt};
  EntrypointRoute gone{"d.e.f", 41001, true, 3, fb, std::nullopt};
  gone.lease = LeaseRecord{.state = "expired", .leaseMs = 10000, .expiresAtMs = 0, .renewedAtMs = 0,
                           .expiredAtMs = 1'700'000'020'000, .before = *s};
  t.entrypoints["a.b.c"] = held;
  t.entrypoints["d.e.f"] = gone;
  auto back = RouteTable::fromJson(t.toJson().dump(), "routes.json");
  ASSERT_TRUE(back.has_value()) << back.error().describe();
  EXPECT_EQ(back->entrypoints.at("a.b.c").split, *s);
  EXPECT_EQ(back->entrypoints.at("a.b.c").lease, held.lease);
  EXPECT_EQ(back->entrypoints.at("d.e.f").split, fb);
  EXPECT_EQ(back->entrypoints.at("d.e.f").lease, gone.lease);
}
