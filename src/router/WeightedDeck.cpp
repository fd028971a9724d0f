#include "router/WeightedDeck.h"

#include <random>
#include <utility>

namespace ramp::router {

namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

WeightedDeck::WeightedDeck(const std::vector<int>& weights, uint64_t seed) : seed_(seed) {
  for (size_t i = 0; i < weights.size(); ++i)
    for (int k = 0; k < weights[i]; ++k) base_.push_back(static_cast<uint16_t>(i));
}

void WeightedDeck::deal(uint64_t round, std::vector<uint16_t>& cards) const {
  cards = base_;
  uint64_t state = seed_ ^ (round * 0xd1342543de82ef95ULL);
  (void)splitmix64(state);
  // Fisher–Yates; j uniform in [0, i] by multiply-shift (bias < i / 2^64).
  for (size_t i = cards.size() - 1; i > 0; --i) {
    uint64_t x = splitmix64(state);
    size_t j = static_cast<size_t>((static_cast<unsigned __int128>(x) * (i + 1)) >> 64);
    std::swap(cards[i], cards[j]);
  }
}

int WeightedDeck::next(Cache& cache) {
  if (base_.empty()) return -1;
  uint64_t n = cursor_.fetch_add(1, std::memory_order_relaxed);
  uint64_t round = n / base_.size();
  if (cache.round != round) {
    deal(round, cache.cards);
    cache.round = round;
  }
  return cache.cards[n % base_.size()];
}

uint64_t WeightedDeck::randomSeed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace ramp::router
