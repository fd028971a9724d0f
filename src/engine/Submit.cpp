// Submit.cpp — new deployments: submit (with its validation), promote.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/ApprovalPolicyCheck.h"
#include "engine/DeploymentWindow.h"
#include "engine/Engine.h"
#include "engine/PromotionCheck.h"
#include "engine/WavePhases.h"

namespace ramp::engine {

using nlohmann::json;

Result<Deployment> Engine::submit(const DeployRequest& req) {
  if (req.service.empty()) return invalid("service is required", "service");
  if (req.env.empty()) return invalid("env is required", "env");
  std::lock_guard lock(keyLock(req.service, req.env));
  auto d = submitLocked(req, "", "");
  if (d) wake(*d);
  return d;
}

Result<Deployment> Engine::submitLocked(const DeployRequest& req, const std::string& promotedFrom,
                                        const std::string& promotedFromId) {
  if (req.service.empty()) return invalid("service is required", "service");
  if (req.env.empty()) return invalid("env is required", "env");
  if (req.version.empty()) return invalid("version is required", "version");
  bool blankReason = req.hotfixReason.find_first_not_of(" \t\r\n") == std::string::npos;
  if (req.hotfix && blankReason) return invalid("a hotfix needs a reason (--reason \"...\")", "reason");
  if (!req.hotfix && !req.hotfixReason.empty()) return invalid("a reason goes with --hotfix only", "reason");
  if (!req.laterStages.is_object()) return invalid("must be an object of rendered configs by env", "later_stages");
  if (auto w = validateWaves(req); !w) return std::unexpected(w.error());
  // With waves, the first wave's region and config are the deployment's to begin with.
  const json& firstRendered = req.waves.empty() ? req.rendered : req.waves.front().rendered;
  std::string region = !req.waves.empty() ? req.waves.front().region : req.region.empty() ? "local" : req.region;
  auto plan = planFromRendered(firstRendered, req.env, region);
  if (!plan) return std::unexpected(plan.error());
  std::string strategy = req.strategy.value_or(plan->strategy);
  if (strategy != "bluegreen" && strategy != "all-at-once" && strategy != "canary") {
    return invalid("unknown strategy '" + strategy + "' (bluegreen, canary, all-at-once)",
                   "strategy");
  }
  if (strategy == "canary" && plan->baseline == "fresh") {
    for (size_t i = 0; i < plan->steps.size(); ++i) {
      const auto& s = plan->steps[i];
      if (s.kind == StepPlan::Kind::kWeight && 2 * s.weight > 100) {
        return invalid(fmt::format("{} is more than 50: with baseline: fresh the baseline fleet gets the canary's "
                                   "weight too and the stable fleet 100 - 2 x weight",
                                   s.weight),
                       fmt::format("strategy.steps[{}].weight", i));
      }
    }
  }
  auto policy = ApprovalPolicyCheck::policyOf(firstRendered);
  if (!policy) return std::unexpected(policy.error());
  auto window = DeploymentWindow::fromPolicy(*policy);
  if (!window) return std::unexpected(window.error());
  // The release must exist and be intact before anything is recorded.
  auto release = parts_.releases.find(req.service, req.version);
  if (!release) return std::unexpected(release.error());
  if (auto v = parts_.releases.verify(*release); !v) return std::unexpected(v.error());
  const int64_t now = toUnixMillis(clock_.now());

  // Into a later pipeline stage only what succeeded in the stage before.
  if (!req.hotfix && !req.undo && promotedFromId.empty() && !req.pipeline.empty()) {
    auto at = std::find(req.pipeline.begin(), req.pipeline.end(), req.env);
    if (at != req.pipeline.end() && at != req.pipeline.begin()) {
      auto all = list(req.service, std::nullopt, 1000);
      if (!all) return std::unexpected(all.error());
      auto src = PromotionCheck::source(req.pipeline, req.service, req.env, *all, now, release->digest);
      if (!src) return std::unexpected(src.error());
    }
  }

  store::DeploymentFilter f;
  f.service = req.service;
  f.env = req.env;
  f.activeOnly = true;
  auto running = store_.listDeployments(f);
  if (!running) return std::unexpected(running.error());
  if (!running->empty() && !req.queue) {
    const auto& r = running->front();
    return conflict(fmt::format("{} in {} is already being deployed by {} ({} {}); wait for it, "
                                "abort it, or add --queue to start after it",
                                req.service, req.env, r.id, r.doc.value("version", "?"), r.state),
                    "service");
  }

  Deployment d;
  d.id = newDeploymentId();
  d.service = req.service;
  d.env = req.env;
  d.region = region;
  d.strategy = strategy;
  d.state = kQueued;
  d.phase = Phase::kStart;
  d.version = release->version;
  d.digest = release->digest;
  d.releasePath = release->path;
  d.configDigest = req.waves.empty() ? req.configDigest : req.waves.front().configDigest;
  d.gitCommit = req.gitCommit;
  d.gitDirty = req.gitDirty;
  d.configVersion = req.configVersion;
  d.rendered = firstRendered;
  d.createdBy = req.actor;
  d.createdAt = now;
  // Queue order is creation order: strictly after every active one.
  for (const auto& r : *running) d.createdAt = std::max(d.createdAt, r.createdAt + 1);
  d.updatedAt = d.createdAt;
  d.pipeline = req.pipeline;
  d.laterStages = req.laterStages;
  d.hotfix = req.hotfix;
  d.hotfixReason = req.hotfixReason;
  d.promotedFrom = promotedFrom;
  d.promotedFromId = promotedFromId;
  d.started = false;
  if (req.rollbackAllRegions && req.waves.empty()) {
    return invalid("goes with a deployment across several regions (waves) only", "rollback_all_regions");
  }
  d.rollbackAllRegions = req.rollbackAllRegions;
  // A hotfix runs the faster hotfix_steps of a canary when configured.
  if (d.hotfix) {
    d.rendered = withHotfixSteps(std::move(d.rendered));
    auto hp = planFromRendered(d.rendered, req.env, region);
    if (!hp) return std::unexpected(hp.error());
    plan = std::move(hp);
  }
  if (!req.waves.empty()) {
    // Regions in waves (WavePhases): every region's config is kept; the
    // first is loaded now, the others when their wave starts.
    for (const auto& w : req.waves) {
      Wave wave;
      wave.region = w.region;
      wave.version = release->version;
      wave.configDigest = w.configDigest;
      wave.rendered = w.rendered;
      d.waves.push_back(std::move(wave));
    }
    if (auto st = WavePhases::loadWave(d, 0); !st) return std::unexpected(st.error());
  } else {
    d.newFleet = fleetNameFor(d);
    d.stepNames = plan->stepNames(strategy);
    d.steps = static_cast<int>(d.stepNames.size());
  }

  // Gates: approval first, then the queue, then the window.
  auto approval = req.undo ? std::nullopt : ApprovalPolicyCheck::request(*policy, req.actor, now);
  if (approval) {
    d.approval = *approval;
    d.state = kAwaitingApproval;
    d.phase = Phase::kApproval;
    d.reason = fmt::format("awaiting {} approval(s)", approval->required);
  } else if (!running->empty()) {
    d.phase = Phase::kQueue;
    d.reason = "queued behind " + running->front().id;
  } else if (!req.undo) {
    auto w = window->check(clock_.now());
    if (!w.open) {
      return failedPrecondition(
          fmt::format("{} does not accept deployments now: {}{}", req.env, w.reason,
                      w.opensAt ? "; it opens at " + formatTime(*w.opensAt) : std::string("; it does not open in the next 15 days")),
          "env");
    }
  }

  json created{{"strategy", d.strategy}, {"region", d.region},
               {"git_commit", d.gitCommit ? json(*d.gitCommit) : json(nullptr)}};
  if (d.configVersion) created["config_version"] = d.configVersion;
  if (d.hotfix) {
    created["hotfix"] = true;
    created["hotfix_reason"] = d.hotfixReason;
  }
  if (!d.promotedFrom.empty()) {
    created["promoted_from"] = d.promotedFrom;
    created["promoted_from_deployment"] = d.promotedFromId;
  }
  if (d.phase == Phase::kQueue) created["queued_behind"] = running->front().id;
  // The approval it waits for is recorded with it: never one without the other.
  std::vector<std::pair<std::string, json>> then;
  if (approval) {
    json a{{"requester", approval->requester}, {"required", approval->required}, {"roles", approval->roles},
           {"state", d.state},
           {"expires_at", approval->expiresAt ? json(formatTime(fromUnixMillis(approval->expiresAt))) : json(nullptr)}};
    then.emplace_back("approval.requested", std::move(a));
  }
  if (auto st = ledger_.insert(d, created, req.actor, std::move(then)); !st) return std::unexpected(st.error());
  noteWork(d);
  return d;
}

Status Engine::validateWaves(const DeployRequest& req) {
  if (req.waves.empty()) return ok();
  for (size_t i = 0; i < req.waves.size(); ++i) {
    const auto& w = req.waves[i];
    const std::string at = fmt::format("waves[{}]", i);
    if (w.region.empty()) return invalid("must name a region", at + ".region");
    if (!w.rendered.is_object()) {
      return invalid("must be the service config rendered for region " + w.region + " (an object)", at + ".rendered");
    }
    if (w.configDigest.empty()) return invalid("is required (the digest of the rendered config)", at + ".config_digest");
    for (size_t j = 0; j < i; ++j) {
      if (req.waves[j].region == w.region) {
        return invalid(fmt::format("region {} is listed twice (also waves[{}]); each region is one wave", w.region, j),
                       at + ".region");
      }
    }
    const json& r = w.rendered;
    if (r.contains("env") && r["env"].is_string() && r["env"].get<std::string>() != req.env) {
      return invalid(fmt::format("is rendered for environment {}, not {}", r["env"].get<std::string>(), req.env),
                     at + ".rendered.env");
    }
    if (r.contains("environment") && r["environment"].is_object() && r["environment"].contains("regions") &&
        r["environment"]["regions"].is_array()) {
      std::vector<std::string> regions;
      for (const auto& x : r["environment"]["regions"]) {
        if (x.is_string()) regions.push_back(x.get<std::string>());
      }
      if (std::find(regions.begin(), regions.end(), w.region) == regions.end()) {
        return invalid(fmt::format("environment {} has no region '{}'; its regions are {}", req.env, w.region,
                                   fmt::join(regions, ", ")),
                       at + ".region");
      }
    }
    if (r.contains("region") && r["region"].is_string() && r["region"].get<std::string>() != w.region) {
      return invalid(fmt::format("is the config rendered for region {}, not {}", r["region"].get<std::string>(),
                                 w.region),
                     at + ".rendered.region");
    }
    auto plan = planFromRendered(r, req.env, w.region);
    if (!plan) {
      auto e = plan.error();
      e.where = at + "." + e.where;
      return std::unexpected(e);
    }
  }
  if (!req.region.empty() && req.region != req.waves.front().region) {
    return invalid(fmt::format("is {} but the first wave is {}; with waves, region names the first wave or is left out",
                               req.region, req.waves.front().region),
                   "region");
  }
  return ok();
}

Result<Deployment> Engine::promote(const DeployRequest& request) {
  if (request.service.empty()) return invalid("service is required", "service");
  if (request.env.empty()) return invalid("the target environment is required", "to");
  if (request.pipeline.empty()) return invalid("the pipeline is required to promote", "pipeline");
  std::lock_guard lock(keyLock(request.service, request.env));
  auto all = list(request.service, std::nullopt, 1000);
  if (!all) return std::unexpected(all.error());
  auto src = PromotionCheck::source(request.pipeline, request.service, request.env, *all,
                                    toUnixMillis(clock_.now()));
  if (!src) return std::unexpected(src.error());
  // The very release that succeeded there: same version, same digest.
  auto release = parts_.releases.find(request.service, src->version);
  if (!release) return std::unexpected(release.error());
  if (release->digest != src->digest) {
    return failedPrecondition(fmt::format("release {} {} is now {} but {} succeeded in {}; refusing to promote a "
                                          "different build",
                                          request.service, src->version, release->digest, src->digest, src->fromEnv),
                              "version");
  }
  DeployRequest req = request;
  req.version = src->version;
  req.hotfix = false;
  req.hotfixReason.clear();
  auto d = submitLocked(req, src->fromEnv, src->deploymentId);
  if (d) wake(*d);
  return d;
}

}  // namespace ramp::engine
