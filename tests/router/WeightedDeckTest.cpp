// WeightedDeck: exact proportions over every round (across threads too),
// and no correlation with the position of a request (the 9 GETs + 1 POST
// client of issue #17).
#include <gtest/gtest.h>

#include <thread>

#include "router/WeightedDeck.h"

using namespace ramp::router;

TEST(WeightedDeck, ExactOverEveryRound) {
  WeightedDeck d({90, 10, 0}, 1);
  WeightedDeck::Cache cache;
  for (int round = 0; round < 50; ++round) {
    int counts[3] = {0, 0, 0};
    for (int i = 0; i < 100; ++i) ++counts[d.next(cache)];
    EXPECT_EQ(counts[0], 90);
    EXPECT_EQ(counts[1], 10);
    EXPECT_EQ(counts[2], 0);
  }
  WeightedDeck none({0, 0}, 1);
  EXPECT_EQ(none.next(cache), -1);
  WeightedDeck partial({0, 30, 20}, 7);  // a fleet without backends: the others share its traffic
  WeightedDeck::Cache c2;
  int b = 0;
  for (int i = 0; i < 50; ++i) b += partial.next(c2) == 1;
  EXPECT_EQ(b, 30);
}

TEST(WeightedDeck, RoundsDifferAndSeedsDiffer) {
  WeightedDeck d({50, 50}, 3);
  WeightedDeck::Cache c;
  std::vector<int> r1, r2;
  for (int i = 0; i < 100; ++i) r1.push_back(d.next(c));
  for (int i = 0; i < 100; ++i) r2.push_back(d.next(c));
  EXPECT_NE(r1, r2);
  WeightedDeck e({50, 50}, 4);
  WeightedDeck::Cache c3;
  std::vector<int> s1;
  for (int i = 0; i < 100; ++i) s1.push_back(e.next(c3));
  EXPECT_NE(r1, s1);
}

TEST(WeightedDeck, EveryPositionOfAPeriodicClientSeesTheWeight) {
  // A client repeating 9 GETs then 1 POST: request k is a POST when k % 10
  // == 9. Smooth weighted round robin sent every POST to the same fleet;
  // here each position gets the canary about 10% of the time.
  WeightedDeck d({90, 10}, 42);
  WeightedDeck::Cache cache;
  const int n = 200000;
  int canaryAt[10] = {};
  for (int k = 0; k < n; ++k)
    if (d.next(cache) == 1) ++canaryAt[k % 10];
  for (int pos = 0; pos < 10; ++pos) EXPECT_NEAR(canaryAt[pos] / (n / 10.0), 0.10, 0.01) << "position " << pos;
}

TEST(WeightedDeck, ExactAcrossThreads) {
  WeightedDeck d({90, 10}, 9);
  const int threads = 4, perThread = 2500;  // 10,000 draws = 100 whole rounds
  std::vector<int> canary(threads, 0);
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      WeightedDeck::Cache cache;
      for (int i = 0; i < perThread; ++i) canary[t] += d.next(cache) == 1;
    });
  for (auto& t : ts) t.join();
  int sum = 0;
  for (int c : canary) sum += c;
  EXPECT_EQ(sum, 1000);
}
