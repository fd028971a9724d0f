// Fnv1a.h — the 32-bit FNV-1a hash of a string: short, stable names and
// jitter derived from identifiers (config/AwsResourceNames,
// providers/aws/ReadSchedule). Not for anything that must resist an attacker.
#pragma once

#include <cstdint>
#include <string_view>

namespace ramp {

inline uint32_t fnv1a(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

}  // namespace ramp
