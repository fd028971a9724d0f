#include "server/DeploymentProgress.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "core/Clock.h"

namespace ramp::server {

using nlohmann::json;

namespace {

int64_t msField(const json& o, const char* key) {
  if (!o.is_object() || !o.contains(key) || !o[key].is_number_integer()) return 0;
  return o[key].get<int64_t>();
}

std::string seconds(int64_t ms) {
  if (ms < 0) ms = 0;
  if (ms < 10000) return fmt::format("{:.1f}s", ms / 1000.0);
  if (ms < 120000) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}m{:02}s", ms / 60000, (ms / 1000) % 60);
}

bool isRollbackPhase(const std::string& p) { return p.rfind("rb_", 0) == 0 || p == "fail_cleanup"; }

// A phase whose activity is one fixed sentence, and the timing fields (if
// any) that say when its wait ends and when the judge looks next.
struct PhaseWords {
  std::string_view phase;
  const char* activity;
  const char* endsAtField = nullptr;
  const char* nextLookField = nullptr;
};

constexpr PhaseWords kPhaseWords[] = {
    {"approval", "waiting for an approval"},
    {"queue", "queued behind the deployment in progress"},
    {"window", "waiting for the environment's deployment window"},
    {"start", "starting"},
    {"create_fleet", "creating the new fleet"},
    {"wait_healthy", "waiting for the new fleet's health checks", "deadline_at_ms"},
    {"smoke_test", "running the smoke test against the new fleet"},
    {"canary_analysis", "the judge compares the canary with the baseline", "analysis_deadline_at_ms",
     "next_look_at_ms"},
    {"switch", "moving all traffic to the new fleet"},
    {"verify_switch", "verifying the switch in the data plane"},
    {"bake", "baking: the previous fleet stays warm; the judge and the alarms may still roll back", "bake_until_ms",
     "next_look_at_ms"},
    {"drain_previous", "draining the previous fleet"},
    {"retire_previous", "retiring the previous fleet"},
    {"wave_done", "region done; starting the next region"},
    {"fail_cleanup", "cleaning up the new fleet (traffic never moved)"},
    {"rb_capacity", "rolling back: the stable fleet takes its full size before it takes all traffic",
     "deadline_at_ms"},
    {"rb_switch", "rolling back: all traffic back to the stable fleet"},
    {"rb_verify", "rolling back: verifying the traffic in the data plane"},
    {"rb_drain", "draining the rolled-back fleet"},
    {"rb_retire", "retiring the rolled-back fleet"},
    {"rb_regions", "rolling back the regions that already took the release"},
};

const PhaseWords* wordsOf(const std::string& phase) {
  auto w = std::ranges::find(kPhaseWords, phase, &PhaseWords::phase);
  return w == std::end(kPhaseWords) ? nullptr : &*w;
}

}  // namespace

json progressOf(const json& view, int64_t nowMs) {
  const std::string state = view.value("state", "");
  const std::string phase = view.value("phase", "");
  const int steps = std::max(0, view.value("steps", 0));
  const int step = std::clamp(view.value("step", 0), 0, steps);
  const json timing = view.contains("timing") && view["timing"].is_object() ? view["timing"] : json::object();
  std::vector<std::string> names;
  if (view.contains("step_names") && view["step_names"].is_array()) {
    for (const auto& n : view["step_names"]) names.push_back(n.is_string() ? n.get<std::string>() : "");
  }
  const bool terminal = state == "succeeded" || state == "failed" || state == "rolled_back" || state == "aborted";

  json p;
  p["step"] = step;
  p["steps"] = steps;
  p["step_name"] = step >= 1 && step <= static_cast<int>(names.size()) ? json(names[static_cast<size_t>(step - 1)])
                                                                     : json(nullptr);
  std::string label = state;
  if (state == "succeeded" && phase == "bake") label = "baking";
  if (state == "succeeded" && (phase == "drain_previous" || phase == "retire_previous")) label = "retiring";
  if (state == "running" && isRollbackPhase(phase) && phase != "fail_cleanup") label = "rolling_back";
  p["label"] = label;

  int64_t endsAt = 0, nextLook = 0;
  std::string activity;
  const std::string name = p["step_name"].is_string() ? p["step_name"].get<std::string>() : "";
  if (const PhaseWords* w = wordsOf(phase)) {
    activity = w->activity;
    if (w->endsAtField) endsAt = msField(timing, w->endsAtField);
    if (w->nextLookField) nextLook = msField(timing, w->nextLookField);
  } else if (phase == "canary_step") {
    activity = fmt::format("starting step {}/{}{}", step, steps, name.empty() ? "" : ": " + name);
  } else if (phase == "canary_verify") {
    activity = fmt::format("verifying {} in the data plane", name.empty() ? "the new weights" : name);
  } else if (phase == "canary_pause") {
    endsAt = msField(timing, "deadline_at_ms");
    activity = endsAt ? "pausing" : "paused until someone resumes it";
  } else if (phase == "done") {
    activity = terminal ? "done" : "";
  } else {
    activity = phase;
  }
  if (state == "paused" && phase != "canary_pause") activity = "paused by a person at step " + std::to_string(step);
  p["activity"] = activity;
  p["ends_at"] = endsAt ? json(formatTime(fromUnixMillis(endsAt))) : json(nullptr);
  p["ends_in_ms"] = endsAt ? json(std::max<int64_t>(0, endsAt - nowMs)) : json(nullptr);
  p["next_look_in_ms"] = nextLook ? json(std::max<int64_t>(0, nextLook - nowMs)) : json(nullptr);
  p["judge_looks"] = timing.contains("judge_looks") ? timing["judge_looks"] : json(nullptr);
  if (endsAt && phase != "done") {
    p["activity"] = activity + fmt::format(" ({} left)", seconds(endsAt - nowMs));
  }
  return p;
}

}  // namespace ramp::server
