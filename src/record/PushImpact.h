// PushImpact.h — what a pushed configuration changes, environment by
// environment, and who may therefore push it (pure; docs/access.md "Who may
// change the config of record").
//
// Every (service, environment, region) is rendered before (the version in
// force; none before the first push) and after. For each environment:
//   service changes   a rendered service differs outside the policy fields
//                     (run, health, strategy, instances, analysis, alerts,
//                     release, provider settings, regions, router port, a
//                     service added or removed): needs `deployer` there;
//   policy changes    the environment's policy differs: approval (approvals,
//                     roles, window, freeze, expires), soak, auto_promote,
//                     its place in the pipeline (the stage before and after
//                     it), the hotfix steps of its services, or the
//                     environment itself added or removed: needs `admin`
//                     there (admin@ENV or admin@*).
// An environment whose policy IN FORCE asks for approvals (approval.approvals
// > 0) is protected: a policy change to it is listed in `protectedEnvs`, and
// the push waits for that environment's approvers (its policy in force:
// roles, count, expiry; four-eyes) before anything of it takes effect.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/Model.h"

namespace ramp::record {

struct EnvImpact {
  std::string env;
  std::vector<std::string> serviceChanges;  // "crawler (local): run.command, instances"
  std::vector<std::string> policyChanges;   // "approval.approvals: 1 -> 0"
  bool protectedInForce = false;            // its policy in force asks for approvals
  std::optional<config::ApprovalPolicy> policyInForce;
};

struct PushNeed {
  std::string role;  // deployer | admin
  std::string env;
  std::string why;   // "service changes in prod: crawler (local): run.command"
};

struct PushImpact {
  std::vector<EnvImpact> envs;              // environments with changes only
  std::vector<PushNeed> needs;              // one per (role, env)
  std::vector<std::string> protectedEnvs;   // policy changes waiting for approvals

  bool changesAnything() const { return !envs.empty(); }
  nlohmann::json toJson() const;
  // One line per environment: "prod: policy approval.approvals: 1 -> 0; service crawler (local): run.command".
  std::vector<std::string> lines() const;

  static PushImpact of(const config::Config* before, const config::Config& after);
};

}  // namespace ramp::record
