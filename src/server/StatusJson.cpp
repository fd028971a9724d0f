#include "server/StatusJson.h"

#include "server/DeploymentJson.h"

namespace ramp::server {

using nlohmann::json;

json statusJson(const std::vector<engine::ServiceStatus>& status) {
  json out = json::array();
  for (const auto& s : status) {
    json j;
    j["service"] = s.service;
    j["env"] = s.env;
    j["region"] = s.region;
    j["entrypoint"] = s.entrypoint ? json(*s.entrypoint) : json(nullptr);
    json eps = json::object();
    for (const auto& [region, url] : s.entrypoints) eps[region] = url ? json(*url) : json(nullptr);
    j["entrypoints"] = eps;
    j["deployment"] = deploymentJson(s.deployment);
    json queue = json::array();
    for (const auto& q : s.queue) {
      queue.push_back({{"id", q.id}, {"version", q.version}, {"state", q.state}, {"phase", q.phase},
                       {"created_by", q.createdBy}, {"reason", q.reason}});
    }
    j["queue"] = queue;
    json debt = json::array();
    for (const auto& e : s.hotfixDebt) debt.push_back(e.toJson());
    j["hotfix_debt"] = debt;
    json fleets = json::array();
    for (const auto& f : s.fleets) {
      json fj{{"id", f.record.id},
              {"region", f.record.region},
              {"version", f.record.version},
              {"digest", f.record.digest},
              {"state", f.record.state},
              {"weight", f.weight},
              {"applied_weight", f.appliedWeight ? json(*f.appliedWeight) : json(nullptr)},
              {"instances", f.instances},
              {"healthy", f.healthy},
              {"role", f.role}};
      if (!f.statusError.empty()) fj["status_error"] = f.statusError;
      fleets.push_back(std::move(fj));
    }
    j["fleets"] = fleets;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace ramp::server
