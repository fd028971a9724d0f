#include "core/Duration.h"

#include <array>
#include <cstdint>
#include <limits>

namespace ramp {

namespace {
struct Unit {
  std::string_view name;
  int64_t millis;
};
// Ordered from largest to smallest; "ms" is matched before "m".
constexpr std::array<Unit, 5> kUnits{{{"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000},
                                      {"s", 1'000}, {"ms", 1}}};
}  // namespace

Result<std::chrono::milliseconds> parseDuration(std::string_view text) {
  if (text.empty()) return invalid("empty duration; write e.g. 30s, 5m or 1h30m");
  if (text == "0") return std::chrono::milliseconds(0);
  int64_t total = 0;
  size_t i = 0;
  int lastUnit = -1;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') {
      return invalid("bad duration '" + std::string(text) +
                     "': expected a number at position " + std::to_string(i + 1) +
                     "; write e.g. 30s, 5m or 1h30m");
    }
    int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (n > (std::numeric_limits<int64_t>::max() - 9) / 10) {
        return invalid("duration '" + std::string(text) + "' is too large");
      }
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    size_t start = i;
    while (i < text.size() && ((text[i] >= 'a' && text[i] <= 'z'))) ++i;
    std::string_view unit = text.substr(start, i - start);
    if (unit.empty()) {
      return invalid("bad duration '" + std::string(text) +
                     "': a number needs a unit (ms, s, m, h, d)");
    }
    int idx = -1;
    for (size_t u = 0; u < kUnits.size(); ++u) {
      if (kUnits[u].name == unit) idx = static_cast<int>(u);
    }
    if (idx < 0) {
      return invalid("bad duration '" + std::string(text) + "': unknown unit '" +
                     std::string(unit) + "' (use ms, s, m, h or d)");
    }
    if (idx <= lastUnit) {
      return invalid("bad duration '" + std::string(text) +
                     "': units must go from largest to smallest, each once");
    }
    lastUnit = idx;
    if (n > std::numeric_limits<int64_t>::max() / kUnits[idx].millis ||
        total > std::numeric_limits<int64_t>::max() - n * kUnits[idx].millis) {
      return invalid("duration '" + std::string(text) + "' is too large");
    }
    total += n * kUnits[idx].millis;
  }
  return std::chrono::milliseconds(total);
}

std::string formatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  for (const auto& u : kUnits) {
    if (ms >= u.millis) {
      out += std::to_string(ms / u.millis) + std::string(u.name);
      ms %= u.millis;
    }
  }
  return out;
}

}  // namespace ramp
