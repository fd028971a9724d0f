// WeightedDeck.h — which fleet an unpinned request goes to (issue #17:
// assignment that cannot correlate with request order or method).
//
// A deck of `total` cards (total = the sum of the weights, 100 for a full
// split) holds weight[i] cards of fleet i. It is shuffled uniformly
// (Fisher–Yates) with a random generator that never sees the requests, and
// dealt one card per request; an empty deck is shuffled again. So:
//   * every request, whatever its position, method or connection, goes to
//     fleet i with probability exactly weight[i] / total, because the
//     permutation is drawn independently of the request stream (a client
//     sending 9 GETs then 1 POST sees each POST on the canary with the
//     canary's weight; the smooth weighted round robin this replaces sent
//     every 10th request to the same fleet);
//   * proportions are still exact over every whole deck (every 100 requests
//     from a fresh split), so the judge's per-fleet counts stay as planned
//     and the variance is at most the binomial's.
// One deck per split per io thread; not thread-safe.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace ramp::router {

class WeightedDeck {
 public:
  using Rng = std::mt19937_64;

  // weights[i] >= 0 (a fleet that takes no traffic now has 0).
  void reset(const std::vector<int>& weights);
  // The next fleet index, -1 when every weight is 0.
  int next(Rng& rng);
  int next() { return next(threadRng()); }
  size_t size() const { return cards_.size(); }

  // This thread's generator, seeded once from std::random_device.
  static Rng& threadRng();

 private:
  std::vector<uint16_t> cards_;
  size_t dealt_ = 0;
};

}  // namespace ramp::router
