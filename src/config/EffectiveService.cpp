#include "config/EffectiveService.h"

#include <algorithm>

#include "config/AwsResourceNames.h"
#include "config/Diagnostics.h"
#include "config/ModelReader.h"
#include "config/NameSuggestion.h"
#include "core/Duration.h"
#include "core/Sha256.h"

namespace ramp::config {

using nlohmann::json;

namespace {
json orNull(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }
std::string dur(milliseconds d) { return formatDuration(d); }

json windowJson(const TimeWindow& w) {
  return json{{"days", w.days}, {"hours", orNull(w.hours)}, {"timezone", w.timezone}};
}
}  // namespace

json toJson(const Step& step) {
  switch (step.kind) {
    case Step::Kind::kWeight: return json{{"weight", step.weight}};
    case Step::Kind::kPause: return json{{"pause", step.pause ? dur(*step.pause) : std::string("until_resumed")}};
    case Step::Kind::kAnalysis:
      return json{{"analysis", {{"duration", dur(step.analysisDuration)}, {"interval", dur(step.analysisInterval)}}}};
  }
  return json(nullptr);
}

// Only the keys a config sets (besides port), so configs that set none
// keep their digests.
json routerJson(const RouterSettings& r) {
  json out{{"port", r.port ? json(*r.port) : json(nullptr)}};
  if (!r.timeouts.empty()) {
    json t = json::object();
    for (const auto& [k, v] : r.timeouts) t[k] = dur(v);
    out["timeouts"] = t;
  }
  if (r.maxConnections) out["max_connections"] = *r.maxConnections;
  if (r.maxRequestBody) out["max_request_body"] = *r.maxRequestBody;
  if (!r.certificates.empty()) {
    json certs = json::array();
    for (const auto& c : r.certificates) certs.push_back({{"cert", c.cert}, {"key", c.key}});
    out["tls"] = {{"certificates", certs}};
  }
  return out;
}

json toJson(const Environment& env) {
  json freeze = json::array();
  for (const auto& w : env.approval.freeze) freeze.push_back(windowJson(w));
  json out = json{
      {"provider", env.provider},
      {"regions", env.regions},
      {"approval",
       {{"approvals", env.approval.approvals},
        {"roles", env.approval.roles},
        {"window", env.approval.window ? windowJson(*env.approval.window) : json(nullptr)},
        {"freeze", freeze},
        {"expires", env.approval.expires ? json(dur(*env.approval.expires)) : json(nullptr)}}},
      {"router", routerJson(env.router)},
      {"soak", dur(env.soak)},
      {"auto_promote", env.autoPromote},
  };
  // Only aws environments carry the key, so other configs keep their digests.
  if (env.aws) {
    const auto& a = *env.aws;
    out["aws"] = {{"vpc", orNull(a.vpc)},
                  {"subnets", a.subnets},
                  {"security_groups", a.securityGroups},
                  {"load_balancer", orNull(a.loadBalancer)},
                  {"listener_port", a.listenerPort},
                  {"instance_port", a.instancePort},
                  {"image", orNull(a.image)},
                  {"bundle_bucket", orNull(a.bundleBucket)},
                  {"alarms", a.alarms}};
  }
  return out;
}

json toJson(const Service& s) {
  json steps = json::array(), hotfix = json::array();
  for (const auto& st : s.strategy.steps) steps.push_back(toJson(st));
  for (const auto& st : s.strategy.hotfixSteps) hotfix.push_back(toJson(st));
  json metrics = json::array();
  for (const auto& m : s.analysis.metrics) {
    json mj{{"name", m.name}, {"kind", m.kind}, {"critical", m.critical}, {"weight", m.weight}};
    // Only when set, so that other configs keep their digests.
    if (!m.group.empty()) mj["group"] = m.group;
    if (!m.direction.empty()) mj["direction"] = m.direction;
    if (m.prometheus) {
      json q = json::object();
      for (auto [k, v] : {std::pair{"total", &m.prometheus->total}, std::pair{"successes", &m.prometheus->successes},
                          std::pair{"errors", &m.prometheus->errors}, std::pair{"histogram", &m.prometheus->histogram}})
        if (!v->empty()) q[k] = *v;
      mj["prometheus"] = q;
    }
    metrics.push_back(mj);
  }
  json alerts = json::array();
  for (const auto& a : s.alerts) {
    if (!a.sns.empty()) alerts.push_back({{"sns", a.sns}});
    else alerts.push_back({{"webhook", a.webhook}, {"secret", orNull(a.secret)}});
  }
  json health = nullptr;
  if (s.health) {
    health = {{"path", s.health->path},
              {"interval", dur(s.health->interval)},
              {"timeout", dur(s.health->timeout)},
              {"healthy_threshold", s.health->healthyThreshold},
              {"unhealthy_threshold", s.health->unhealthyThreshold}};
  }
  json out = json{
      {"release", s.release.image.empty()
                      ? json{{"from", orNull(s.release.from)}, {"build", orNull(s.release.build)}, {"output", orNull(s.release.output)}}
                      : json{{"from", orNull(s.release.from)}, {"build", orNull(s.release.build)}, {"output", orNull(s.release.output)},
                             {"image", s.release.image}}},
      {"run", {{"command", s.run.command}, {"args", s.run.args}, {"env", s.run.env}, {"port_env", s.run.portEnv}}},
      {"health", health},
      {"instances", s.instances},
      {"instance_type", s.instanceType},
      {"strategy",
       {{"type", s.strategy.type},
        {"bake", dur(s.strategy.bake)},
        {"smoke_test", orNull(s.strategy.smokeTest)},
        {"deadline", dur(s.strategy.deadline)},
        {"drain", dur(s.strategy.drain)},
        {"steps", steps},
        {"baseline", s.strategy.baseline},
        {"pin", s.strategy.pin ? json{{"header", orNull(s.strategy.pin->header)}, {"cookie", orNull(s.strategy.pin->cookie)}}
                               : json(nullptr)},
        {"hotfix_steps", hotfix}}},
      {"analysis",
       {{"max_false_rollback", s.analysis.maxFalseRollback},
        {"min_requests", s.analysis.minRequests},
        {"latency_tolerance", s.analysis.latencyTolerance},
        {"pass_score", s.analysis.passScore},
        {"marginal_score", s.analysis.marginalScore},
        {"on_inconclusive", s.analysis.onInconclusive},
        {"deadline", dur(s.analysis.deadline)},
        {"metrics", metrics}}},
      {"alerts", alerts},
  };
  // Only when set, so that other configs keep their digests.
  if (s.analysis.minErrorRate) out["analysis"]["min_error_rate"] = *s.analysis.minErrorRate;
  if (s.analysis.maxFalsePass) out["analysis"]["max_false_pass"] = *s.analysis.maxFalsePass;
  if (s.analysis.errorRateObjective) out["analysis"]["error_rate_objective"] = *s.analysis.errorRateObjective;
  if (s.analysis.errorRateTolerance) out["analysis"]["error_rate_tolerance"] = *s.analysis.errorRateTolerance;
  if (s.analysis.latencyDeadlineTolerance)
    out["analysis"]["latency_deadline_tolerance"] = *s.analysis.latencyDeadlineTolerance;
  if (!s.analysis.groups.empty()) out["analysis"]["groups"] = s.analysis.groups;
  if (s.analysis.prometheus)
    out["analysis"]["prometheus"] = {{"url", s.analysis.prometheus->url}, {"timeout", dur(s.analysis.prometheus->timeout)}};
  if (s.strategy.weightLease) out["strategy"]["weight_lease"] = dur(*s.strategy.weightLease);
  if (s.strategy.onLeaseExpiry) out["strategy"]["on_lease_expiry"] = *s.strategy.onLeaseExpiry;
  if (s.scaling) {
    json sc{{"min", s.scaling->min}, {"max", s.scaling->max}};
    if (s.scaling->targetRequestsPerInstance) sc["target_requests_per_instance"] = *s.scaling->targetRequestsPerInstance;
    if (s.scaling->targetCpu) sc["target_cpu"] = *s.scaling->targetCpu;
    out["scaling"] = sc;
  }
  return out;
}

namespace {
// What the deployment providers need of the environment's infrastructure in
// this region, by the names infrastructure as code gives it
// (AwsResourceNames.h): the load balancer, the listener and priority of the
// service's rule (and what it matches), the service's alarms (rollback
// triggers; `fleet_alarms` follow the service's newest fleet) and its DNS
// record.
void renderAwsInfrastructure(json& aws, const Config& config, const Environment& e, const std::string& service,
                             const std::string& region, const std::string& certificate) {
  const AwsSettings& a = *e.aws;
  aws["load_balancer"] = loadBalancerName(config.project, e.name, region, a.loadBalancer);
  std::string record = serviceRecordName(a, e.name, service);
  json rule{{"port", certificate.empty() ? a.listenerPort : 443},
            {"protocol", certificate.empty() ? "HTTP" : "HTTPS"},
            {"priority", serviceRulePriorities(config.serviceNames()).at(service)}};
  if (!record.empty()) rule["host"] = record;
  else rule["paths"] = json::array({"/" + service, "/" + service + "/*"});
  aws["rule"] = rule;
  json alarms = a.alarms, follow = json::array();
  for (const auto& d : a.alarmDefinitions) {
    std::string name = serviceAlarmName(config.project, e.name, service, d.name);
    alarms.push_back(name);
    if (alarmFollowsFleets(d.metric)) follow.push_back(name);
  }
  aws["alarms"] = alarms;
  aws["fleet_alarms"] = follow;
  aws["dns"] = a.dns ? json{{"zone", a.dns->zone}, {"record", record}, {"routing", a.dns->routing}, {"drain", a.dns->drain}}
                     : json(nullptr);
}
}  // namespace

std::string canonicalJson(const json& rendered) {
  json copy = rendered;
  if (copy.is_object()) {
    for (auto key : kUndigestedKeys) copy.erase(std::string(key));
  }
  // nlohmann::json objects are std::map: keys sorted; dump() adds no spaces.
  return copy.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string configDigest(const json& rendered) { return "sha256:" + sha256Hex(canonicalJson(rendered)); }

void stampGit(json& rendered, const GitState& git) {
  rendered["git_commit"] = git.commit ? json(*git.commit) : json(nullptr);
  rendered["git_dirty"] = git.dirty ? json(*git.dirty) : json(nullptr);
}

Result<EffectiveService> render(const Config& config, std::string_view service, std::string_view env,
                                std::string_view region) {
  const Environment* e = config.environment(env);
  if (!e) return notFound(unknownName("environment", env, config.environmentNames(), "environments"), "--env");
  const ServiceDefinition* def = config.service(service);
  if (!def) return notFound(unknownName("service", service, config.serviceNames(), "services"), "--service");
  std::string reg = region.empty() ? e->regions.front() : std::string(region);
  if (std::find(e->regions.begin(), e->regions.end(), reg) == e->regions.end()) {
    return notFound("environment '" + e->name + "' has no region '" + reg + "'" + didYouMean(reg, e->regions) +
                        "; its regions are " + quotedList(e->regions),
                    "--region");
  }
  Diagnostics diags;
  for (const auto& f : config.files) diags.addFile(f);
  ModelReader reader(diags);
  EffectiveService out;
  out.service = reader.readService(def->name, effectiveTree(*def, e->name, reg), "environment " + e->name + ", region " + reg);
  if (!diags.empty()) {
    // A loaded Config has been checked for every env and region; this is
    // reachable only with a Config built by hand.
    return invalid(diags.sorted().front().format());
  }
  out.project = config.project;
  out.env = e->name;
  out.region = reg;
  out.environment = *e;
  json j = toJson(out.service);
  j["project"] = config.project;
  j["service"] = def->name;
  j["env"] = e->name;
  j["region"] = reg;
  j["environment"] = toJson(*e);
  // The region's own network (aws.region_settings.<region>): fleets and the
  // load balancer of this region are placed in it. VPCs, subnets and
  // security groups are regional, so another region's ids would not exist.
  if (e->aws && j["environment"].contains("aws")) {
    json& aws = j["environment"]["aws"];
    auto rs = e->aws->regionSettings.find(reg);
    std::string certificate = e->aws->certificate;
    if (rs != e->aws->regionSettings.end()) {
      if (!rs->second.vpc.empty()) aws["vpc"] = rs->second.vpc;
      if (!rs->second.subnets.empty()) aws["subnets"] = rs->second.subnets;
      if (!rs->second.securityGroups.empty()) aws["security_groups"] = rs->second.securityGroups;
      if (!rs->second.image.empty()) aws["image"] = rs->second.image;
      if (!rs->second.certificate.empty()) certificate = rs->second.certificate;
    }
    renderAwsInfrastructure(aws, config, *e, def->name, reg, certificate);
  }
  out.digest = configDigest(j);
  j["config_digest"] = out.digest;
  j["config_dir"] = config.baseDir.string();
  out.json = std::move(j);
  return out;
}

}  // namespace ramp::config
