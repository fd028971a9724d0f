#include "infra/Planner.h"

#include <algorithm>
#include <functional>
#include <set>

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

}  // namespace

Plan Planner::plan(const std::string& project, const std::string& env, const std::vector<std::string>& regions,
                   const std::vector<Resource>& desired, const std::map<std::string, InfraState>& state,
                   const std::optional<std::map<std::string, ResourceState>>& refreshed) {
  Plan plan;
  plan.project = project;
  plan.env = env;
  plan.regions = regions;
  plan.refreshed = refreshed.has_value();
  for (const auto& [region, st] : state) plan.basis[region] = StateBasis{st.lineage, st.serial};

  std::map<std::string, const ResourceState*> recorded;
  for (const auto& [region, st] : state) {
    for (const auto& [addr, rs] : st.resources) recorded[addr] = &rs;
  }
  std::map<std::string, const Resource*> wanted;
  std::set<std::string> desiredRegions;
  for (const auto& r : desired) {
    wanted[r.address] = &r;
    desiredRegions.insert(r.region);
  }

  // Changes to desired resources, by address.
  std::map<std::string, Change> changes;
  for (const auto& d : desired) {
    const ResourceState* cur = nullptr;
    if (refreshed) {
      auto it = refreshed->find(d.address);
      if (it != refreshed->end()) cur = &it->second;
    } else if (auto it = recorded.find(d.address); it != recorded.end()) {
      cur = it->second;
    }
    Change c;
    c.address = d.address;
    c.type = d.type;
    c.region = d.region;
    c.desired = d;
    if (!cur) {
      c.action = Action::kCreate;
      if (refreshed && recorded.count(d.address)) c.reason = "deleted outside ramp";
      for (auto it = d.attributes.begin(); it != d.attributes.end(); ++it) {
        c.attributes.push_back(AttributeChange{it.key(), nullptr, it.value(), false});
      }
      changes[d.address] = std::move(c);
      continue;
    }
    bool replace = false;
    for (auto it = d.attributes.begin(); it != d.attributes.end(); ++it) {
      nlohmann::json before = cur->attributes.is_object() && cur->attributes.contains(it.key())
                                  ? cur->attributes.at(it.key())
                                  : nlohmann::json(nullptr);
      if (before == it.value()) continue;
      bool forces = std::find(d.forceNew.begin(), d.forceNew.end(), it.key()) != d.forceNew.end();
      replace = replace || forces;
      c.attributes.push_back(AttributeChange{it.key(), before, it.value(), forces});
    }
    if (c.attributes.empty()) continue;
    c.action = replace ? Action::kReplace : Action::kUpdate;
    c.current = *cur;
    if (refreshed) {
      if (auto rec = recorded.find(d.address); rec != recorded.end() && rec->second->attributes != cur->attributes) {
        c.reason = "changed outside ramp";
      }
    }
    changes[d.address] = std::move(c);
  }

  // Replacements carry their dependants along.
  std::map<std::string, std::vector<std::string>> dependants;
  for (const auto& d : desired) {
    for (const auto& dep : d.dependsOn) dependants[dep].push_back(d.address);
  }
  std::vector<std::string> queue;
  for (const auto& [addr, c] : changes) {
    if (c.action == Action::kReplace) queue.push_back(addr);
  }
  for (size_t qi = 0; qi < queue.size() && qi < desired.size() + 1; ++qi) {
    std::string parent = queue[qi];
    for (const auto& child : dependants[parent]) {
      const Resource& d = *wanted.at(child);
      auto it = changes.find(child);
      if (it != changes.end() && (it->second.action == Action::kCreate || it->second.action == Action::kReplace)) continue;
      const ResourceState* cur = nullptr;
      if (refreshed) {
        if (auto r = refreshed->find(child); r != refreshed->end()) cur = &r->second;
      } else if (auto r = recorded.find(child); r != recorded.end()) {
        cur = r->second;
      }
      if (!cur) continue;
      Change c = it != changes.end() ? it->second : Change{};
      c.address = d.address;
      c.type = d.type;
      c.region = d.region;
      c.desired = d;
      c.current = *cur;
      c.reason = "depends on " + parent + ", which is replaced";
      if (!d.region.empty() && diesWithParent(d.type)) {
        c.action = Action::kReplace;
        queue.push_back(child);
      } else {
        c.action = Action::kUpdate;
      }
      changes[child] = std::move(c);
    }
  }

  // Dependency depth of each desired resource (longest chain below it).
  std::map<std::string, int> depth;
  std::function<int(const std::string&, int)> depthOf = [&](const std::string& addr, int guard) -> int {
    if (auto it = depth.find(addr); it != depth.end()) return it->second;
    auto w = wanted.find(addr);
    if (w == wanted.end() || guard > 64) return -1;
    int dd = 0;
    for (const auto& dep : w->second->dependsOn) dd = std::max(dd, depthOf(dep, guard + 1) + 1);
    depth[addr] = dd;
    return dd;
  };
  std::vector<Change> ordered;
  for (auto& [addr, c] : changes) ordered.push_back(std::move(c));
  for (const auto& c : ordered) depthOf(c.address, 0);
  std::stable_sort(ordered.begin(), ordered.end(), [&](const Change& a, const Change& b) {
    int da = depth[a.address], db = depth[b.address];
    return da != db ? da < db : a.address < b.address;
  });

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
  std::sort(deletes.begin(), deletes.end(), [](const Change& a, const Change& b) {
    int ra = typeRank(a.type), rb = typeRank(b.type);
    return ra != rb ? ra > rb : a.address < b.address;
  });
  for (auto& c : deletes) ordered.push_back(std::move(c));
  plan.changes = std::move(ordered);
  for (const auto& r : extraRegions) {
    if (std::find(plan.regions.begin(), plan.regions.end(), r) == plan.regions.end()) plan.regions.push_back(r);
  }

  std::set<std::string> managed;
  for (const auto& d : desired) {
    if (d.type != "aws_lb_listener_rule" && d.type != "local_listener") continue;
    std::string svc = d.attributes.value("service", d.name);
    managed.insert(d.type == "local_listener"
                       ? "fleets and traffic weights of " + svc + " in " + env + "/" + d.region
                       : "fleets (Auto Scaling groups, launch templates, target groups) and traffic weights of " +
                             svc + " in " + env + "/" + d.region);
  }
  plan.managedByDeployments.assign(managed.begin(), managed.end());
  plan.digest = planDigest(plan);
  return plan;
}

}  // namespace ramp::infra
