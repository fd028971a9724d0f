#include "config/AwsResourceNames.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <set>

#include "config/Model.h"
#include "core/Fnv1a.h"
#include "core/Sha256.h"

namespace ramp::config {
std::string regionShort(const std::string& region) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t d = region.find('-', start);
    parts.push_back(region.substr(start, d == std::string::npos ? std::string::npos : d - start));
    if (d == std::string::npos) break;
    start = d + 1;
  }
  if (parts.size() != 3 || parts[0].empty() || parts[2].empty() ||
      !std::all_of(parts[2].begin(), parts[2].end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return region;
  }
  static const std::vector<std::pair<std::string, std::string>> kWords{
      {"northeast", "ne"}, {"northwest", "nw"}, {"southeast", "se"}, {"southwest", "sw"}, {"north", "n"},
      {"south", "s"},      {"east", "e"},       {"west", "w"},       {"central", "c"}};
  std::string mid = parts[1];
  for (const auto& [word, abbrev] : kWords) {
    if (parts[1] == word) {
      mid = abbrev;
      break;
    }
  }
  return parts[0] + mid + parts[2];
}

std::string loadBalancerName(const std::string& project, const std::string& env, const std::string& region,
                             const std::string& configured) {
  if (!configured.empty()) return configured;
  std::string name = "ramp-" + project + "-" + env + "-" + regionShort(region);
  for (auto& c : name) {
    c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : '-';
  }
  if (name.size() <= 32) return name;
  std::string hash = sha256Hex(name).substr(0, 6);
  std::string cut = name.substr(0, 32 - 7);
  while (!cut.empty() && cut.back() == '-') cut.pop_back();
  return cut + "-" + hash;
}

std::map<std::string, int> serviceRulePriorities(const std::vector<std::string>& services) {
  constexpr int kSlots = 16334;  // 100 + 3 * 16333 = 49099
  std::vector<std::string> sorted = services;
  std::sort(sorted.begin(), sorted.end());
  std::map<std::string, int> out;
  std::set<int> taken;
  for (const auto& s : sorted) {
    int k = static_cast<int>(fnv1a(s) % kSlots);
    for (int i = 0; i < kSlots && taken.count(k); ++i) k = (k + 1) % kSlots;
    taken.insert(k);
    out[s] = 100 + 3 * k;
  }
  return out;
}

std::string serviceAlarmName(const std::string& project, const std::string& env, const std::string& service,
                             const std::string& definition) {
  return "ramp-" + project + "-" + env + "-" + service + "/" + definition;
}

bool alarmFollowsFleets(const std::string& metric) { return metric != "elb_5xx_count"; }

std::string dnsSuffix(const AwsSettings& aws, const std::string& env) {
  if (!aws.dns) return {};
  return aws.dns->name.empty() ? env + "." + aws.dns->zone : aws.dns->name;
}

std::string serviceRecordName(const AwsSettings& aws, const std::string& env, const std::string& service) {
  std::string suffix = dnsSuffix(aws, env);
  return suffix.empty() ? std::string() : service + "." + suffix;
}

}  // namespace ramp::config
