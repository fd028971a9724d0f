#include "engine/Engine.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include <fmt/format.h>

#include "core/Sha256.h"
#include "engine/ApprovalPolicyCheck.h"
#include "engine/DeploymentWindow.h"
#include "engine/Failpoint.h"
#include "engine/PromotionCheck.h"
#include "providers/prometheus/PrometheusQuerySource.h"
#include "engine/WeightLease.h"

namespace ramp::engine {

using nlohmann::json;

namespace {

int runShell(const std::string& command, const std::map<std::string, std::string>& env,
             std::chrono::milliseconds timeout) {
  pid_t pid = fork();
  if (pid < 0) return 127;
  if (pid == 0) {
    setpgid(0, 0);
    for (auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      return 124;
    }
    usleep(20000);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string sanitize(const std::string& s) {
  std::string out;
  for (char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.') {
      out.push_back(c);
    } else if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else {
      out.push_back('-');
    }
  }
  return out;
}

// The deployment advance() is running on this thread, for the PHASE:after
// failpoint.
thread_local std::string tlRunningId;

}  // namespace

Engine::Engine(store::Store& store, providers::FleetProvider& fleets,
               providers::TrafficProvider& traffic, providers::MetricsProvider& metrics,
               ReleaseCatalog& releases, Clock& clock, EngineOptions options)
    : store_(store),
      fleets_(fleets),
      traffic_(traffic),
      metrics_(metrics),
      releases_(releases),
      clock_(clock),
      options_(std::move(options)) {
  if (!options_.runCommand) options_.runCommand = runShell;
  if (!options_.metricQueries) ownQueries_ = std::make_unique<providers::PrometheusQuerySource>();
  metricQueries_ = options_.metricQueries ? options_.metricQueries : ownQueries_.get();
}

std::string Engine::newDeploymentId() {
  auto now = clock_.now();
  std::string t = formatTime(now);  // 2026-11-26T08:17:37.123Z
  std::string compact;
  for (char c : t.substr(0, 19)) {
    if (c >= '0' && c <= '9') compact.push_back(c);
  }
  return "d-" + compact + "-" + randomHex(3);
}

uint32_t Engine::factsOf(const Deployment& d) {
  uint32_t f = d.strategy == "canary" ? fact::kCanary : fact::kNotCanary;
  f |= d.oldFleet.empty() ? fact::kNoPrevious : fact::kPrevious;
  f |= d.lastWave() ? fact::kLastWave : fact::kMoreWaves;
  if (d.hasWaves()) f |= fact::kWaves;
  return f;
}

providers::EntrypointKey Engine::keyOf(const Deployment& d) const {
  return providers::EntrypointKey{d.service, d.env, d.region};
}

Status Engine::audit(const std::string& kind, const Deployment& d, json data,
                     const std::string& actor) {
  store::AuditEventInput e;
  e.time = toUnixMillis(clock_.now());
  e.actor = actor.empty() ? options_.owner : actor;
  e.kind = kind;
  e.service = d.service;
  e.env = d.env;
  e.deploymentId = d.id;
  if (data.is_null()) data = json::object();
  data["version"] = d.version;
  data["digest"] = d.digest;
  data["config_digest"] = d.configDigest;
  e.data = std::move(data);
  auto r = store_.appendEvent(e);
  if (!r) return std::unexpected(r.error());
  return ok();
}

Status Engine::commit(Deployment& d, const std::string& eventKind, json data) {
  if (d.phase != d.recordedPhase) {
    if (auto ok = PhaseTable::check(d.recordedPhase, d.phase, d.id); !ok) return ok;
    // Leaving the phase being run: its side effect is done, the move is not
    // yet written (RAMP_FAILPOINT=PHASE:after).
    if (d.id == tlRunningId) failpoint(phaseName(d.recordedPhase), "after");
  }
  failpointSideEffect("commit");
  d.updatedAt = toUnixMillis(clock_.now());
  store::DeploymentRecord rec;
  rec.id = d.id;
  rec.service = d.service;
  rec.env = d.env;
  rec.state = d.state;
  rec.createdAt = d.createdAt;
  rec.updatedAt = d.updatedAt;
  rec.revision = d.revision;
  rec.doc = d.toDoc();
  auto st = store_.updateDeployment(rec, options_.fence);
  if (!st) return st;
  d.revision = rec.revision;
  d.recordedPhase = d.phase;
  if (!eventKind.empty()) {
    if (data.is_null()) data = json::object();
    data["state"] = d.state;
    data["phase"] = d.phase;
    data["step"] = d.step;
    if (!d.reason.empty()) data["reason"] = d.reason;
    auto a = audit(eventKind, d, std::move(data));
    failpointSideEffect("committed");
    return a;
  }
  failpointSideEffect("committed");
  return ok();
}

Status Engine::enterPhase(Deployment& d, Phase phase, json data) {
  d.phase = phase;
  return commit(d, "deployment.phase", std::move(data));
}

Status Engine::finish(Deployment& d, const std::string& state, const std::string& reason) {
  d.state = state;
  d.reason = reason;
  d.finishedAt = toUnixMillis(clock_.now());
  return commit(d, "deployment.finished");
}

Status Engine::failUnreadable(const store::DeploymentRecord& rec, const Error& why) {
  store::DeploymentRecord r = rec;
  if (!r.doc.is_object()) r.doc = json::object();
  const int64_t now = toUnixMillis(clock_.now());
  if (!isTerminalState(r.state)) r.state = kFailed;
  std::string reason = "the engine cannot read this deployment's record (" + why.message +
                       "); it was stopped where it was, its fleets and traffic left as they are";
  std::string before = r.doc.value("reason", json()).is_string() ? r.doc["reason"].get<std::string>() : "";
  r.doc["reason"] = before.empty() ? reason : before + "; " + reason;
  r.doc["phase"] = phaseName(Phase::kDone);
  r.doc["finished_at"] = now;
  r.updatedAt = now;
  if (auto st = store_.updateDeployment(r, options_.fence); !st) return st;
  store::AuditEventInput e;
  e.time = now;
  e.actor = options_.owner;
  e.kind = "deployment.finished";
  e.service = r.service;
  e.env = r.env;
  e.deploymentId = r.id;
  e.data = {{"state", r.state}, {"phase", phaseName(Phase::kDone)}, {"reason", r.doc["reason"]}};
  if (auto a = store_.appendEvent(e); !a) return std::unexpected(a.error());
  return ok();
}

std::string Engine::fleetNameFor(const Deployment& d) {
  // Fleet names are global on the local provider: a deployment across
  // regions names the region in each of its fleets.
  if (d.hasWaves()) {
    return sanitize(fmt::format("{}-{}-{}-{}-{}", d.service, d.env, d.region, d.version, d.id.substr(d.id.size() - 6)));
  }
  return sanitize(fmt::format("{}-{}-{}-{}", d.service, d.env, d.version, d.id.substr(d.id.size() - 6)));
}

std::vector<std::string> Engine::stepNamesOf(const std::string& strategy, const ServicePlan& plan) {
  std::vector<std::string> names;
  if (strategy == "canary") {
    for (const auto& s : plan.steps) {
      if (s.kind == StepPlan::Kind::kWeight) names.push_back(fmt::format("weight {}", s.weight));
      if (s.kind == StepPlan::Kind::kPause)
        names.push_back(s.pause ? "pause " + std::to_string(s.pause->count()) + "ms"
                                : std::string("pause until resumed"));
      if (s.kind == StepPlan::Kind::kAnalysis) names.push_back("analysis");
    }
  } else {
    names = {"start fleet", "wait healthy"};
    if (!plan.smokeTest.empty()) names.push_back("smoke test");
    names.push_back("switch traffic");
    names.push_back("retire previous");
  }
  return names;
}

json Engine::withHotfixSteps(json rendered) {
  if (rendered.contains("strategy") && rendered["strategy"].is_object()) {
    auto& st = rendered["strategy"];
    if (st.contains("hotfix_steps") && st["hotfix_steps"].is_array() && !st["hotfix_steps"].empty()) {
      st["steps"] = st["hotfix_steps"];
    }
  }
  return rendered;
}

Result<Deployment> Engine::submit(const DeployRequest& req) {
  std::lock_guard lock(mu_);
  return submitLocked(req, "", "");
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
  auto release = releases_.find(req.service, req.version);
  if (!release) return std::unexpected(release.error());
  if (auto v = releases_.verify(*release); !v) return std::unexpected(v.error());
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
  d.configVersion = req.configVersion;
  d.gitCommit = req.gitCommit;
  d.gitDirty = req.gitDirty;
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
    // Regions in waves (Waves.cpp): every region's config is kept; the
    // first is loaded now, the others when their wave starts.
    for (const auto& w : req.waves) {
      d.waves.push_back({{"region", w.region},
                         {"state", "pending"},
                         {"version", release->version},
                         {"config_digest", w.configDigest},
                         {"rendered", w.rendered}});
    }
    if (auto st = loadWave(d, 0); !st) return std::unexpected(st.error());
  } else {
    d.newFleet = fleetNameFor(d);
    d.stepNames = stepNamesOf(strategy, *plan);
    d.steps = static_cast<int>(d.stepNames.size());
  }

