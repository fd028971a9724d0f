// Engine.cpp — the scheduler: tick() and the runner of one deployment's
// phases (advance). The people's calls: Submit.cpp, Controls.cpp,
// Approvals.cpp; the status view: Status.cpp.
#include "engine/Engine.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "core/Sha256.h"
#include "core/Subprocess.h"
#include "engine/BakePhases.h"
#include "engine/BlueGreenPhases.h"
#include "engine/CanaryPhases.h"
#include "engine/Failpoint.h"
#include "engine/GatePhases.h"
#include "engine/NextLook.h"
#include "engine/RollbackPhases.h"
#include "engine/WavePhases.h"
#include "providers/prometheus/PrometheusQuerySource.h"

namespace ramp::engine {

using nlohmann::json;

namespace {

// `sh -c` through core/Subprocess.h on the system clock (a test's manual
// clock would never time out); stopped when the engine stops.
CommandRunner shellRunner(const std::atomic<bool>& stopping) {
  return [&stopping](const std::string& command, const std::map<std::string, std::string>& env,
                     std::chrono::milliseconds timeout) -> Result<int> {
    ShellCommand cmd;
    cmd.command = command;
    cmd.env = env;
    cmd.timeout = timeout;
    cmd.cancel = &stopping;
    auto exit = runShell(cmd, SystemClock::instance());
    if (!exit) return std::unexpected(exit.error());
    if (exit->how == CommandExit::How::kCancelled) {
      return unavailable("`" + command + "` was stopped: the controller is stopping (it runs again)");
    }
    return exit->shellCode();
  };
}

// How often the work index is read again from the store (it is kept
// current by submit and the jobs; this catches anything else).
constexpr auto kRescan = std::chrono::seconds(30);
constexpr auto kPromoteLook = std::chrono::seconds(5);

}  // namespace

Engine::Engine(store::Store& store, providers::FleetProvider& fleets, providers::TrafficProvider& traffic,
               providers::MetricsProvider& metrics, ReleaseCatalog& releases, Clock& clock, EngineOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      ledger_(store, clock, options_.owner, options_.fence),
      entrypoints_(store, fleets, traffic, ledger_, clock),
      alarms_(options_.alarms, clock),
      ownQueries_(options_.metricQueries ? nullptr : std::make_unique<providers::PrometheusQuerySource>()),
      parts_{fleets,
             traffic,
             metrics,
             releases,
             clock,
             ledger_,
             entrypoints_,
             alarms_,
             options_.metricQueries ? *options_.metricQueries : *ownQueries_,
             options_.runCommand ? options_.runCommand : shellRunner(stopping_),
             [this](const Deployment& d, const std::string& actor, bool queue) {
               std::lock_guard lock(keyLock(d.service, d.env));
               return rollbackKeptRegions(d, actor, queue);
             }},
      strands_(options_.workers) {
  machines_[static_cast<size_t>(Machine::kGates)] = std::make_unique<GatePhases>();
  machines_[static_cast<size_t>(Machine::kFleet)] = blueGreenPhases();
  machines_[static_cast<size_t>(Machine::kBake)] = std::make_unique<BakePhases>();
  machines_[static_cast<size_t>(Machine::kCanary)] = std::make_unique<CanaryPhases>();
  machines_[static_cast<size_t>(Machine::kRollback)] = rollbackPhases();
  machines_[static_cast<size_t>(Machine::kWaves)] = std::make_unique<WavePhases>();
  ledger_.onOutsideWrite([this](const Deployment& d) { touch(d.service, d.env); });
}

Engine::~Engine() { stop(); }

void Engine::stop() {
  stopping_ = true;
  strands_.stop();
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

std::mutex& Engine::keyLock(const std::string& service, const std::string& env) {
  return keyLocks_[std::hash<std::string>{}(service + '\n' + env) % keyLocks_.size()];
}

PhaseMachine& Engine::machineFor(Phase p) { return *machines_[static_cast<size_t>(machineOf(p))]; }

Result<Deployment> Engine::get(const std::string& id) { return ledger_.get(id); }

Result<std::vector<Deployment>> Engine::list(const std::optional<std::string>& service,
                                             const std::optional<std::string>& env, int limit) {
  return ledger_.list(service, env, limit);
}

std::vector<providers::EntrypointKey> Engine::entrypoints() { return *entrypoints_.known(); }

void Engine::noteWork(const Deployment& d) {
  std::lock_guard lock(workMu_);
  work_[d.id] = WorkItem{d.service, d.env, d.createdAt};
}

void Engine::touch(const std::string& service, const std::string& env) {
  std::lock_guard lock(workMu_);
  for (auto& [id, item] : work_) {
    if (item.service == service && item.env == env) {
      item.notBefore = MonoTime{};
      ++item.touches;
    }
  }
}

void Engine::wake(const Deployment& d) {
  // Its first phase now rather than at the next tick, when workers run the
  // jobs (with none, tick() runs every job itself, in order) and this
  // controller may act; a key busy with a job is left to the next tick.
  if (strands_.synchronous() || stopping_) return;
  if (options_.mayAct && !options_.mayAct()) return;
  std::vector<std::pair<int64_t, std::string>> items;
  {
    std::lock_guard lock(workMu_);
    for (const auto& [id, item] : work_) {
      if (item.service == d.service && item.env == d.env) items.push_back({item.createdAt, id});
    }
  }
  std::sort(items.begin(), items.end());
  std::vector<std::string> ids;
  for (auto& item : items) ids.push_back(std::move(item.second));
  const std::string key = strandOf(d.service, d.env);
  strands_.postIfIdle(key, guardedJob([this, key, ids] { runKey(key, ids); }));
}

std::function<void()> Engine::guardedJob(std::function<void()> job) {
  // A job never throws out of a worker (that would end the process): an
  // exception (a bug, e.g. a record field of an unexpected type) is the
  // job's error, reported by the next tick; the phase is run again.
  return [this, job = std::move(job)] {
    try {
      job();
    } catch (const std::exception& e) {
      noteJobError(Error{ErrorCode::kInternal, std::string("engine job: ") + e.what(), {}});
    }
  };
}

void Engine::noteJobError(const Error& e) {
  std::lock_guard lock(workMu_);
  if (!jobError_) jobError_ = e;
}

Status Engine::rescan() {
  // Every non-terminal deployment (however many), plus the newest ones,
  // which include finished deployments still baking or retiring.
  store::DeploymentFilter f;
  f.activeOnly = true;
  f.limit = 100000;
  auto recs = store_.listDeployments(f);
  if (!recs) return std::unexpected(recs.error());
  store::DeploymentFilter recent;
  recent.limit = 500;
  auto newest = store_.listDeployments(recent);
  if (!newest) return std::unexpected(newest.error());
  std::map<std::string, WorkItem> found;
  Status firstError = ok();
  for (auto* list : {&*recs, &*newest}) {
    for (const auto& r : *list) {
      if (found.contains(r.id)) continue;
      auto d = Deployment::fromRecord(r.id, r.service, r.env, r.state, r.revision, r.doc);
      if (!d) {
        if (isTerminalState(r.state) && r.doc.is_object() && r.doc.value("phase", json()) == json("done")) continue;
        // Not left active and failing every tick: it ends, with the reason.
        auto st = ledger_.failUnreadable(r, d.error());
        if (firstError) firstError = st ? Status(std::unexpected(d.error())) : st;
        continue;
      }
      if (d->active()) found[d->id] = WorkItem{d->service, d->env, d->createdAt};
    }
  }
  std::lock_guard lock(workMu_);
  for (auto& [id, item] : found) work_.try_emplace(id, item);  // a known one keeps its next look
  workLoaded_ = true;
  nextRescan_ = clock_.monotonic() + kRescan;
  return firstError;
}

void Engine::runKey(const std::string& key, const std::vector<std::string>& ids) {
  std::set<std::string> regions;
  std::set<std::string> drained;  // regions a wave of this service+env is changing
  std::string service, env;
  std::map<std::string, uint64_t> touches;  // as the job began: a touch since drops its next look
  {
    std::lock_guard lock(workMu_);
    for (const auto& id : ids) {
      if (auto it = work_.find(id); it != work_.end()) touches[id] = it->second.touches;
    }
  }
  for (const auto& id : ids) {
    if (stopping_) return;
    looks_.fetch_add(1, std::memory_order_relaxed);
    // The ledger's held copy (DeploymentLedger.h), else the store's record.
    std::optional<Deployment> d = ledger_.held(id);
    if (!d) {
      auto rec = store_.getDeployment(id);
      if (!rec) {
        if (rec.error().code == ErrorCode::kNotFound) {
          std::lock_guard lock(workMu_);
          work_.erase(id);
        } else {
          noteJobError(rec.error());
        }
        continue;
      }
      auto parsed = Deployment::fromRecord(rec->id, rec->service, rec->env, rec->state, rec->revision, rec->doc);
      if (!parsed) {
        // Not left active and failing every tick: it ends, with the reason.
        auto st = ledger_.failUnreadable(*rec, parsed.error());
        noteJobError(st ? parsed.error() : st.error());
        if (st) {
          std::lock_guard lock(workMu_);
          work_.erase(id);
        }
        continue;
      }
      ledger_.hold(*parsed);
      d = std::move(*parsed);
    }
    service = d->service;
    env = d->env;
    if (d->active()) {
      // The region it was in too: a wave that ended and the next that
      // started within this advance leave a region to put back in DNS.
      regions.insert(d->region);
      if (auto st = advance(*d); !st) noteJobError(st.error());
      regions.insert(d->region);
      if (drainsRegion(*d)) drained.insert(d->region);
    }
    if (!d->active()) {
      std::lock_guard lock(workMu_);
      work_.erase(id);
      if (d->state == kSucceeded && autoPromotes(*d)) promoteDue_ = true;
    } else {
      const auto mono = clock_.monotonic();
      const int64_t now = toUnixMillis(clock_.now());
      std::optional<int64_t> alarmsDue;
      if (auto due = alarms_.dueAt(id)) alarmsDue = now + std::chrono::duration_cast<std::chrono::milliseconds>(*due - mono).count();
      const int64_t at = nextLookAt(*d, now, alarmsDue);
      std::lock_guard lock(workMu_);
      if (auto it = work_.find(id); it != work_.end() && it->second.touches == touches[id]) {
        it->second.notBefore = mono + std::chrono::milliseconds(at - now);
      }
    }
  }
  (void)key;
  if (options_.mayAct) {
    if (auto may = options_.mayAct(); !may) return noteJobError(may.error());
  }
  // This service's entry points, at once (a switch, a replaced instance).
  for (const auto& region : regions) {
    if (auto st = entrypoints_.reconcile({service, env, region}); !st) noteJobError(st.error());
    if (auto st = settleDrain({service, env, region}, drained.contains(region)); !st) noteJobError(st.error());
  }
}

Status Engine::tick() {
  if (stopping_) return ok();
  bool load;
  {
    std::lock_guard lock(workMu_);
    load = !workLoaded_ || clock_.monotonic() >= nextRescan_;
  }
  Status firstError = ok();
  if (load) firstError = rescan();
  // One job per service+env with work, oldest deployment first within it
  // (a newer deployment's traffic edits come last); a strand still busy
  // with the last tick's job (a smoke test, a slow provider) is skipped.
  // Only deployments whose next look has come (NextLook.h).
  std::map<std::string, std::vector<std::pair<std::pair<int64_t, std::string>, std::string>>> byKey;
  {
    const auto now = clock_.monotonic();
    std::lock_guard lock(workMu_);
    for (const auto& [id, item] : work_) {
      if (item.notBefore > now) continue;
      byKey[strandOf(item.service, item.env)].push_back({{item.createdAt, id}, id});
    }
  }
  auto guarded = [this](std::function<void()> job) { return guardedJob(std::move(job)); };
  std::vector<std::pair<int64_t, std::string>> order;  // keys by their oldest deployment
  for (auto& [key, items] : byKey) {
    std::sort(items.begin(), items.end());
    order.push_back({items.front().first.first, key});
  }
  std::sort(order.begin(), order.end());
  for (const auto& [oldest, key] : order) {
    std::vector<std::string> ids;
    for (const auto& item : byKey[key]) ids.push_back(item.second);
    strands_.postIfIdle(key, guarded([this, key, ids] { runKey(key, ids); }));
  }
  if (options_.mayAct) {
    if (auto may = options_.mayAct(); !may) return may;
  }
  // The sweep: every entry point reconciled at least every sweepEvery,
  // a slice per tick, on its service+env's strand (skipped while busy).
  const auto knownList = entrypoints_.known();  // shared: nothing copied
  const auto& known = *knownList;
  size_t slice = known.size();
  if (options_.sweepEvery.count() > 0 && !known.empty()) {
    auto now = clock_.monotonic();
    std::lock_guard lock(workMu_);
    auto since = lastSweepTick_ == MonoTime{} ? options_.sweepEvery : now - lastSweepTick_;
    lastSweepTick_ = now;
    double share = std::chrono::duration<double>(since) / std::chrono::duration<double>(options_.sweepEvery);
    slice = std::clamp<size_t>(static_cast<size_t>(share * static_cast<double>(known.size())) + 1, 1, known.size());
  }
  for (size_t i = 0; i < slice && !known.empty(); ++i) {
    size_t at;
    {
      std::lock_guard lock(workMu_);
      at = sweepAt_++ % known.size();
    }
    const auto key = known[at];
    if (options_.mayActOn && !options_.mayActOn(key.service, key.env)) continue;  // another site's
    strands_.postIfIdle(strandOf(key.service, key.env), guarded([this, key] {
      if (options_.mayAct && !options_.mayAct()) return;
      if (auto st = entrypoints_.reconcile(key); !st) noteJobError(st.error());
      if (auto st = settleDrain(key, std::nullopt); !st) noteJobError(st.error());
    }));
  }
  bool promote = false;
  {
    const auto now = clock_.monotonic();
    std::lock_guard lock(workMu_);
    if (promoteDue_ || now >= nextPromoteLook_) {
      promote = true;
      promoteDue_ = false;
      nextPromoteLook_ = now + kPromoteLook;
    }
  }
  if (promote && !strands_.postIfIdle("\nauto-promote", guarded([this] {
        if (auto st = autoPromote(); !st) noteJobError(st.error());
      }))) {
    std::lock_guard lock(workMu_);
    promoteDue_ = true;  // still running the last one: the next tick
  }
  std::lock_guard lock(workMu_);
  if (jobError_ && firstError) firstError = std::unexpected(*jobError_);
  jobError_.reset();
  return firstError;
}

Status Engine::renewLeases() {
  // A controller that may no longer act must not hold canaries either.
  if (options_.mayAct && !options_.mayAct()) return ok();
  return entrypoints_.renewLeases(clock_.monotonic());
}

namespace {

// The store's own errors, conflicts (another controller took over) and the
// lease are this controller's trouble, not the deployment's: the next
// leader carries on.
bool controllersOwn(const Error& e) {
  return e.code == ErrorCode::kConflict || e.where.starts_with("store") || e.where == "lease";
}

// What the failure is, without what changes between attempts (request ids,
// attempt counts): a new deployment.retrying event only when this changes.
std::string kindOf(Phase phase, const Error& e) {
  std::string m = e.message;
  if (auto p = m.find(" (HTTP "); p != std::string::npos) m = m.substr(0, p);
  if (auto p = m.find(" after "); p != std::string::npos) m = m.substr(0, p);
  return std::string(phaseName(phase)) + "|" + e.where + "|" + m;
}

constexpr std::string_view kRetrying = "retrying ";

}  // namespace

std::optional<Transition> Engine::errorExit(Deployment& d, const ServicePlan& plan, const Error& e) {
  if (controllersOwn(e) || isGate(d.phase) || d.phase == Phase::kDone) return std::nullopt;
  auto to = PhaseTable::target(d.phase, Trigger::kError, factsOf(d));
  if (!to || *to == d.phase) return std::nullopt;
  const int64_t now = toUnixMillis(clock_.now());
  const std::string what = fmt::format("{}: {}", phaseName(d.phase), e.describe());
  if (d.failingSince == 0) d.failingSince = now;
  const int64_t failingFor = now - d.failingSince;
  if (!e.permanent && failingFor < plan.healthDeadline.count()) {
    const std::string kind = kindOf(d.phase, e);
    if (d.failure == kind) return Transition::wait();  // already said; tried again next tick
    d.failure = kind;
    // The reason says why it is not moving; the phase and state stay.
    d.reason = std::string(kRetrying) + what;
    return Transition::save("deployment.retrying",
                            {{"error", e.describe()},
                             {"permanent", false},
                             {"until", formatTime(fromUnixMillis(d.failingSince + plan.healthDeadline.count()))}});
  }
  const std::string why =
      e.permanent ? what : fmt::format("{} (still failing after {} ms, the deadline)", what, failingFor);
  const std::string before = d.reason.starts_with(kRetrying) ? std::string() : d.reason;
  json data{{"error", e.describe()}, {"permanent", e.permanent}, {"phase", phaseName(d.phase)}};
  const Phase from = d.phase;
  d.deadlineAt = 0;
  if (*to == Phase::kRbCapacity) {
    d.reason = why;
    d.endState = kRolledBack;
    d.state = kRunning;
    return Transition::move(*to, std::move(data));
  }
  if (*to == Phase::kFailCleanup) {
    // Nothing took traffic (or there is nothing to go back to): the new
    // fleet is retired.
    d.reason = before.empty() ? why : before + "; then " + why;
    return Transition::move(*to, std::move(data));
  }
  // Undoing already (fail_cleanup, rb_*) or past the switch (drain/retire
  // previous, wave_done): the deployment ends here; what could not be
  // retired is named for `ramp down`.
  std::string left;
  if (from == Phase::kDrainPrevious || from == Phase::kRetirePrevious) {
    left = d.oldFleet;
  } else if (from != Phase::kWaveDone && from != Phase::kRbRegions) {
    left = d.newFleet;
  }
  std::string reason = before.empty() ? why : before + "; then " + why;
  if (!left.empty()) reason += fmt::format("; fleet {} may be left: `ramp down --env {}` retires it", left, d.env);
  const bool succeeded =
      d.state == kSucceeded && (from == Phase::kDrainPrevious || from == Phase::kRetirePrevious);
  const std::string end = succeeded ? kSucceeded : d.endState == kAborted ? kAborted : kFailed;
  if (!succeeded) WavePhases::stopWaves(d, end, false, now);
  d.state = end;
  d.reason = reason;
  d.finishedAt = now;
  return Transition::finish(Phase::kDone, std::move(data));
}

Result<bool> Engine::apply(Deployment& d, Transition t) {
  switch (t.kind) {
    case Transition::Kind::kWait: return false;
    case Transition::Kind::kSave:
      if (auto st = ledger_.commit(d, t.event, std::move(t.data)); !st) return std::unexpected(st.error());
      return false;
    case Transition::Kind::kMove: break;
  }
  if (d.phase != t.to) {
    // A new phase has not failed yet (errorExit).
    d.failingSince = 0;
    d.failure.clear();
  }
  d.phase = t.to;
  // The move, its event and the events after it: one transaction.
  if (auto st = ledger_.commit(d, t.event, std::move(t.data), std::move(t.then)); !st) {
    return std::unexpected(st.error());
  }
  return true;
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
      return ledger_.commit(d, "");
    }
    if (d.reason.starts_with(kWaitingForSite)) d.reason.clear();
  }
  // A deployment whose rendered config (its current wave's) cannot be read
  // fails where it is.
  auto unreadable = [&](const Error& why) {
    d.reason = "its configuration cannot be read: " + why.describe();
    WavePhases::stopWaves(d, kFailed, false, toUnixMillis(clock_.now()));
    d.state = kFailed;
    d.finishedAt = toUnixMillis(clock_.now());
    return ledger_.commit(d, "deployment.finished");
  };
  auto plan = planFromRendered(d.rendered, d.env, d.region);
  if (!plan) return unreadable(plan.error());
  int planWave = d.wave;
  DeploymentLedger::Running running(d.id);
  // Before anything else (a paused canary too): the data plane may have
  // taken the canary's weight away while the controller was gone.
  if (machineOf(d.phase) == Machine::kCanary) {
    if (options_.mayAct) {
      if (auto may = options_.mayAct(); !may) return may;
    }
    RunContext ctx(d, *plan, parts_);
    auto ran = CanaryPhases::leaseRanOut(ctx);
    if (!ran) return std::unexpected(ran.error());
    if (*ran) {
      auto again = apply(d, std::move(**ran));
      if (!again) return std::unexpected(again.error());
    }
  }
  for (int guard = 0; guard < 32; ++guard) {
    if (d.state == kPaused) {
      // Waits for `ramp resume`; meanwhile a canary's judge keeps looking
      // and rolls back on evidence of harm (CanaryPhases::watchPaused).
      RunContext ctx(d, *plan, parts_);
      auto watched = CanaryPhases::watchPaused(ctx);
      if (!watched) return std::unexpected(watched.error());
      if (!*watched) return ok();
      auto again = apply(d, std::move(**watched));
      if (!again) return std::unexpected(again.error());
      if (!*again) return ok();
      continue;
    }
    if (d.wave != planWave) {
      // The next region's wave started: its own configuration from now on.
      plan = planFromRendered(d.rendered, d.env, d.region);
      if (!plan) return unreadable(plan.error());
      planWave = d.wave;
    }
    if (options_.mayAct) {
      if (auto may = options_.mayAct(); !may) return may;
    }
    // The phase is committed; its side effect is about to run
    // (RAMP_FAILPOINT=PHASE:before).
    failpoint(phaseName(d.phase), "before");
    RunContext ctx(d, *plan, parts_);
    if (samplesBeforeSwitch(d.phase)) {
      if (auto st = BakePhases::sampleBeforeSwitch(ctx); !st) return st;
    }
    auto t = machineFor(d.phase).run(ctx);
    if (!t) {
      auto exit = errorExit(d, *plan, t.error());
      if (!exit) return std::unexpected(t.error());
      t = std::move(*exit);
    } else if (d.failingSince != 0) {
      // The phase ran without error: the failure it had is over.
      d.failingSince = 0;
      d.failure.clear();
      if (d.reason.starts_with(kRetrying)) d.reason.clear();
      if (t->kind == Transition::Kind::kWait) t = Transition::save();
    }
    auto again = apply(d, std::move(*t));
    if (!again) return std::unexpected(again.error());
    if (!*again) return ok();
  }
  return ok();
}

}  // namespace ramp::engine
