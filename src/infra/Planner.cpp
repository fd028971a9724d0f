#include "infra/Planner.h"

#include <algorithm>
#include <functional>
#include <set>
#include <string_view>
#include <unordered_map>

#include "infra/PlanJson.h"

namespace ramp::infra {

namespace {

// Deletion order: higher ranks go first (dependants before what they depend on).
int typeRank(const std::string& type) {
  if (type == "aws_lb_listener_rule") return 2;
  if (type == "aws_lb_listener" || type == "aws_cloudwatch_alarm" || type == "aws_route53_record") return 1;
  return 0;
}

// Regional dependants that die with what they depend on (an ALB's listeners, a listener's rules).
bool diesWithParent(const std::string& type) { return type == "aws_lb_listener" || type == "aws_lb_listener_rule"; }

// What a change to a desired resource is about: the resource (its address,
// type and region) and, when it exists, its current state.
void setSubject(Change& c, const Resource& desired, const ResourceState* current) {
  c.address = desired.address;
  c.type = desired.type;
  c.region = desired.region;
  c.desired = desired;
  if (current) c.current = *current;
}

}  // namespace

Plan Planner::plan(const std::string& project, const std::string& env, const std::vector<std::string>& regions,
                   const std::vector<Resource>& desired, const std::map<std::string, InfraState>& state,
                   const std::optional<std::map<std::string, ResourceState>>& refreshed,
                   const std::vector<ResourceState>& leftovers) {
  Plan plan;
  plan.project = project;
  plan.env = env;
  plan.regions = regions;
  plan.refreshed = refreshed.has_value();
  for (const auto& [region, st] : state) plan.basis[region] = StateBasis{st.lineage, st.serial};

  // Hash lookups (addresses share long prefixes: tree lookups would spend
  // their time comparing them).
  std::unordered_map<std::string_view, const ResourceState*> recorded;
  for (const auto& [region, st] : state) {
    for (const auto& [addr, rs] : st.resources) recorded[addr] = &rs;
  }
  std::unordered_map<std::string_view, const ResourceState*> fresh;
  if (refreshed) {
    fresh.reserve(refreshed->size());
    for (const auto& [addr, rs] : *refreshed) fresh[addr] = &rs;
  }
  std::unordered_map<std::string_view, size_t> wanted;
  wanted.reserve(desired.size());
  std::set<std::string> desiredRegions;
  for (size_t i = 0; i < desired.size(); ++i) {
    wanted[desired[i].address] = i;
    desiredRegions.insert(desired[i].region);
  }
  auto currentOf = [&](const std::string& addr) -> const ResourceState* {
    const auto& from = refreshed ? fresh : recorded;
    auto it = from.find(addr);
    return it == from.end() ? nullptr : it->second;
  };

  // Changes to desired resources, indexed by desired position.
  std::vector<std::optional<Change>> changes(desired.size());
  bool anyReplace = false;
  for (size_t i = 0; i < desired.size(); ++i) {
    const Resource& d = desired[i];
    const ResourceState* cur = currentOf(d.address);
    if (!cur) {
      Change c;
      c.action = Action::kCreate;
      setSubject(c, d, nullptr);
      if (refreshed && recorded.count(d.address)) c.reason = "deleted outside ramp";
      changes[i] = std::move(c);
      continue;
    }
    std::vector<AttributeChange> diffs;
    bool replace = false;
    for (auto it = d.attributes.begin(); it != d.attributes.end(); ++it) {
      const nlohmann::json* before = nullptr;
      if (cur->attributes.is_object()) {
        auto b = cur->attributes.find(it.key());
        if (b != cur->attributes.end()) before = &*b;
      }
      if (before ? *before == it.value() : it.value().is_null()) continue;
      bool forces = std::find(d.forceNew.begin(), d.forceNew.end(), it.key()) != d.forceNew.end();
      replace = replace || forces;
      diffs.push_back(AttributeChange{it.key(), before ? *before : nlohmann::json(nullptr), it.value(), forces});
    }
    const bool unrecorded = refreshed && !recorded.count(d.address);
    if (diffs.empty() && !unrecorded) continue;
    Change c;
    c.action = diffs.empty() ? Action::kImport : replace ? Action::kReplace : Action::kUpdate;
    setSubject(c, d, cur);
    c.attributes = std::move(diffs);
    if (unrecorded) {
      c.reason = "exists but no state records it (made by a deployment or outside ramp)";
    } else if (refreshed) {
      if (auto rec = recorded.find(d.address); rec != recorded.end() && rec->second->attributes != cur->attributes) {
        c.reason = "changed outside ramp";
      }
    }
    anyReplace = anyReplace || replace;
    changes[i] = std::move(c);
  }

  // Replacements carry their dependants along.
  if (anyReplace) {
    std::unordered_map<std::string_view, std::vector<size_t>> dependants;
    for (size_t i = 0; i < desired.size(); ++i) {
      for (const auto& dep : desired[i].dependsOn) dependants[dep].push_back(i);
    }
    std::vector<size_t> queue;
    for (size_t i = 0; i < desired.size(); ++i) {
      if (changes[i] && changes[i]->action == Action::kReplace) queue.push_back(i);
    }
    for (size_t qi = 0; qi < queue.size() && qi <= desired.size(); ++qi) {
      const std::string& parent = desired[queue[qi]].address;
      auto deps = dependants.find(parent);
      if (deps == dependants.end()) continue;
      for (size_t child : deps->second) {
        const Resource& d = desired[child];
        auto& existing = changes[child];
        if (existing && (existing->action == Action::kCreate || existing->action == Action::kReplace)) continue;
        const ResourceState* cur = currentOf(d.address);
        if (!cur) continue;
        Change c = existing ? *existing : Change{};
        setSubject(c, d, cur);
        c.reason = "depends on " + parent + ", which is replaced";
        if (!d.region.empty() && diesWithParent(d.type)) {
          c.action = Action::kReplace;
          queue.push_back(child);
        } else {
          c.action = Action::kUpdate;
        }
        existing = std::move(c);
      }
    }
  }

  // Dependency depth of each desired resource (longest chain below it).
  std::vector<int> depth(desired.size(), -1);
  std::function<int(size_t, int)> depthOf = [&](size_t i, int guard) -> int {
    if (depth[i] >= 0) return depth[i];
    if (guard > 64) return 0;
    int dd = 0;
    for (const auto& dep : desired[i].dependsOn) {
      auto w = wanted.find(dep);
      if (w != wanted.end()) dd = std::max(dd, depthOf(w->second, guard + 1) + 1);
    }
    depth[i] = dd;
    return dd;
  };
  std::vector<size_t> order;
  for (size_t i = 0; i < desired.size(); ++i) {
    if (changes[i]) {
      depthOf(i, 0);
      order.push_back(i);
    }
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return depth[a] != depth[b] ? depth[a] < depth[b] : desired[a].address < desired[b].address;
  });
  std::vector<Change> ordered;
  ordered.reserve(order.size());
  for (size_t i : order) ordered.push_back(std::move(*changes[i]));

