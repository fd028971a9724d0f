#include "infra/Refresher.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <set>
#include <system_error>
#include <thread>

#include "infra/DesiredGraph.h"

namespace ramp::infra {

namespace {

using GroupKey = std::pair<std::string, std::string>;  // (type, region)
using Groups = std::map<GroupKey, std::vector<Resource>>;

Error named(const GroupKey& key, Error e) {
  e.message = "refreshing " + key.first + " in " + (key.second.empty() ? "global" : key.second) + ": " + e.message;
  return e;
}

// What one region's worker read: its states, or the first group that failed.
struct RegionRead {
  std::map<std::string, ResourceState> found;
  std::optional<std::pair<GroupKey, Error>> failed;
};

// The groups of one region in type order, one readMany each; stops at the
// first failure (the region's later groups come after it in (type, region)
// order, so they could never be the reported failure).
RegionRead readRegion(InfraProvider& provider, const std::vector<const Groups::value_type*>& groups) {
  RegionRead out;
  for (const auto* g : groups) {
    auto got = provider.readMany(g->first.first, g->first.second, g->second);
    if (!got) {
      out.failed.emplace(g->first, got.error());
      return out;
    }
    for (auto& [addr, st] : *got) out.found[addr] = std::move(st);
  }
  return out;
}

}  // namespace

Groups refreshGroups(const std::vector<Resource>& desired, const std::map<std::string, InfraState>& state) {
  Groups groups;
  std::set<std::string> seen;
  std::map<std::string, const ResourceState*> recorded;
  for (const auto& [region, st] : state) {
    for (const auto& [addr, rs] : st.resources) recorded[addr] = &rs;
  }
  // The project and environment are the desired resources' (their tags).
  std::string project, env;
  for (const auto& d : desired) {
    if (d.tags.is_object() && d.tags.contains("ramp:project")) {
      project = d.tags.value("ramp:project", "");
      env = d.tags.value("ramp:env", "");
      break;
    }
  }
  for (const auto& d : desired) {
    if (!seen.insert(d.address).second) continue;
    Resource r = d;
    // What exists is what was recorded: a resource renamed in the config
    // (aws.load_balancer) is read under its recorded name, so the plan
    // replaces it (and its dependants) instead of calling it deleted.
    if (auto it = recorded.find(d.address); it != recorded.end() && !it->second->name.empty() &&
                                            it->second->name != d.name && it->second->type == d.type) {
      r.name = it->second->name;
    }
    groups[{d.type, d.region}].push_back(std::move(r));
  }
  for (const auto& [region, st] : state) {
    for (const auto& [addr, rs] : st.resources) {
      if (!seen.insert(addr).second) continue;
      // Recorded only: read with its own environment's tags, so references
      // resolve within it (two environments of a project share addresses).
      groups[{rs.type, rs.region}].push_back(recordedResource(project, env, rs));
    }
  }
  return groups;
}

Result<std::map<std::string, ResourceState>> refresh(InfraProvider& provider, const std::vector<Resource>& desired,
                                                     const std::map<std::string, InfraState>& state,
                                                     RefreshOptions options) {
  const Groups groups = refreshGroups(desired, state);
  std::map<std::string, ResourceState> out;

  // Regions (sorted; "" = global) with their groups in type order.
  std::map<std::string, std::vector<const Groups::value_type*>> byRegion;
  for (const auto& g : groups) byRegion[g.first.second].push_back(&g);
  std::vector<const std::vector<const Groups::value_type*>*> regions;
  for (const auto& [region, gs] : byRegion) regions.push_back(&gs);

  const size_t workers = std::min(std::max<size_t>(1, options.maxParallelRegions), regions.size());
  if (workers <= 1) {
    // Serial: (type, region) order, stop at the first failure.
    for (const auto& [key, resources] : groups) {
      auto got = provider.readMany(key.first, key.second, resources);
      if (!got) return std::unexpected(named(key, got.error()));
      for (auto& [addr, st] : *got) out[addr] = std::move(st);
    }
    return out;
  }

  // Parallel: each worker takes the next region (sorted order) until none is
  // left; every region is taken exactly once, so the loop is bounded by the
  // number of regions.
  std::vector<RegionRead> reads(regions.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next.fetch_add(1); i < regions.size(); i = next.fetch_add(1)) {
      reads[i] = readRegion(provider, *regions[i]);
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (size_t w = 1; w < workers; ++w) {
    try {
      pool.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads: the ones running (and this one) take the rest
    }
  }
  work();
  for (auto& t : pool) t.join();

  const std::pair<GroupKey, Error>* first = nullptr;
  for (const auto& r : reads) {
    if (r.failed && (!first || r.failed->first < first->first)) first = &*r.failed;
  }
  if (first) return std::unexpected(named(first->first, first->second));
  for (auto& r : reads) {
    for (auto& [addr, st] : r.found) out[addr] = std::move(st);
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
