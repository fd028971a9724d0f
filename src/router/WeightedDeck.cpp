#include "router/WeightedDeck.h"

#include <utility>

namespace ramp::router {

void WeightedDeck::reset(const std::vector<int>& weights) {
  cards_.clear();
  for (size_t i = 0; i < weights.size(); ++i)
    for (int k = 0; k < weights[i]; ++k) cards_.push_back(static_cast<uint16_t>(i));
  dealt_ = cards_.size();  // shuffled before the first deal
}

int WeightedDeck::next(Rng& rng) {
  if (cards_.empty()) return -1;
  if (dealt_ == cards_.size()) {
    // Fisher–Yates: every permutation equally likely.
    for (size_t i = cards_.size() - 1; i > 0; --i) {
      std::uniform_int_distribution<size_t> pick(0, i);
      std::swap(cards_[i], cards_[pick(rng)]);
    }
    dealt_ = 0;
  }
  return cards_[dealt_++];
}

WeightedDeck::Rng& WeightedDeck::threadRng() {
  thread_local Rng rng{[] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return Rng(seq);
  }()};
  return rng;
}

}  // namespace ramp::router