  // Gates: approval first, then the queue, then the window.
  auto approval = req.undo ? std::nullopt : ApprovalPolicyCheck::request(*policy, req.actor, now);
  if (approval) {
    d.approval = approval->toJson();
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

  store::DeploymentRecord rec;
  rec.id = d.id;
  rec.service = d.service;
  rec.env = d.env;
  rec.state = d.state;
  rec.createdAt = d.createdAt;
  rec.updatedAt = d.updatedAt;
  rec.doc = d.toDoc();
  if (std::ranges::find(PhaseTable::initialPhases(), d.phase) == PhaseTable::initialPhases().end()) {
    return internal(fmt::format("a deployment cannot begin in phase {}", phaseName(d.phase)), d.id);
  }
  if (auto st = store_.insertDeployment(rec, options_.fence); !st) return std::unexpected(st.error());
  d.revision = rec.revision;
  d.recordedPhase = d.phase;
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
  if (auto st = audit("deployment.created", d, created, req.actor); !st) return std::unexpected(st.error());
  if (approval) {
    json a{{"requester", approval->requester}, {"required", approval->required}, {"roles", approval->roles},
           {"state", d.state},
           {"expires_at", approval->expiresAt ? json(formatTime(fromUnixMillis(approval->expiresAt))) : json(nullptr)}};
    if (auto st = audit("approval.requested", d, a, req.actor); !st) return std::unexpected(st.error());
  }
  return d;
}

Result<Deployment> Engine::get(const std::string& id) {
  auto rec = store_.getDeployment(id);
  if (!rec) return std::unexpected(rec.error());
  return Deployment::fromRecord(rec->id, rec->service, rec->env, rec->state, rec->revision, rec->doc);
}

Result<std::vector<Deployment>> Engine::list(const std::optional<std::string>& service,
                                             const std::optional<std::string>& env, int limit) {
  store::DeploymentFilter f;
  f.service = service;
  f.env = env;
  f.limit = limit;
  auto recs = store_.listDeployments(f);
  if (!recs) return std::unexpected(recs.error());
  std::vector<Deployment> out;
  for (auto& r : *recs) {
    auto d = Deployment::fromRecord(r.id, r.service, r.env, r.state, r.revision, r.doc);
    if (!d) return std::unexpected(d.error());
    out.push_back(std::move(*d));
  }
  return out;
}

Status Engine::tick() {
  std::lock_guard lock(mu_);
  // Deployments with work left: non-terminal ones, and finished ones still
  // baking or retiring their previous fleet.
  // Every non-terminal deployment (however many), plus the newest ones,
  // which include finished deployments still baking or retiring. (A newest-N
  // window alone starves older running deployments once more than N run.)
  store::DeploymentFilter f;
  f.activeOnly = true;
  f.limit = 100000;
  auto recs = store_.listDeployments(f);
  if (!recs) return std::unexpected(recs.error());
  store::DeploymentFilter recent;
  recent.limit = 500;
  auto newest = store_.listDeployments(recent);
  if (!newest) return std::unexpected(newest.error());
  {
    std::set<std::string> have;
    for (auto& r : *recs) have.insert(r.id);
    for (auto& r : *newest) {
      if (!have.contains(r.id)) recs->push_back(std::move(r));
    }
    // Newest first, like one listing (ids start with the creation time).
    std::sort(recs->begin(), recs->end(), [](const auto& a, const auto& b) {
      return a.createdAt != b.createdAt ? a.createdAt > b.createdAt : a.id > b.id;
    });
  }
  Status firstError = ok();
  std::set<std::string> touched;
  // Oldest first, so that a newer deployment's traffic edits come last.
  for (auto it = recs->rbegin(); it != recs->rend(); ++it) {
    auto d = Deployment::fromRecord(it->id, it->service, it->env, it->state, it->revision, it->doc);
    if (!d) {
      if (isTerminalState(it->state) && it->doc.is_object() && it->doc.value("phase", json()) == json("done")) {
        continue;  // ended; nothing left to do with it
      }
      auto st = failUnreadable(*it, d.error());
      if (firstError) firstError = st ? Status(std::unexpected(d.error())) : st;
      continue;
    }
    if (!d->active()) continue;
    if (auto st = advance(*d); !st && firstError) firstError = st;
  }
  if (options_.mayAct) {
    if (auto may = options_.mayAct(); !may) return may;
  }
  for (const auto& key : entrypoints()) {
    if (options_.mayActOn && !options_.mayActOn(key.service, key.env)) continue;  // another site's
    if (auto st = reconcileTraffic(key); !st && firstError) firstError = st;
  }
  if (auto st = autoPromote(); !st && firstError) firstError = st;
  return firstError;
}

namespace {
constexpr std::string_view kWaitingForSite = "waiting for the controller that runs its environment: ";
}  // namespace

Status Engine::advance(Deployment& d) {
  if (options_.mayActOn) {
    if (auto m = options_.mayActOn(d.service, d.env); !m) {
      // Another site's local environment: nothing here acts on it.
      std::string why = std::string(kWaitingForSite) + m.error().message;
      if (d.reason == why) return ok();
      d.reason = why;
      return commit(d, "");
    }
    if (d.reason.starts_with(kWaitingForSite)) d.reason.clear();
  }
  auto plan = planFromRendered(d.rendered, d.env, d.region);
  if (!plan) {
    d.reason = "its configuration cannot be read: " + plan.error().describe();
    stopWaves(d, kFailed, false);
    return finish(d, kFailed, d.reason);
  }
  int planWave = d.wave;
  // Before anything else (a paused canary too): the data plane may have
  // taken the canary's weight away while the controller was gone.
  if (machineOf(d.phase) == Machine::kCanary) {
    if (options_.mayAct) {
      if (auto may = options_.mayAct(); !may) return may;
    }
    auto ran = leaseRanOut(d, *plan);
    if (!ran) return std::unexpected(ran.error());
  }
  for (int guard = 0; guard < 32; ++guard) {
    if (d.state == kPaused) {
      // Waits for `ramp resume`; meanwhile a canary's judge keeps looking
      // and rolls back on evidence of harm (Canary.cpp watchPausedCanary).
      // A look that fails is tried again at the next interval (the
      // deployment waits for a person anyway).
      auto rolledBack = watchPausedCanary(d, *plan);
      if (!rolledBack || !*rolledBack) return ok();
      continue;
    }
    if (d.wave != planWave) {
      // The next region's wave started: its own configuration from now on.
      plan = planFromRendered(d.rendered, d.env, d.region);
      if (!plan) {
        d.reason = "its configuration cannot be read: " + plan.error().describe();
        stopWaves(d, kFailed, false);
        return finish(d, kFailed, d.reason);
      }
      planWave = d.wave;
    }
    if (options_.mayAct) {
      if (auto may = options_.mayAct(); !may) return may;
    }
    // The phase is committed; its side effect is about to run
    // (RAMP_FAILPOINT=PHASE:before).
    failpoint(phaseName(d.phase), "before");
    if (samplesBeforeSwitch(d.phase)) {
      if (auto st = sampleBeforeSwitch(d, *plan); !st) return st;
    }
    tlRunningId = d.id;
    Result<bool> moved = false;
    switch (machineOf(d.phase)) {
      case Machine::kGates: moved = runGatePhase(d); break;
      case Machine::kRollback: moved = runRollbackPhase(d, *plan); break;
      case Machine::kCanary: moved = runCanaryPhase(d, *plan); break;
      case Machine::kWaves: moved = runWavePhase(d); break;
      case Machine::kFleet:
      case Machine::kBake: moved = runPhase(d, *plan); break;
    }
    tlRunningId.clear();
    if (!moved) return std::unexpected(moved.error());
    if (!*moved) return ok();
  }
  return ok();
}

// ---- alarms ----

std::optional<std::string> Engine::firingAlarm(const Deployment& d, const ServicePlan& plan, bool force,
                                               bool& unknown) {
  unknown = false;
  if (!options_.alarms || plan.alarms.empty()) return std::nullopt;
  auto mono = clock_.monotonic();
  if (!force) {
    auto it = nextAlarmLook_.find(d.id);
    if (it != nextAlarmLook_.end() && mono < it->second) {
      // Between looks the last answer stands: unknown stays unknown.
      unknown = lastAlarmError_.contains(d.id);
      return std::nullopt;
    }
  }
  nextAlarmLook_[d.id] = mono + std::chrono::seconds(1);
  auto firing = options_.alarms->alarmsInAlarm(keyOf(d), plan.alarms);
  if (!firing) {
    unknown = true;
    std::string message = "alarm state unknown: " + firing.error().describe();
    if (lastAlarmError_[d.id] != message) {
      lastAlarmError_[d.id] = message;
      (void)audit("alarm.unknown", d, {{"reason", message}, {"alarms", plan.alarms}, {"phase", d.phase}});
    }
    return std::nullopt;
  }
  lastAlarmError_.erase(d.id);
  if (firing->empty()) return std::nullopt;
  return firing->front();
}

// ---- traffic ----

std::vector<providers::EntrypointKey> Engine::entrypoints() {
  std::vector<providers::EntrypointKey> out;
  auto v = store_.getSetting("entrypoints");
  if (!v || !*v) return out;
  auto j = json::parse(**v, nullptr, false);
  if (!j.is_array()) return out;
  for (auto& e : j) {
    if (!e.is_object()) continue;
    out.push_back({e.value("service", ""), e.value("env", ""), e.value("region", "")});
  }
  return out;
}

Status Engine::rememberEntrypoint(const providers::EntrypointKey& key, std::optional<int> port) {
  auto known = entrypoints();
  if (std::find(known.begin(), known.end(), key) == known.end()) {
    known.push_back(key);
    json arr = json::array();
    for (auto& k : known) arr.push_back({{"service", k.service}, {"env", k.env}, {"region", k.region}});
    if (auto st = store_.putSetting("entrypoints", arr.dump(), options_.fence); !st) return st;
  }
  return ok();
}

Result<TrafficPlan> Engine::loadPlan(const providers::EntrypointKey& key) {
  auto v = store_.getSetting("traffic:" + entrypointName(key));
  if (!v) return std::unexpected(v.error());
  if (!*v) return TrafficPlan{};
  auto j = json::parse(**v, nullptr, false);
  if (j.is_discarded()) return internal("corrupt traffic plan", entrypointName(key));
  return TrafficPlan::fromJson(j);
}

Status Engine::savePlan(const providers::EntrypointKey& key, const TrafficPlan& plan,
                        const std::string& actor, const std::string& deploymentId) {
  auto before = loadPlan(key);
  if (!before) return std::unexpected(before.error());
  if (before->weights == plan.weights && before->pin == plan.pin && before->stable == plan.stable &&
      before->leaseMs == plan.leaseMs) {
    return ok();
  }
  failpointSideEffect("traffic plan");
  if (auto st = store_.putSetting("traffic:" + entrypointName(key), plan.toJson().dump(), options_.fence); !st) {
    return st;
  }
  store::AuditEventInput e;
  e.time = toUnixMillis(clock_.now());
  e.actor = actor.empty() ? options_.owner : actor;
  e.kind = "traffic.set";
  e.service = key.service;
  e.env = key.env;
  e.deploymentId = deploymentId;
  e.data = {{"entrypoint", entrypointName(key)}, {"weights", plan.weights}};
  if (!plan.stable.empty()) e.data["stable"] = plan.stable;
  if (plan.leaseMs > 0) e.data["lease_ms"] = plan.leaseMs;
  auto r = store_.appendEvent(e);
  if (!r) return std::unexpected(r.error());
  failpointSideEffect("traffic plan saved");
  return ok();
}

Status Engine::reconcileTraffic(const providers::EntrypointKey& key, bool resumeRanOut) {
  auto plan = loadPlan(key);
  if (!plan) return std::unexpected(plan.error());
  providers::TrafficSplit want;
  want.key = key;
  want.pin = plan->pin;
  want.epoch = options_.fence ? options_.fence->epoch : 0;
  bool stableServes = false;
  for (auto& [fleet, weight] : plan->weights) {
    providers::FleetWeight fw;
    fw.fleetId = fleet;
    fw.weight = weight;
    auto st = fleets_.fleetStatus(fleet);
    if (st && st->exists) {
      for (auto& inst : st->instances) {
        if (inst.state == "healthy") fw.backends.push_back(inst.address);
      }
      std::sort(fw.backends.begin(), fw.backends.end());
    }
    if (fleet == plan->stable && !fw.backends.empty()) stableServes = true;
    want.fleets.push_back(std::move(fw));
  }
  // The stable fleet is the fallback and the lease's target: only while it
  // has an instance to send to (the data plane refuses it otherwise).
  if (stableServes) {
    want.stable = plan->stable;
    want.leaseMs = plan->leaseMs;
  }
  auto applied = traffic_.appliedTraffic(key);
  if (applied) {
    auto norm = [](std::vector<providers::FleetWeight> v) {
      for (auto& f : v) std::sort(f.backends.begin(), f.backends.end());
      std::sort(v.begin(), v.end(),
                [](const auto& a, const auto& b) { return a.fleetId < b.fleetId; });
      return v;
    };
    bool same = norm(applied->fleets) == norm(want.fleets) && applied->pin == want.pin;
    switch (WeightLease::next(*plan, *applied, same)) {
      case WeightLease::Action::kNone: return ok();
      case WeightLease::Action::kRanOut:
        // The data plane took the canary's weight away: the deployment
        // decides (leaseRanOut), never this reconcile.
        if (!resumeRanOut) return ok();
        break;
      case WeightLease::Action::kRenew: {
        auto renewed = traffic_.renewLease(key, want.epoch);
        if (renewed) return ok();
        if (renewed.error().code != ErrorCode::kConflict || renewed.error().where != "lease") return renewed;
        // No lease held (set it with the split), or it ran out in between
        // (leave it to the deployment).
        auto again = traffic_.appliedTraffic(key);
        if (!again) return std::unexpected(again.error());
        if (WeightLease::ranOut(*plan, *again) && !resumeRanOut) return ok();
        break;
      }
      case WeightLease::Action::kApply: break;
    }
  }
  // A fleet whose instances are all replaced keeps its last backends rather
  // than none: the router then retries on another instance.
  if (applied) {
    for (auto& fw : want.fleets) {
      if (!fw.backends.empty() || fw.weight == 0) continue;
      for (auto& old : applied->fleets) {
        if (old.fleetId == fw.fleetId) fw.backends = old.backends;
      }
    }
  }
  failpointSideEffect("router split");
  auto set = traffic_.setTraffic(want);
  failpointSideEffect("router split set");
  return set;
}

Status Engine::renewLeases() {
  // A controller that may no longer act must not hold canaries either.
  if (options_.mayAct && !options_.mayAct()) return ok();
  const int64_t epoch = options_.fence ? options_.fence->epoch : 0;
  Status first = ok();
  for (const auto& key : entrypoints()) {
    auto plan = loadPlan(key);
    if (!plan) {
      if (first) first = std::unexpected(plan.error());
      continue;
    }
    if (plan->leaseMs <= 0 || plan->stable.empty()) continue;
    {
      std::lock_guard lock(leaseMu_);
      auto now = clock_.monotonic();
      auto& last = leaseRenewedAt_[entrypointName(key)];
      if (now - last < std::chrono::milliseconds(plan->leaseMs / 3)) continue;
      last = now;
    }
    auto renewed = traffic_.renewLease(key, epoch);
    // No lease held (the split is not set yet) or it ran out: tick() sets
    // the split, or the deployment decides.
    if (!renewed && !(renewed.error().code == ErrorCode::kConflict && renewed.error().where == "lease") && first) {
      first = renewed;
    }
  }
  return first;
}

Result<bool> Engine::leaseRanOut(Deployment& d, const ServicePlan& plan) {
  const auto key = keyOf(d);
  auto tp = loadPlan(key);
  if (!tp) return std::unexpected(tp.error());
  // Only the lease of this deployment's own canary split.
  if (tp->leaseMs <= 0 || !tp->weights.contains(d.newFleet)) return false;
  auto applied = traffic_.appliedTraffic(key);
  if (!applied) return std::unexpected(applied.error());
  if (!WeightLease::ranOut(*tp, *applied)) return false;
  const auto& lease = *applied->lease;
  std::string why = WeightLease::describe(lease, tp->stable, d.step, d.steps, plan.onLeaseExpiry);
  json data{{"lease", WeightLease::toJson(lease)}, {"on_lease_expiry", plan.onLeaseExpiry}};
  if (plan.onLeaseExpiry == "resume") {
    // The held split again, and the current step from its beginning (an
    // analysis re-arms: new window, new deadline).
    if (auto st = audit("traffic.lease_resumed", d, data); !st) return std::unexpected(st.error());
    if (auto st = reconcileTraffic(key, true); !st) return std::unexpected(st.error());
    d.reason = why + "; the canary's weight is back and step " + std::to_string(d.step) + " starts again";
    if (d.phase == Phase::kCanaryAnalysis) {
      if (auto st = enterPhase(d, Phase::kCanaryStep, data); !st) return std::unexpected(st.error());
    } else if (auto st = commit(d, ""); !st) {
      return std::unexpected(st.error());
    }
    return true;
  }
  // Roll back: the data plane already sends everything to the stable
  // fleet, which is what the rollback applies (and verifies) next.
  if (auto st = startRollback(d, why, data); !st) return std::unexpected(st.error());
  return true;
}

Result<bool> Engine::trafficVerified(const providers::EntrypointKey& key) {
  auto plan = loadPlan(key);
  if (!plan) return std::unexpected(plan.error());
  auto applied = traffic_.appliedTraffic(key);
  if (!applied) return std::unexpected(applied.error());
  std::map<std::string, int> got;
  for (auto& f : applied->fleets) {
    if (f.weight > 0 && f.backends.empty()) return false;
    got[f.fleetId] = f.weight;
  }
  for (auto& [fleet, w] : plan->weights) {
    auto it = got.find(fleet);
    int have = it == got.end() ? 0 : it->second;
    if (have != w) return false;
  }
  for (auto& [fleet, w] : got) {
    if (w > 0 && !plan->weights.contains(fleet)) return false;
  }
  return true;
}

Result<std::optional<std::string>> Engine::stableFleet(const providers::EntrypointKey& key) {
  auto v = store_.getSetting("stable:" + entrypointName(key));
  if (!v) return std::unexpected(v.error());
  if (!*v || (*v)->empty()) return std::optional<std::string>{};
  auto j = json::parse(**v, nullptr, false);
  if (!j.is_object()) return std::optional<std::string>{};
  return std::optional<std::string>(j.value("fleet", ""));
}

Status Engine::setStableFleet(const providers::EntrypointKey& key, const std::string& fleet,
                              const std::string& version) {
  return store_.putSetting("stable:" + entrypointName(key),
                           json{{"fleet", fleet}, {"version", version}}.dump(), options_.fence);
}

Status Engine::recordFleet(const Deployment& d, const std::string& fleetId, const std::string& state,
                           const ReleaseRef* release) {
  auto existing = store_.getFleet(fleetId);
  store::FleetRecord f;
  if (existing) {
    f = *existing;
    if (f.state == state) return ok();
  } else {
    f.id = fleetId;
    f.service = d.service;
    f.env = d.env;
    f.region = d.region;
    f.version = release ? release->version : d.version;
    f.digest = release ? release->digest : d.digest;
    f.createdAt = toUnixMillis(clock_.now());
    f.doc = {{"deployment", d.id}};
    if (release) f.doc["role"] = "baseline";
  }
  f.state = state;
  f.updatedAt = toUnixMillis(clock_.now());
  failpointSideEffect("fleet record");
  return store_.putFleet(f, options_.fence);
}

Status Engine::markFleet(const std::string& fleetId, const std::string& state) {
  auto existing = store_.getFleet(fleetId);
  if (!existing) return ok();
  auto f = *existing;
  if (f.state == state) return ok();
  f.state = state;
  f.updatedAt = toUnixMillis(clock_.now());
  return store_.putFleet(f, options_.fence);
}

Result<providers::FleetSpec> Engine::fleetSpec(const Deployment& d, const ServicePlan& plan) {
  providers::FleetSpec spec;
  spec.fleetId = d.newFleet;
  spec.deploymentId = d.id;
  spec.service = d.service;
  spec.env = d.env;
  spec.region = d.region;
  spec.releaseVersion = d.version;
  spec.releaseDigest = d.digest;
  spec.releasePath = d.releasePath;
  spec.instanceType = plan.instanceType;
  spec.instances = plan.instances;
  if (plan.scaling) {
    // An autoscaled fleet starts at the capacity the current fleet has now
    // (clamped to min..max), not at the configured first size.
    spec.scaling = plan.scaling;
    if (!d.oldFleet.empty()) {
      auto cur = fleets_.fleetStatus(d.oldFleet);
      if (!cur) return std::unexpected(cur.error());
      if (cur->exists && cur->desired > 0) {
        spec.instances = std::clamp(cur->desired, plan.scaling->min, plan.scaling->max);
      }
    }
  }
  spec.run = plan.run;
  spec.health = plan.health;
  spec.epoch = options_.fence ? options_.fence->epoch : 0;
  return spec;
}

// ---- status ----


Result<json> Engine::status(const std::optional<std::string>& service,
                            const std::optional<std::string>& env) {
  json out = json::array();
  std::set<std::pair<std::string, std::string>> seen;
  store::DeploymentFilter f;
  f.service = service;
  f.env = env;
  f.limit = 1000;
  auto recs = store_.listDeployments(f);
  if (!recs) return std::unexpected(recs.error());
  auto fleetsRecs = store_.listFleets(service, env, false);
  if (!fleetsRecs) return std::unexpected(fleetsRecs.error());
  // Per service+env (newest first): the deployment shown is the newest one
  // not waiting in the queue; the queue (oldest first) is listed with it.
  std::vector<std::pair<std::string, std::string>> order;
  std::map<std::pair<std::string, std::string>, std::vector<Deployment>> groups;
  std::vector<Deployment> everything;
  for (auto& rec : *recs) {
    auto d = Deployment::fromRecord(rec.id, rec.service, rec.env, rec.state, rec.revision, rec.doc);
    if (!d) return std::unexpected(d.error());
    auto k = std::pair{rec.service, rec.env};
    if (seen.insert(k).second) order.push_back(k);
    groups[k].push_back(*d);
    everything.push_back(std::move(*d));
  }
  // Hotfix debt needs every env of the service, not only the one asked for.
  std::vector<HotfixDebtEntry> debt;
  if (env) {
    auto all = list(service, std::nullopt, 1000);
    if (!all) return std::unexpected(all.error());
    debt = HotfixDebt::of(*all);
  } else {
    debt = HotfixDebt::of(everything);
  }
  for (const auto& k : order) {
    const auto& group = groups[k];
    const Deployment* shown = nullptr;
    for (const auto& x : group) {
      if (x.phase != Phase::kQueue && x.phase != Phase::kWindow) {
        shown = &x;
        break;
      }
    }
    if (!shown) shown = &group.front();
    json queue = json::array();
    for (auto it = group.rbegin(); it != group.rend(); ++it) {
      if (&*it == shown || isTerminalState(it->state) || !isGate(it->phase) || it->phase == Phase::kApproval) continue;
      queue.push_back({{"id", it->id}, {"version", it->version}, {"state", it->state}, {"phase", it->phase},
                       {"created_by", it->createdBy}, {"reason", it->reason}});
    }
    json debtJson = json::array();
    for (const auto& e : debt) {
      if (e.service == k.first && e.env == k.second) debtJson.push_back(e.toJson());
    }
    const Deployment* d = shown;
    auto key = keyOf(*d);
    json s;
    s["service"] = d->service;
    s["env"] = d->env;
    s["region"] = d->region;
    auto url = store_.getSetting("url:" + entrypointName(key));
    s["entrypoint"] = (url && *url) ? json(**url) : json(nullptr);
    // Every region's entry point (regions in waves: each region has its own).
    json eps = json::object();
    eps[d->region] = s["entrypoint"];
    for (const auto& w : d->waves) {
      std::string r = w.value("region", "");
      if (r.empty() || eps.contains(r)) continue;
      auto u = store_.getSetting("url:" + entrypointName({d->service, d->env, r}));
      eps[r] = (u && *u) ? json(**u) : json(nullptr);
    }
    s["entrypoints"] = eps;
    s["deployment"] = {{"id", d->id},
                       {"state", d->state},
                       {"phase", d->phase},
                       {"strategy", d->strategy},
                       {"kind", d->kind},
                       {"step", d->step},
                       {"steps", d->steps},
                       {"step_names", d->stepNames},
                       {"reason", d->reason},
                       {"version", d->version},
                       {"digest", d->digest},
                       {"config_digest", d->configDigest},
                       {"config_version", d->configVersion ? json(d->configVersion) : json(nullptr)},
                       {"git_commit", d->gitCommit ? json(*d->gitCommit) : json(nullptr)},
                       {"git_dirty", d->gitDirty ? json(*d->gitDirty) : json(nullptr)},
                       {"created_by", d->createdBy},
                       {"verdict", d->verdicts.empty() ? json(nullptr) : d->verdicts.back()},
                       {"created_at", formatTime(fromUnixMillis(d->createdAt))},
                       {"updated_at", formatTime(fromUnixMillis(d->updatedAt))},
                       {"hotfix", d->hotfix},
                       {"hotfix_reason", d->hotfixReason},
                       {"promoted_from", d->promotedFrom.empty() ? json(nullptr) : json(d->promotedFrom)},
                       {"approval", ApprovalRequest::fromJson(d->approval).toApiJson()},
                       {"waves", d->wavesView()},
                       {"wave", d->hasWaves() ? json(d->wave + 1) : json(nullptr)}};
    s["queue"] = queue;
    s["hotfix_debt"] = debtJson;
    // Weights and the stable fleet are per entry point, i.e. per region.
    std::map<std::string, std::pair<Result<TrafficPlan>, Result<std::optional<std::string>>>> byRegion;
    auto regionOf = [&](const store::FleetRecord& fr) -> auto& {
      std::string r = fr.region.empty() ? d->region : fr.region;
      auto it = byRegion.find(r);
      if (it == byRegion.end()) {
        providers::EntrypointKey k{d->service, d->env, r};
        it = byRegion.emplace(r, std::pair{loadPlan(k), stableFleet(k)}).first;
      }
      return it->second;
    };
    json fleets = json::array();
    for (auto& fr : *fleetsRecs) {
      if (fr.service != d->service || fr.env != d->env) continue;
      auto& [plan, stable] = regionOf(fr);
      json fj;
      fj["id"] = fr.id;
      fj["region"] = fr.region;
      fj["version"] = fr.version;
      fj["digest"] = fr.digest;
      fj["state"] = fr.state;
      int weight = 0;
      if (plan && plan->weights.contains(fr.id)) weight = plan->weights.at(fr.id);
      fj["weight"] = weight;
      auto st = fleets_.fleetStatus(fr.id);
      fj["instances"] = st && st->exists ? st->desired : 0;
      fj["healthy"] = st && st->exists ? st->healthy : 0;
      // Unknown is not zero: say why (another host's fleet, a provider that did not answer).
      if (!st) fj["status_error"] = st.error().message;
      std::string role = "previous";
      if (stable && *stable && **stable == fr.id) {
        role = "stable";
      } else if (!d->baselineFleet.empty() && d->baselineFleet == fr.id) {
        role = "baseline";
      } else if (d->newFleet == fr.id && !isTerminalState(d->state)) {
        role = d->strategy == "canary" ? "canary" : "green";
        if (role == "green") role = "canary";
      } else if (fr.state == "creating") {
        role = "canary";
      }
      fj["role"] = role;
      fleets.push_back(fj);
    }
    s["fleets"] = fleets;
    out.push_back(s);
  }
  return out;
}

Status Engine::retireAll(const std::optional<std::string>& env, const std::string& actor,
                         std::vector<std::string>* skipped) {
  std::lock_guard lock(mu_);
  std::set<std::string> refused;  // "service/env" left alone, said once each
  auto mayAct = [&](const std::string& service, const std::string& environment) {
    if (!options_.mayActOn) return true;
    auto m = options_.mayActOn(service, environment);
    if (m) return true;
    if (refused.insert(service + "/" + environment).second && skipped) skipped->push_back(m.error().message);
    return false;
  };
  store::DeploymentFilter f;
  f.env = env;
  f.limit = 1000;
  auto recs = store_.listDeployments(f);
  if (!recs) return std::unexpected(recs.error());
  for (auto& r : *recs) {
    auto d = Deployment::fromRecord(r.id, r.service, r.env, r.state, r.revision, r.doc);
    if (!d || !d->active()) continue;
    if (!mayAct(d->service, d->env)) continue;
    if (!isTerminalState(d->state)) {
      d->state = kAborted;
      d->reason = "aborted by `ramp down` (" + actor + ")";
      d->finishedAt = toUnixMillis(clock_.now());
      stopWaves(*d, kAborted, false);
    }
    d->phase = Phase::kDone;
    if (auto st = commit(*d, "deployment.finished"); !st) return st;
  }
  auto fleetRecs = store_.listFleets(std::nullopt, env, false);
  if (!fleetRecs) return std::unexpected(fleetRecs.error());
  for (auto& fr : *fleetRecs) {
    if (!mayAct(fr.service, fr.env)) continue;  // never marked retired while another site runs it
    if (auto st = fleets_.retireFleet(fr.id, std::chrono::milliseconds(2000)); !st) return st;
    if (auto st = markFleet(fr.id, "retired"); !st) return st;
  }
  // Fleets the provider runs that the store does not know (should not
  // happen; retire them too so nothing is left behind).
  auto running = fleets_.listFleets(std::nullopt, env);
  if (running) {
    for (auto& id : *running) {
      if (auto st = fleets_.retireFleet(id, std::chrono::milliseconds(2000)); !st) return st;
    }
  }
  for (auto& key : entrypoints()) {
    if (env && key.env != *env) continue;
    if (!mayAct(key.service, key.env)) continue;
    if (auto st = store_.putSetting("traffic:" + entrypointName(key), TrafficPlan{}.toJson().dump(), options_.fence); !st) {
      return st;
    }
    (void)store_.putSetting("stable:" + entrypointName(key), "", options_.fence);
  }
  return ok();
}

}  // namespace ramp::engine
