// Waves.cpp — one deployment across the regions of its environment, one
// region per wave (docs/decisions.md "Deployments across regions: one
// deployment, regions in waves").
//
// The deployment passes its gates once, then every region runs the same
// strategy with the ordinary phases (BlueGreen.cpp, Canary.cpp, Bake.cpp,
// Rollback.cpp) against its own entry point:
//
//   start ... verify_switch   the region's switch; not the last region: the
//                             deployment stays running (nothing terminal)
//   bake ... retire_previous  the region's bake with its judge and alarms,
//                             then its previous fleet is retired
//   wave_done                 committed with deployment.wave_succeeded; runs:
//                             the next region's config is loaded, the
//                             per-region fields reset, phase start
//                             (deployment.wave_started) — one record change
//
// Only the last region's switch ends the deployment `succeeded`. A rollback
// or failure in a region ends the deployment there (rolled_back / failed /
// aborted, the reason naming the region); later regions are not_started
// and never touched, earlier ones keep the new release.
#include <algorithm>

#include <fmt/format.h>

#include "engine/Engine.h"

namespace ramp::engine {

using nlohmann::json;

namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out;
}

}  // namespace

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
                                   joined(regions)),
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

Status Engine::loadWave(Deployment& d, int index) {
  if (!d.hasWaves() || index < 0 || index >= static_cast<int>(d.waves.size())) {
    return internal(fmt::format("no wave {} in {}", index, d.id), d.id);
  }
  const json& w = d.waves[static_cast<size_t>(index)];
  json rendered = w.value("rendered", json::object());
  if (d.hotfix) rendered = withHotfixSteps(std::move(rendered));
  const std::string region = w.value("region", "");
  auto plan = planFromRendered(rendered, d.env, region);
  if (!plan) {
    auto e = plan.error();
    e.where = fmt::format("waves[{}].{}", index, e.where);
    return std::unexpected(e);
  }
  d.wave = index;
  d.region = region;
  d.rendered = std::move(rendered);
  d.configDigest = w.value("config_digest", "");
  // Everything that belongs to one region starts afresh.
  d.oldFleet.clear();
  d.oldVersion.clear();
  d.baselineFleet.clear();
  d.step = 0;
  d.analysis = json::object();
  d.verdicts = json::array();
  d.bake = json::object();
  d.deadlineAt = 0;
  d.bakeUntil = 0;
  d.finishedAt = 0;
  d.endState.clear();
  d.stepNames = stepNamesOf(d.strategy, *plan);
  d.steps = static_cast<int>(d.stepNames.size());
  d.newFleet = fleetNameFor(d);
  return ok();
}

void Engine::noteWave(Deployment& d, const json& fields) {
  if (!d.hasWaves() || d.wave < 0 || d.wave >= static_cast<int>(d.waves.size())) return;
  auto& w = d.waves[static_cast<size_t>(d.wave)];
  for (auto it = fields.begin(); it != fields.end(); ++it) w[it.key()] = it.value();
}

Status Engine::completeWave(Deployment& d) {
  const int64_t now = toUnixMillis(clock_.now());
  json verdict = d.verdicts.empty() ? json(nullptr) : d.verdicts.back();
  noteWave(d, {{"state", kSucceeded},
               {"finished_at", now},
               {"reason", fmt::format("traffic verified on {}; previous fleet retired", d.newFleet)},
               {"verdict", verdict}});
  const std::string next = d.waves[static_cast<size_t>(d.wave + 1)].value("region", "");
  d.phase = Phase::kWaveDone;
  d.step = d.steps;
  // An abort asked for meanwhile keeps its reason (wave_done ends the deployment).
  if (d.endState.empty()) d.reason = fmt::format("{} done ({}/{}); next: {}", d.region, d.wave + 1, d.waves.size(), next);
  return commit(d, "deployment.wave_succeeded",
                {{"region", d.region}, {"wave", d.wave + 1}, {"waves", d.waves.size()}, {"fleet", d.newFleet},
                 {"previous_fleet", d.oldFleet}, {"next_region", next}});
}

Result<bool> Engine::runWavePhase(Deployment& d) {
  if (d.phase != Phase::kWaveDone) return internal(fmt::format("phase {} is not a wave phase", phaseName(d.phase)), d.id);
  const int64_t now = toUnixMillis(clock_.now());
  if (d.lastWave()) return internal("wave_done in the last wave", d.id);  // a bug: the last wave ends at done
  if (!d.endState.empty()) {
    // Aborted while the region finished (control(): abort in drain/retire).
    std::string end = d.endState;
    stopWaves(d, end, true);
    d.state = end;
    bool undoRegions = d.rollbackAllRegions && !keptRegions(d).empty();
    d.phase = undoRegions ? Phase::kRbRegions : Phase::kDone;
    if (auto st = finish(d, end, d.reason); !st) return std::unexpected(st.error());
    return undoRegions;
  }
  const std::string done = d.region;
  const int index = d.wave + 1;
  if (auto st = loadWave(d, index); !st) {
    d.reason = "the next region's configuration cannot be read: " + st.error().describe();
    stopWaves(d, kFailed, true);
    d.phase = Phase::kDone;
    if (auto f = finish(d, kFailed, d.reason); !f) return std::unexpected(f.error());
    return false;
  }
  d.state = kRunning;
  d.phase = Phase::kStart;
  d.reason = fmt::format("wave {}/{}: {} (after {})", index + 1, d.waves.size(), d.region, done);
  noteWave(d, {{"state", kRunning}, {"started_at", now}});
  if (auto st = commit(d, "deployment.wave_started",
                       {{"region", d.region}, {"wave", index + 1}, {"waves", d.waves.size()},
                        {"previous_region", done}, {"fleet", d.newFleet}});
      !st) {
    return std::unexpected(st.error());
  }
  return true;
}

void Engine::stopWaves(Deployment& d, const std::string& endState, bool currentCompleted) {
  if (!d.hasWaves()) return;
  const int64_t now = toUnixMillis(clock_.now());
  if (!currentCompleted && d.started) {
    noteWave(d, {{"state", endState}, {"finished_at", now}, {"reason", d.reason}});
  }
  std::vector<std::string> notStarted, kept;
  for (size_t i = 0; i < d.waves.size(); ++i) {
    auto& w = d.waves[i];
    const std::string st = w.value("state", "pending");
    if (static_cast<int>(i) > d.wave || (!d.started && st == "pending")) {
      w["state"] = "not_started";
      notStarted.push_back(w.value("region", ""));
    } else if (static_cast<int>(i) != d.wave && st == kSucceeded) {
      kept.push_back(w.value("region", ""));
    }
  }
  if (d.waves.size() < 2 || !d.started) return;
  std::string verb = endState == kRolledBack ? "rolled back" : endState == kAborted ? "aborted" : endState;
  std::string reason = currentCompleted ? fmt::format("{} after {} completed: {}", verb, d.region, d.reason)
                                        : fmt::format("{} in {}: {}", verb, d.region, d.reason);
  if (currentCompleted) kept.push_back(d.region);
  if (!notStarted.empty()) reason += fmt::format("; waves stopped: {} not started", joined(notStarted));
  if (!kept.empty()) reason += fmt::format("; {} keep{} {}", joined(kept), kept.size() == 1 ? "s" : "", d.version);
  d.reason = reason;
}

}  // namespace ramp::engine
