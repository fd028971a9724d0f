#include "engine/ServicePlan.h"

#include "analysis/AnalysisBlock.h"

#include "core/Duration.h"

namespace ramp::engine {

using nlohmann::json;

namespace {

// Durations arrive either as canonical strings ("1m30s") or as milliseconds.
Result<std::chrono::milliseconds> duration(const json& j, const char* field,
                                           std::chrono::milliseconds fallback) {
  if (!j.is_object() || !j.contains(field) || j[field].is_null()) return fallback;
  const auto& v = j[field];
  if (v.is_number_integer()) return std::chrono::milliseconds(v.get<int64_t>());
  if (v.is_string()) {
    auto d = parseDuration(v.get<std::string>());
    if (!d) return invalid(d.error().message, field);
    return *d;
  }
  return invalid("expected a duration", field);
}

// Reads FIELD into VALUE, which keeps what it holds (the default) when the
// field is absent or null.
Status readDuration(const json& j, const char* field, std::chrono::milliseconds& value) {
  auto d = duration(j, field, value);
  if (!d) return std::unexpected(d.error());
  value = *d;
  return ok();
}

// A string field that may be absent or null (rendered configs carry nulls).
std::string str(const json& j, const char* field, const std::string& fallback = {}) {
  if (!j.is_object() || !j.contains(field) || !j[field].is_string()) return fallback;
  return j[field].get<std::string>();
}

}  // namespace

Result<ServicePlan> planFromRendered(const json& r, const std::string& env, const std::string& region) {
  if (!r.is_object()) return invalid("rendered service config must be a JSON object", "rendered");
  // `ramp render --json` wraps the service; accept the wrapper or the bare service.
  const json* svc = &r;
  if (r.contains("service") && r["service"].is_object()) svc = &r["service"];
  ServicePlan p;
  p.env = env;
  p.region = region;
  try {
    if (r.contains("service") && r["service"].is_string()) p.service = r["service"].get<std::string>();
    p.instances = svc->value("instances", 1);
    if (p.instances < 1) return invalid("instances must be at least 1", "rendered.instances");
    p.instanceType = str(*svc, "instance_type");
    if (svc->contains("scaling") && (*svc)["scaling"].is_object()) {
      const auto& sc = (*svc)["scaling"];
      providers::ScalingSpec s;
      s.min = sc.value("min", 1);
      s.max = sc.value("max", 1);
      if (sc.contains("target_cpu")) {
        s.metric = "cpu";
        s.target = sc["target_cpu"].get<double>();
      } else {
        s.metric = "requests";
        s.target = sc.value("target_requests_per_instance", 0.0);
      }
      if (s.min < 1 || s.min > s.max || s.target <= 0) {
        return invalid("scaling needs 1 <= min <= max and a target > 0", "rendered.scaling");
      }
      p.scaling = s;
    }
    if (svc->contains("run") && (*svc)["run"].is_object()) {
      const auto& run = (*svc)["run"];
      p.run.command = str(run, "command");
      if (run.contains("args") && run["args"].is_array()) {
        for (auto& a : run["args"]) p.run.args.push_back(a.is_string() ? a.get<std::string>() : a.dump());
      }
      if (run.contains("env") && run["env"].is_object()) {
        for (auto& [k, v] : run["env"].items()) p.run.env[k] = v.is_string() ? v.get<std::string>() : v.dump();
      }
    }
    if (p.run.command.empty()) return invalid("run.command is required", "rendered.run.command");
    if (svc->contains("health") && (*svc)["health"].is_object()) {
      const auto& h = (*svc)["health"];
      p.health.path = str(h, "path", "/healthz");
      if (auto st = readDuration(h, "interval", p.health.interval); !st) return std::unexpected(st.error());
      if (auto st = readDuration(h, "timeout", p.health.timeout); !st) return std::unexpected(st.error());
      p.health.healthyThreshold = h.value("healthy_threshold", p.health.healthyThreshold);
      p.health.unhealthyThreshold = h.value("unhealthy_threshold", p.health.unhealthyThreshold);
    }
    if (svc->contains("strategy") && (*svc)["strategy"].is_object()) {
      const auto& s = (*svc)["strategy"];
      p.strategy = str(s, "type", "bluegreen");
      if (auto st = readDuration(s, "bake", p.bake); !st) return std::unexpected(st.error());
      if (auto st = readDuration(s, "deadline", p.healthDeadline); !st) return std::unexpected(st.error());
      if (auto st = readDuration(s, "drain", p.drainTimeout); !st) return std::unexpected(st.error());
      if (auto st = readDuration(s, "weight_lease", p.weightLease); !st) return std::unexpected(st.error());
      p.onLeaseExpiry = str(s, "on_lease_expiry", "rollback");
      if (p.onLeaseExpiry != "rollback" && p.onLeaseExpiry != "resume") {
        return invalid("on_lease_expiry must be rollback or resume, got '" + p.onLeaseExpiry + "'",
                       "rendered.strategy.on_lease_expiry");
      }
      p.baseline = str(s, "baseline", "stable");
      if (p.baseline != "stable" && p.baseline != "fresh") {
        return invalid("baseline must be stable or fresh, got '" + p.baseline + "'", "rendered.strategy.baseline");
      }
      if (s.contains("smoke_test") && s["smoke_test"].is_string()) p.smokeTest = s["smoke_test"];
      if (s.contains("pin") && s["pin"].is_object()) {
        p.pinHeader = str(s["pin"], "header");
        p.pinCookie = str(s["pin"], "cookie");
      }
      if (s.contains("steps") && s["steps"].is_array()) {
        for (const auto& st : s["steps"]) {
          StepPlan step;
          if (st.contains("weight")) {
            step.kind = StepPlan::Kind::kWeight;
            step.weight = st["weight"].get<int>();
          } else if (st.contains("pause")) {
            step.kind = StepPlan::Kind::kPause;
            const auto& pv = st["pause"];
            if (!(pv.is_string() && pv.get<std::string>() == "until_resumed") && !pv.is_null()) {
              auto d = duration(st, "pause", std::chrono::milliseconds(0));
              if (!d) return std::unexpected(d.error());
              step.pause = *d;
            }
          } else if (st.contains("analysis")) {
            step.kind = StepPlan::Kind::kAnalysis;
            const auto& a = st["analysis"];
            step.analysisDuration = std::chrono::milliseconds(10000);
            step.analysisInterval = std::chrono::milliseconds(1000);
            if (auto read = readDuration(a, "duration", step.analysisDuration); !read) return std::unexpected(read.error());
            if (auto read = readDuration(a, "interval", step.analysisInterval); !read) return std::unexpected(read.error());
          } else {
            continue;
          }
          p.steps.push_back(step);
        }
      }
    }
    if (svc->contains("analysis") && (*svc)["analysis"].is_object()) p.analysis = (*svc)["analysis"];
    // The steps here are already the hotfix's when it is one (Engine::submit).
    p.analyses = analysis::AnalysisBlock::analysesOf(*svc, false);
    if (r.contains("environment") && r["environment"].is_object()) {
      const auto& e = r["environment"];
      if (e.contains("router") && e["router"].is_object() && e["router"].contains("port") &&
          e["router"]["port"].is_number_integer()) {
        p.entrypointPort = e["router"]["port"].get<int>();
      }
      if (e.contains("aws") && e["aws"].is_object() && e["aws"].contains("alarms") && e["aws"]["alarms"].is_array()) {
        for (const auto& a : e["aws"]["alarms"]) {
          if (a.is_string() && !a.get<std::string>().empty()) p.alarms.push_back(a.get<std::string>());
        }
      }
    }
  } catch (const std::exception& e) {
    return invalid(std::string("rendered service config: ") + e.what(), "rendered");
  }
  return p;
}

std::vector<std::string> ServicePlan::stepNames(const std::string& strategyName) const {
  std::vector<std::string> names;
  if (strategyName == "canary") {
    for (const auto& s : steps) {
      if (s.kind == StepPlan::Kind::kWeight) names.push_back("weight " + std::to_string(s.weight));
      if (s.kind == StepPlan::Kind::kPause) {
        names.push_back(s.pause ? "pause " + std::to_string(s.pause->count()) + "ms"
                                : std::string("pause until resumed"));
      }
      if (s.kind == StepPlan::Kind::kAnalysis) names.push_back("analysis");
    }
  } else {
    names = {"start fleet", "wait healthy"};
    if (!smokeTest.empty()) names.push_back("smoke test");
    names.push_back("switch traffic");
    names.push_back("retire previous");
  }
  return names;
}

json withHotfixSteps(json rendered) {
  if (rendered.contains("strategy") && rendered["strategy"].is_object()) {
    auto& st = rendered["strategy"];
    if (st.contains("hotfix_steps") && st["hotfix_steps"].is_array() && !st["hotfix_steps"].empty()) {
      st["steps"] = st["hotfix_steps"];
    }
  }
  return rendered;
}

bool ServicePlan::hasMetrics() const {
  return analysis.is_object() && analysis.contains("metrics") && analysis["metrics"].is_array() &&
         !analysis["metrics"].empty();
}

}  // namespace ramp::engine
