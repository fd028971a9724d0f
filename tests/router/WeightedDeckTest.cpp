// WeightedDeck: exact proportions over every deck, and no correlation with
// the position of a request (the 9 GETs + 1 POST client of issue #17).
#include <gtest/gtest.h>

#include "router/WeightedDeck.h"

using namespace ramp::router;

TEST(WeightedDeck, ExactOverEveryDeck) {
  WeightedDeck d;
  d.reset({90, 10, 0});
  WeightedDeck::Rng rng(1);
  for (int deck = 0; deck < 50; ++deck) {
    int counts[3] = {0, 0, 0};
    for (int i = 0; i < 100; ++i) ++counts[d.next(rng)];
    EXPECT_EQ(counts[0], 90);
    EXPECT_EQ(counts[1], 10);
    EXPECT_EQ(counts[2], 0);
  }
  WeightedDeck none;
  none.reset({0, 0});
  EXPECT_EQ(none.next(rng), -1);
  WeightedDeck partial;  // a fleet without backends: the others share its traffic
  partial.reset({0, 30, 20});
  int b = 0;
  for (int i = 0; i < 50; ++i) b += partial.next(rng) == 1;
  EXPECT_EQ(b, 30);
}

TEST(WeightedDeck, EveryPositionOfAPeriodicClientSeesTheWeight) {
  // A client repeating 9 GETs then 1 POST: request k is a POST when k % 10
  // == 9. Smooth weighted round robin sent every POST to the same fleet;
  // here each position gets the canary about 10% of the time.
  WeightedDeck d;
  d.reset({90, 10});
  WeightedDeck::Rng rng(42);
  const int n = 200000;
  int canaryAt[10] = {};
  for (int k = 0; k < n; ++k)
    if (d.next(rng) == 1) ++canaryAt[k % 10];
  for (int pos = 0; pos < 10; ++pos) {
    double share = canaryAt[pos] / (n / 10.0);
    EXPECT_NEAR(share, 0.10, 0.01) << "position " << pos;
  }
}
