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
  t.entrypoints["crawler.prod.local"] = EntrypointRoute{"crawler.prod.local", 41000, false, 3, *s};
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
