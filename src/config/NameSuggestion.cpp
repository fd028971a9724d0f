#include "config/NameSuggestion.h"

#include <algorithm>

namespace ramp::config {

namespace {
// Optimal string alignment distance: insertions, deletions, substitutions
// and transpositions of two neighbours each cost 1 ("bkae" is 1 from "bake").
size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> before(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) cur[j] = std::min(cur[j], before[j - 2] + 1);
    }
    std::swap(before, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}
}  // namespace

std::optional<std::string> closestName(std::string_view word, const std::vector<std::string>& candidates) {
  if (word.size() > 64) return std::nullopt;
  size_t limit = std::clamp<size_t>(word.size() / 3, 1, 3);
  std::optional<std::string> best;
  size_t bestD = limit + 1;
  for (const auto& c : candidates) {
    size_t d = editDistance(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  auto c = closestName(word, candidates);
  return c ? " (did you mean '" + *c + "'?)" : std::string();
}

std::string quotedList(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ", ";
    out += "'" + names[i] + "'";
  }
  return out.empty() ? "(none)" : out;
}

std::string unknownName(std::string_view what, std::string_view name, const std::vector<std::string>& known,
                        std::string_view plural) {
  return "unknown " + std::string(what) + " '" + std::string(name) + "'" + didYouMean(name, known) + "; " +
         std::string(plural) + " are " + quotedList(known);
}

}  // namespace ramp::config
