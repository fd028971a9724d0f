#include "infra/Drift.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "infra/DesiredGraph.h"

namespace ramp::infra {

nlohmann::json DriftReport::toJson() const {
  nlohmann::json items_ = nlohmann::json::array();
  for (const auto& i : items) {
    nlohmann::json attrs = nlohmann::json::array();
    for (const auto& a : i.attributes) attrs.push_back({{"name", a.name}, {"before", a.before}, {"after", a.after}});
    items_.push_back({{"kind", i.kind},
                      {"address", i.address},
                      {"type", i.type},
                      {"name", i.name},
                      {"region", i.region},
                      {"id", i.id},
                      {"attributes", std::move(attrs)}});
  }
  return nlohmann::json{{"project", project},
                        {"env", env},
                        {"regions", regions},
                        {"checked", checked},
                        {"drift", !clean()},
                        {"items", std::move(items_)},
                        {"managed_by_deployments", managedByDeployments}};
}

std::string DriftReport::text() const {
  std::string out;
  int changed = 0, deleted = 0, leftover = 0, unrecorded = 0;
  for (const auto& i : items) {
    const std::string where = i.region.empty() ? "global" : i.region;
    if (i.kind == "changed") {
      ++changed;
      out += fmt::format("  ~ {} ({}) changed outside ramp\n", i.address, where);
      for (const auto& a : i.attributes) {
        out += fmt::format("      {}: {} -> {}\n", a.name, a.before.dump(), a.after.dump());
      }
    } else if (i.kind == "deleted") {
      ++deleted;
      out += fmt::format("  - {} ({}) deleted outside ramp (id {})\n", i.address, where, i.id);
    } else if (i.kind == "unrecorded") {
      ++unrecorded;
      out += fmt::format("  <= {} ({}) exists and the configuration wants it, but no state records it (id {}): "
                         "`ramp apply --env {}` imports it\n",
                         i.address, where, i.id, env);
    } else {
      ++leftover;
      out += fmt::format("  ? {} {} ({}) carries ramp's tags but no state knows it (id {}): `ramp apply --env {} "
                         "--allow-destroy` deletes it\n",
                         i.type, i.address, where, i.id, env);
    }
  }
  if (!managedByDeployments.empty()) {
    out += fmt::format("  ({} tagged resources are managed by deployments, not by infrastructure)\n",
                       managedByDeployments.size());
  }
  if (clean()) {
    out += fmt::format("No drift: {} resources of {}/{} match the recorded state.\n", checked, project, env);
  } else {
    out += fmt::format("Drift: {} changed, {} deleted outside ramp, {} leftovers, {} to import ({} resources "
                       "checked).\n",
                       changed, deleted, leftover, unrecorded, checked);
  }
  return out;
}

Result<DriftReport> Drift::detect(const std::string& project, const std::string& env,
                                  const std::vector<std::string>& regions, InfraProvider& provider,
                                  InfraStore& store, const std::set<std::string>& desired) {
  DriftReport report;
  report.project = project;
  report.env = env;
  auto states = store.loadAll(project, env);
  if (!states) return std::unexpected(states.error());
  std::set<std::string> regionSet(regions.begin(), regions.end());
  regionSet.insert("");
  for (const auto& [r, _] : *states) regionSet.insert(r);
  report.regions.assign(regionSet.begin(), regionSet.end());

  std::set<std::string> knownAddresses, knownIds;
  for (const auto& [region, s] : *states) {
    for (const auto& [address, rs] : s.resources) {
      knownAddresses.insert(address);
      if (!rs.id.empty()) knownIds.insert(rs.id);
    }
  }

  for (const auto& region : report.regions) {
    auto it = states->find(region);
    if (it != states->end()) {
      std::map<std::string, std::vector<Resource>> byType;
      for (const auto& [address, rs] : it->second.resources) {
        // With this environment's tags: references resolve within it, never
        // to another environment's resource at the same address.
        Resource r = recordedResource(project, env, rs);
        r.address = address;
        r.region = region;
        byType[rs.type].push_back(std::move(r));
      }
      for (const auto& [type, wanted] : byType) {
        auto real = provider.readMany(type, region, wanted);
        if (!real) {
          return std::unexpected(Error{real.error().code,
                                       fmt::format("reading {} in {}: {}", type, region.empty() ? "global" : region,
                                                   real.error().message),
                                       real.error().where});
        }
        for (const auto& w : wanted) {
          ++report.checked;
          const ResourceState& recorded = it->second.resources.at(w.address);
          auto found = real->find(w.address);
          if (found == real->end()) {
            report.items.push_back(DriftItem{"deleted", w.address, w.type, w.name, region, recorded.id, {}});
            continue;
          }
          std::vector<AttributeChange> diffs;
          std::set<std::string> keys;
          for (const auto& [k, _] : recorded.attributes.items()) keys.insert(k);
          for (const auto& [k, _] : found->second.attributes.items()) keys.insert(k);
          for (const auto& k : keys) {
            nlohmann::json before = recorded.attributes.contains(k) ? recorded.attributes[k] : nlohmann::json();
            nlohmann::json after =
                found->second.attributes.contains(k) ? found->second.attributes[k] : nlohmann::json();
            if (before != after) diffs.push_back(AttributeChange{k, before, after, false});
          }
          if (!diffs.empty()) {
            report.items.push_back(DriftItem{"changed", w.address, w.type, w.name, region, recorded.id, diffs});
          }
        }
      }
    }
    auto tagged = provider.listTagged(project, env, region);
    if (!tagged) {
      return std::unexpected(Error{tagged.error().code,
                                   fmt::format("listing ramp-tagged resources in {}: {}",
                                               region.empty() ? "global" : region, tagged.error().message),
                                   tagged.error().where});
    }
    for (const auto& t : *tagged) {
      const nlohmann::json tags = t.attributes.contains("tags") && t.attributes["tags"].is_object()
                                      ? t.attributes["tags"]
                                      : nlohmann::json::object();
      const bool fleet = tags.contains("ramp:fleet");
      const bool otherOwner = tags.contains("ramp:managed-by") && tags["ramp:managed-by"] != "infra";
      if (fleet || otherOwner) {
        report.managedByDeployments.push_back(t.id.empty() ? t.address : t.id);
        continue;
      }
      // Known by its id; without one, by its address. A resource with a
      // known address but an id no state records is a twin: a leftover.
      if (t.id.empty() ? knownAddresses.contains(t.address) : knownIds.contains(t.id)) continue;
      // Not recorded at all, but the configuration asks for its address
      // (typically the entry point a deployment ensured before any apply):
      // the plan imports it, so drift says the same.
      const bool wanted = !t.address.empty() && !knownAddresses.contains(t.address) && desired.contains(t.address);
      report.items.push_back(DriftItem{wanted ? "unrecorded" : "leftover", t.address.empty() ? t.id : t.address, t.type,
                                       t.name, region, t.id, {}});
    }
  }
  std::stable_sort(report.items.begin(), report.items.end(), [](const DriftItem& a, const DriftItem& b) {
    return std::tie(a.region, a.address) < std::tie(b.region, b.address);
  });
  return report;
}

}  // namespace ramp::infra
