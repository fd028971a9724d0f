#include "record/PushImpact.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "config/EffectiveService.h"

namespace ramp::record {

using nlohmann::json;

namespace {

// The policy fields of a rendered service (removed from the service view).
void dropPolicy(json& rendered) {
  for (std::string_view k : config::kUndigestedKeys) rendered.erase(std::string(k));
  if (rendered.contains("environment") && rendered["environment"].is_object()) {
    auto& e = rendered["environment"];
    e.erase("approval");
    e.erase("soak");
    e.erase("auto_promote");
  }
  if (rendered.contains("strategy") && rendered["strategy"].is_object()) rendered["strategy"].erase("hotfix_steps");
}

std::string shortValue(const json& v) {
  std::string s = v.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

// "path: old -> new" for every leaf that differs (objects walked, arrays and
// scalars compared whole), at most `room` entries.
void diffPaths(const json& a, const json& b, const std::string& path, std::vector<std::string>& out, bool values) {
  if (out.size() >= 12) return;
  if (a == b) return;
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (auto it = a.begin(); it != a.end(); ++it) keys.insert(it.key());
    for (auto it = b.begin(); it != b.end(); ++it) keys.insert(it.key());
    for (const auto& k : keys) {
      diffPaths(a.contains(k) ? a[k] : json(nullptr), b.contains(k) ? b[k] : json(nullptr),
                path.empty() ? k : path + "." + k, out, values);
    }
    return;
  }
  out.push_back(values ? fmt::format("{}: {} -> {}", path, shortValue(a), shortValue(b)) : path);
}

struct Views {
  std::optional<json> policy;                   // nullopt: the environment does not exist
  std::map<std::string, json> services;         // "svc (region)" -> service view
  std::optional<config::ApprovalPolicy> approval;
};

Views viewsOf(const config::Config* cfg, const std::string& env) {
  Views v;
  if (!cfg) return v;
  const config::Environment* e = cfg->environment(env);
  if (!e) return v;
  v.approval = e->approval;
  json envj = config::toJson(*e);
  json policy{{"approval", envj["approval"]}, {"soak", envj["soak"]}, {"auto_promote", envj["auto_promote"]}};
  auto at = std::find(cfg->pipeline.begin(), cfg->pipeline.end(), env);
  policy["pipeline"] = {
      {"in_pipeline", at != cfg->pipeline.end()},
      {"stage_before", at != cfg->pipeline.end() && at != cfg->pipeline.begin() ? json(*(at - 1)) : json(nullptr)},
      {"stage_after", at != cfg->pipeline.end() && at + 1 != cfg->pipeline.end() ? json(*(at + 1)) : json(nullptr)}};
  json hotfix = json::object();
  for (const auto& svc : cfg->services) {
    for (const auto& region : e->regions) {
      auto r = config::render(*cfg, svc.name, env, region);
      std::string key = svc.name + " (" + region + ")";
      if (!r) {
        v.services[key] = json{{"render_error", r.error().describe()}};
        continue;
      }
      json rendered = r->json;
      if (rendered.contains("strategy") && rendered["strategy"].is_object() &&
          rendered["strategy"].contains("hotfix_steps")) {
        hotfix[svc.name] = rendered["strategy"]["hotfix_steps"];
      }
      dropPolicy(rendered);
      v.services[key] = std::move(rendered);
    }
  }
  policy["hotfix_steps"] = hotfix;
  v.policy = std::move(policy);
  return v;
}

}  // namespace

PushImpact PushImpact::of(const config::Config* before, const config::Config& after) {
  PushImpact out;
  std::vector<std::string> envs = after.environmentNames();
  if (before) {
    for (const auto& n : before->environmentNames()) {
      if (std::find(envs.begin(), envs.end(), n) == envs.end()) envs.push_back(n);
    }
  }
  for (const auto& env : envs) {
    Views was = viewsOf(before, env), now = viewsOf(&after, env);
    EnvImpact ei;
    ei.env = env;
    ei.policyInForce = was.approval;
    ei.protectedInForce = was.approval && was.approval->approvals > 0;
    if (!was.policy && now.policy) {
      ei.policyChanges.push_back("environment added");
    } else if (was.policy && !now.policy) {
      ei.policyChanges.push_back("environment removed");
    } else if (was.policy && now.policy) {
      diffPaths(*was.policy, *now.policy, "", ei.policyChanges, true);
    }
    std::set<std::string> keys;
    for (const auto& [k, _] : was.services) keys.insert(k);
    for (const auto& [k, _] : now.services) keys.insert(k);
    for (const auto& k : keys) {
      auto a = was.services.find(k), b = now.services.find(k);
      if (a == was.services.end()) {
        ei.serviceChanges.push_back(k + ": added");
      } else if (b == now.services.end()) {
        ei.serviceChanges.push_back(k + ": removed");
      } else if (a->second != b->second) {
        std::vector<std::string> paths;
        diffPaths(a->second, b->second, "", paths, false);
        std::string list;
        for (const auto& p : paths) list += (list.empty() ? "" : ", ") + p;
        ei.serviceChanges.push_back(k + ": " + list);
      }
    }
    if (ei.serviceChanges.empty() && ei.policyChanges.empty()) continue;
    if (!ei.serviceChanges.empty()) {
      out.needs.push_back({"deployer", env, "service changes in " + env + ": " + ei.serviceChanges.front() +
                                                (ei.serviceChanges.size() > 1 ? " (and more)" : "")});
    }
    if (!ei.policyChanges.empty()) {
      out.needs.push_back({"admin", env, "policy changes in " + env + ": " + ei.policyChanges.front() +
                                             (ei.policyChanges.size() > 1 ? " (and more)" : "")});
      if (ei.protectedInForce) out.protectedEnvs.push_back(env);
    }
    out.envs.push_back(std::move(ei));
  }
  return out;
}

json PushImpact::toJson() const {
  json envsJ = json::array();
  for (const auto& e : envs) {
    envsJ.push_back({{"env", e.env},
                     {"service_changes", e.serviceChanges},
                     {"policy_changes", e.policyChanges},
                     {"protected", e.protectedInForce}});
  }
  json needsJ = json::array();
  for (const auto& n : needs) needsJ.push_back({{"role", n.role}, {"env", n.env}, {"why", n.why}});
  return {{"envs", envsJ}, {"needs", needsJ}, {"protected_envs", protectedEnvs}};
}

std::vector<std::string> PushImpact::lines() const {
  std::vector<std::string> out;
  for (const auto& e : envs) {
    std::string line = e.env + ":";
    for (const auto& p : e.policyChanges) line += " policy " + p + ";";
    for (const auto& s : e.serviceChanges) line += " service " + s + ";";
    if (!line.empty() && line.back() == ';') line.pop_back();
    out.push_back(line);
  }
  return out;
}

}  // namespace ramp::record
