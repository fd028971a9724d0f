// EffectiveService.h — one service as it runs in one environment and region:
// the configuration after overrides, its canonical JSON and its digest.
//
// This is what the deployment engine stamps on every deployment (with the git
// state of the config, GitState.h). The JSON (`ramp render --json` prints the
// same object) has these keys; durations are canonical strings ("1m30s",
// core/Duration.h formatDuration), references stay unresolved:
//   project, service, env, region,
//   environment {provider, regions, approval {approvals, roles, window,
//                freeze, expires}, router {port}, soak, auto_promote,
//                aws (aws environments only) {vpc, subnets, security_groups,
//                  image (this region's), load_balancer (this region's name,
//                  AwsResourceNames.h), listener_port, instance_port,
//                  bundle_bucket, alarms (configured + the service's own),
//                  fleet_alarms, rule {port, protocol, priority, host | paths},
//                  dns {zone, record, routing, drain} | null}},
//   release {from, build, output}, run {command, args, env, port_env},
//   health {path, interval, timeout, healthy_threshold, unhealthy_threshold} | null,
//   instances, instance_type,
//   strategy {type, bake, smoke_test, deadline, drain, steps, baseline, pin,
//             hotfix_steps}   (steps: [{weight: N} | {pause: D|"until_resumed"}
//                              | {analysis: {duration, interval}}];
//                              an analysis step's duration is its deadline,
//                              analysis.deadline when ramp.yaml gives none)
//   analysis {max_false_rollback, min_requests, latency_tolerance, pass_score,
//             marginal_score, on_inconclusive, deadline, metrics [{name, kind,
//             critical, weight, group?, direction?, prometheus? {total?,
//             successes?, errors?, histogram?}}], and only when set:
//             min_error_rate, max_false_pass, error_rate_objective, error_rate_tolerance,
//             latency_deadline_tolerance, groups
//             {NAME: weight}, prometheus {url, timeout}},
//   alerts [{webhook, secret}],
//   config_digest   "sha256:<hex>" (see configDigest)
//   config_dir      absolute directory of the config (not in the digest)
// and, added by stampGit (not in the digest): git_commit, git_dirty.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/GitState.h"
#include "config/Model.h"
#include "core/Result.h"

namespace ramp::config {

struct EffectiveService {
  std::string project;
  std::string env;
  std::string region;
  Environment environment;
  Service service;
  nlohmann::json json;   // the rendered object described above
  std::string digest;    // == json["config_digest"]
};

// The effective service for (service, env, region). An empty region means
// the environment's first region. kNotFound names the flag (--service, --env,
// --region) and the valid names.
Result<EffectiveService> render(const Config& config, std::string_view service, std::string_view env,
                                std::string_view region = {});

// The keys of a rendered object that are not part of the digest.
inline constexpr std::string_view kUndigestedKeys[] = {"config_digest", "config_dir", "git_commit", "git_dirty"};

// Canonical form: the rendered object without kUndigestedKeys, as JSON with
// sorted keys and no whitespace (nlohmann dump()). Key order, comments,
// whitespace and spelling of durations ("90s" vs "1m30s") do not change it.
std::string canonicalJson(const nlohmann::json& rendered);
// "sha256:<hex>" of canonicalJson(rendered).
std::string configDigest(const nlohmann::json& rendered);

// Adds git_commit / git_dirty (null when unknown) to a rendered object.
void stampGit(nlohmann::json& rendered, const GitState& git);

// The JSON forms of model parts (used by render).
nlohmann::json toJson(const Environment& env);
nlohmann::json toJson(const Service& service);
nlohmann::json toJson(const Step& step);

}  // namespace ramp::config
