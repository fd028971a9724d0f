#include "engine/WavePhases.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/ServicePlan.h"

namespace ramp::engine {

using nlohmann::json;

Status WavePhases::loadWave(Deployment& d, int index) {
  if (!d.hasWaves() || index < 0 || index >= static_cast<int>(d.waves.size())) {
    return internal(fmt::format("no wave {} in {}", index, d.id), d.id);
  }
  const Wave& w = d.waves[static_cast<size_t>(index)];
  json rendered = w.rendered;
  if (d.hotfix) rendered = withHotfixSteps(std::move(rendered));
  auto plan = planFromRendered(rendered, d.env, w.region);
  if (!plan) {
    auto e = plan.error();
    e.where = fmt::format("waves[{}].{}", index, e.where);
    return std::unexpected(e);
  }
  d.wave = index;
  d.region = w.region;
  d.rendered = std::move(rendered);
  d.configDigest = w.configDigest;
  // Everything that belongs to one region starts afresh.
  d.oldFleet.clear();
  d.oldVersion.clear();
  d.baselineFleet.clear();
  d.step = 0;
  d.analysis = CanaryAnalysis{};
  d.verdicts.clear();
  d.bake = BakeWatch{};
  d.deadlineAt = 0;
  d.bakeUntil = 0;
  d.finishedAt = 0;
  d.endState.clear();
  d.stepNames = plan->stepNames(d.strategy);
  d.steps = static_cast<int>(d.stepNames.size());
  d.newFleet = fleetNameFor(d);
  return ok();
}

Transition WavePhases::completeWave(Deployment& d, int64_t now) {
  auto& w = d.currentWave();
  w.state = kSucceeded;
  w.finishedAt = now;
  w.reason = fmt::format("traffic verified on {}; previous fleet retired", d.newFleet);
  w.verdict = d.lastVerdict();
  const std::string next = d.waves[static_cast<size_t>(d.wave + 1)].region;
  d.step = d.steps;
  // An abort asked for meanwhile keeps its reason (wave_done ends the deployment).
  if (d.endState.empty()) d.reason = fmt::format("{} done ({}/{}); next: {}", d.region, d.wave + 1, d.waves.size(), next);
  Transition t = Transition::move(Phase::kWaveDone,
                                  {{"region", d.region}, {"wave", d.wave + 1}, {"waves", d.waves.size()},
                                   {"fleet", d.newFleet}, {"previous_fleet", d.oldFleet}, {"next_region", next}});
  t.event = "deployment.wave_succeeded";
  return t;
}

Result<Transition> WavePhases::run(RunContext& ctx) {
  auto& d = ctx.d;
  if (d.phase != Phase::kWaveDone) {
    return internal(fmt::format("phase {} is not a wave phase", phaseName(d.phase)), d.id);
  }
  if (d.lastWave()) return internal("wave_done in the last wave", d.id);  // a bug: the last wave ends at done
  if (!d.endState.empty()) {
    // Aborted while the region finished (control: abort in drain/retire).
    std::string end = d.endState;
    stopWaves(d, end, true, ctx.now);
    d.state = end;
    d.finishedAt = ctx.now;
    bool undoRegions = d.rollbackAllRegions && !keptRegions(d).empty();
    return Transition::finish(undoRegions ? Phase::kRbRegions : Phase::kDone);
  }
  const std::string done = d.region;
  const int index = d.wave + 1;
  if (auto st = loadWave(d, index); !st) {
    d.reason = "the next region's configuration cannot be read: " + st.error().describe();
    stopWaves(d, kFailed, true, ctx.now);
    d.state = kFailed;
    d.finishedAt = ctx.now;
    return Transition::finish(Phase::kDone);
  }
  d.state = kRunning;
  d.reason = fmt::format("wave {}/{}: {} (after {})", index + 1, d.waves.size(), d.region, done);
  auto& w = d.currentWave();
  w.state = kRunning;
  w.startedAt = ctx.now;
  Transition t = Transition::move(Phase::kStart, {{"region", d.region},
                                                  {"wave", index + 1},
                                                  {"waves", d.waves.size()},
                                                  {"previous_region", done},
                                                  {"fleet", d.newFleet}});
  t.event = "deployment.wave_started";
  return t;
}

void WavePhases::stopWaves(Deployment& d, const std::string& endState, bool currentCompleted, int64_t now) {
  if (!d.hasWaves()) return;
  if (!currentCompleted && d.started) {
    auto& w = d.currentWave();
    w.state = endState;
    w.finishedAt = now;
    w.reason = d.reason;
  }
  std::vector<std::string> notStarted, kept;
  for (size_t i = 0; i < d.waves.size(); ++i) {
    auto& w = d.waves[i];
    if (static_cast<int>(i) > d.wave || (!d.started && w.state == "pending")) {
      w.state = "not_started";
      notStarted.push_back(w.region);
    } else if (static_cast<int>(i) != d.wave && w.state == kSucceeded) {
      kept.push_back(w.region);
    }
  }
  if (d.waves.size() < 2 || !d.started) return;
  std::string verb = endState == kRolledBack ? "rolled back" : endState == kAborted ? "aborted" : endState;
  std::string reason = currentCompleted ? fmt::format("{} after {} completed: {}", verb, d.region, d.reason)
                                        : fmt::format("{} in {}: {}", verb, d.region, d.reason);
  if (currentCompleted) kept.push_back(d.region);
  if (!notStarted.empty()) reason += fmt::format("; waves stopped: {} not started", fmt::join(notStarted, ", "));
  if (!kept.empty()) reason += fmt::format("; {} keep{} {}", fmt::join(kept, ", "), kept.size() == 1 ? "s" : "", d.version);
  d.reason = reason;
}

std::vector<std::string> WavePhases::keptRegions(const Deployment& d) {
  std::vector<std::string> out;
  if (!d.hasWaves() || d.kind != "deploy" || d.state == kSucceeded) return out;
  for (const auto& w : d.waves) {
    if (w.state == kSucceeded) out.push_back(w.region);
  }
  return out;
}

}  // namespace ramp::engine
