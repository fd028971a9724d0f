#include "core/ArmedFailpoints.h"

#include <cstdlib>

namespace ramp {

std::vector<std::string> armedFailpoints() {
  std::vector<std::string> items;
  const char* v = std::getenv("RAMP_FAILPOINT");
  if (!v) return items;
  std::string s(v);
  size_t i = 0;
  while (i <= s.size()) {
    size_t comma = s.find(',', i);
    if (comma == std::string::npos) comma = s.size();
    if (comma > i) items.push_back(s.substr(i, comma - i));
    i = comma + 1;
  }
  return items;
}

}  // namespace ramp
