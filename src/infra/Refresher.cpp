#include "infra/Refresher.h"

#include <set>

namespace ramp::infra {

std::map<std::pair<std::string, std::string>, std::vector<Resource>> refreshGroups(
    const std::vector<Resource>& desired, const std::map<std::string, InfraState>& state) {
  std::map<std::pair<std::string, std::string>, std::vector<Resource>> groups;
  std::set<std::string> seen;
  for (const auto& d : desired) {
    if (!seen.insert(d.address).second) continue;
    groups[{d.type, d.region}].push_back(d);
  }
  for (const auto& [region, st] : state) {
    for (const auto& [addr, rs] : st.resources) {
      if (!seen.insert(addr).second) continue;
      Resource r;
      r.address = rs.address;
      r.type = rs.type;
      r.name = rs.name;
      r.region = rs.region;
      r.attributes = rs.attributes;
      groups[{rs.type, rs.region}].push_back(std::move(r));
    }
  }
  return groups;
}

Result<std::map<std::string, ResourceState>> refresh(InfraProvider& provider, const std::vector<Resource>& desired,
                                                     const std::map<std::string, InfraState>& state) {
  std::map<std::string, ResourceState> out;
  for (const auto& [key, resources] : refreshGroups(desired, state)) {
    auto got = provider.readMany(key.first, key.second, resources);
    if (!got) {
      Error e = got.error();
      e.message = "refreshing " + key.first + " in " + (key.second.empty() ? "global" : key.second) + ": " +
                  e.message;
      return std::unexpected(e);
    }
    for (auto& [addr, st] : *got) out[addr] = std::move(st);
  }
  return out;
}

uint64_t minimumCalls(const std::vector<Resource>& desired, const std::map<std::string, InfraState>& state,
                      const std::function<size_t(const std::string& type)>& maxBatch) {
  uint64_t n = 0;
  for (const auto& [key, resources] : refreshGroups(desired, state)) {
    size_t b = std::max<size_t>(1, maxBatch(key.first));
    n += (resources.size() + b - 1) / b;
  }
  return n;
}

}  // namespace ramp::infra