  // Deletes.
  std::vector<Change> deletes;
  std::set<std::string> extraRegions;
  for (const auto& [region, st] : state) {
    for (const auto& [addr, rs] : st.resources) {
      if (wanted.count(addr)) continue;
      Change c;
      c.action = Action::kDelete;
      c.address = addr;
      c.type = rs.type;
      c.region = rs.region;
      c.current = rs;
      bool regionGone = !rs.region.empty() && !desiredRegions.count(rs.region) &&
                        std::find(regions.begin(), regions.end(), rs.region) == regions.end();
      c.reason = regionGone ? "region removed" : "not in the configuration";
      if (refreshed && !refreshed->count(addr)) c.reason += " (already gone)";
      if (regionGone) extraRegions.insert(rs.region);
      deletes.push_back(std::move(c));
    }
  }
  // Leftovers: tagged for this environment, recorded nowhere (by id).
  std::set<std::string> knownIds;
  for (const auto& [region, st] : state) {
    for (const auto& [addr, rs] : st.resources) {
      if (!rs.id.empty()) knownIds.insert(rs.id);
    }
  }
  if (refreshed) {
    for (const auto& [addr, rs] : *refreshed) {
      if (!rs.id.empty()) knownIds.insert(rs.id);
    }
  }
  for (const auto& t : leftovers) {
    const nlohmann::json tags = t.attributes.is_object() && t.attributes.contains("tags") && t.attributes["tags"].is_object()
                                    ? t.attributes["tags"]
                                    : nlohmann::json::object();
    const bool deployments = tags.contains("ramp:fleet") ||
                             (tags.contains("ramp:managed-by") && tags["ramp:managed-by"] != "infra");
    if (deployments || t.id.empty() || knownIds.count(t.id)) continue;
    Change c;
    c.action = Action::kDelete;
    c.address = (t.address.empty() ? t.type : t.address) + "@" + t.id;
    c.type = t.type;
    c.region = t.region;
    c.current = t;
    c.current->address = c.address;
    c.reason = kLeftoverReason;
    deletes.push_back(std::move(c));
  }
  std::sort(deletes.begin(), deletes.end(), [](const Change& a, const Change& b) {
    int ra = typeRank(a.type), rb = typeRank(b.type);
    return ra != rb ? ra > rb : a.address < b.address;
  });
  for (auto& c : deletes) ordered.push_back(std::move(c));
  plan.changes = std::move(ordered);
  for (const auto& r : extraRegions) {
    if (std::find(plan.regions.begin(), plan.regions.end(), r) == plan.regions.end()) plan.regions.push_back(r);
  }

  std::vector<std::string> managed;
  for (const auto& d : desired) {
    if (d.type != "aws_lb_listener_rule" && d.type != "local_listener") continue;
    std::string svc = d.attributes.value("service", d.name);
    managed.push_back(d.type == "local_listener"
                          ? "fleets and traffic weights of " + svc + " in " + env + "/" + d.region
                          : "fleets (Auto Scaling groups, launch templates, target groups), the forward action "
                            "(weights) and pinning rules of " + svc + "'s rule, the target group its alarms watch, in " +
                                env + "/" + d.region);
  }
  std::sort(managed.begin(), managed.end());
  managed.erase(std::unique(managed.begin(), managed.end()), managed.end());
  plan.managedByDeployments = std::move(managed);
  plan.digest = planDigest(plan);
  return plan;
}

}  // namespace ramp::infra
