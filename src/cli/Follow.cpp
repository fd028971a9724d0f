#include "cli/Follow.h"

#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "cli/Terminal.h"

namespace ramp::cli {

using nlohmann::json;

int exitCodeForState(const std::string& state) {
  if (state == "succeeded") return kExitOk;
  if (state == "rolled_back") return kExitRolledBack;
  if (state == "paused" || state == "awaiting_approval") return kExitWaiting;
  return kExitFailure;
}

int followDeployment(ApiClient& api, const std::string& id, const FollowOptions& opts) {
  auto start = std::chrono::steady_clock::now();
  std::string lastPhase, lastState;
  std::vector<std::string> lastWaves;  // state of each region in waves, as last printed
  int regionPolls = 0;                 // polls spent waiting for a rollback_all_regions end (bounded)
  json last;
  int transientErrors = 0;
  while (true) {
    auto d = api.get("/api/v1/deployments/" + id);
    if (!d) {
      if (d.error().code == ErrorCode::kUnavailable && ++transientErrors < 50) {
        // The controller may be restarting: it resumes the deployment.
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      return reportError(d.error().describe());
    }
    transientErrors = 0;
    last = *d;
    std::string state = d->value("state", "");
    std::string phase = d->value("phase", "");
    if (!opts.json && !opts.quiet && d->contains("waves") && (*d)["waves"].is_array()) {
      // Regions in waves: a line whenever a region's state changes.
      const auto& waves = (*d)["waves"];
      lastWaves.resize(waves.size());
      for (size_t i = 0; i < waves.size(); ++i) {
        std::string ws = waves[i].value("state", "");
        if (ws == lastWaves[i] || ws == "pending") continue;
        lastWaves[i] = ws;
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::string detail;
        if (ws == "running") {
          std::string from = waves[i].value("old_version", "");
          detail = from.empty() ? "" : fmt::format("  ({} -> {})", from, waves[i].value("version", ""));
        } else if (ws == "succeeded") {
          detail = "  runs " + waves[i].value("version", "");
        } else if (ws == "not_started") {
          detail = "  never touched";
        } else if (!waves[i].value("old_version", "").empty()) {
          detail = "  back on " + waves[i].value("old_version", "");
        }
        std::cout << fmt::format("[{:6.1f}s] == wave {}/{} {} {}{}", secs, i + 1, waves.size(),
                                 waves[i].value("region", ""), Terminal::paintState(1, ws), detail)
                  << std::endl;
      }
    }
    if (!opts.json && !opts.quiet && (phase != lastPhase || state != lastState)) {
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      // Padded before it is painted: escapes would count towards the width.
      std::string pad(state.size() < 12 ? 12 - state.size() : 0, ' ');
      std::cout << fmt::format("[{:6.1f}s] {:<18} {}{} step {}/{}", secs, phase, Terminal::paintState(1, state), pad,
                               d->value("step", 0), d->value("steps", 0));
      std::string reason = d->value("reason", "");
      if (!reason.empty() && (state != lastState)) std::cout << "  " << reason;
      std::cout << std::endl;
      lastPhase = phase;
      lastState = state;
    }
    bool terminal = state == "succeeded" || state == "failed" || state == "rolled_back" || state == "aborted";
    bool waiting = state == "paused" || state == "awaiting_approval";
    bool baking = opts.throughBake && state == "succeeded" && phase == "bake";
    // rollback_all_regions: the state turns terminal in rb_drain, before
    // rb_retire and rb_regions name the rollback of the earlier regions:
    // follow on until phase "done" (bounded).
    bool undoingRegions = terminal && phase != "done" && d->value("rollback_all_regions", false) &&
                          state != "succeeded" && ++regionPolls < 200;
    if ((terminal && !baking && !undoingRegions) || (waiting && !opts.waitOnPerson)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  std::string state = last.value("state", "");
  if (opts.json) {
    std::cout << last.dump(2) << std::endl;
  } else if (!opts.quiet) {
    std::cout << fmt::format("deployment {} {}: {}", id, Terminal::paintState(1, state), last.value("reason", ""))
              << std::endl;
  }
  return exitCodeForState(state);
}

int followSubmitted(ApiClient& api, const json& submitted, const std::string& headline, const FollowOptions& opts,
                    bool detach) {
  std::string id = submitted.value("id", "");
  if (detach) {
    std::cout << (opts.json ? submitted.dump(2) : id) << std::endl;
    return kExitOk;
  }
  if (!opts.json) {
    std::cout << headline << std::endl;
    if (submitted.value("state", "") == "awaiting_approval") {
      std::cout << fmt::format("{} awaits approval: ramp approve {}", id, id) << std::endl;
    }
  }
  return followDeployment(api, id, opts);
}

}  // namespace ramp::cli
