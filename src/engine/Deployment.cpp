#include "engine/Deployment.h"

#include <fmt/format.h>

namespace ramp::engine {

bool isTerminalState(const std::string& s) {
  return s == kSucceeded || s == kFailed || s == kRolledBack || s == kAborted;
}

namespace {

// ---- the typed parts, as the engine always wrote them ----

Json analysisDoc(const CanaryAnalysis& a) {
  if (!a.armed) return Json::object();
  Json j{{"start", {{"canary", a.canaryStart.toJson()}, {"baseline", a.baselineStart.toJson()}}},
         {"state", a.state.toJson()},
         {"deadline_at", a.deadlineAt},
         {"next_look_at", a.nextLookAt}};
  if (a.startedAt) j["started_at"] = a.startedAt;
  if (a.canaryWindow) j["canary_window"] = a.canaryWindow->toJson();
  if (a.baselineWindow) j["baseline_window"] = a.baselineWindow->toJson();
  if (a.watch) j["watch"] = true;
  if (a.zeroedWeight) j["zeroed_weight"] = *a.zeroedWeight;
  if (a.restartsAtStart >= 0) j["restarts_at_start"] = a.restartsAtStart;
  return j;
}

Result<CanaryAnalysis> analysisOf(const Json& j, const std::string& id) {
  CanaryAnalysis a;
  if (!j.is_object() || !j.contains("start")) return a;
  a.armed = true;
  auto c = CounterSnapshot::fromJson(j["start"].value("canary", Json::object()), id + ": analysis.start.canary");
  if (!c) return std::unexpected(c.error());
  auto b = CounterSnapshot::fromJson(j["start"].value("baseline", Json::object()), id + ": analysis.start.baseline");
  if (!b) return std::unexpected(b.error());
  auto st = analysis::JudgeState::fromJson(j.value("state", Json::object()), id + ": analysis.state");
  if (!st) return std::unexpected(st.error());
  a.canaryStart = *c;
  a.baselineStart = *b;
  a.state = *st;
  a.deadlineAt = j.value("deadline_at", int64_t{0});
  a.nextLookAt = j.value("next_look_at", int64_t{0});
  a.startedAt = j.value("started_at", int64_t{0});
  a.watch = j.value("watch", false);
  using Window = std::pair<const char*, std::optional<CounterWindow>*>;
  for (const Window& w : {Window{"canary_window", &a.canaryWindow}, Window{"baseline_window", &a.baselineWindow}}) {
    if (!j.contains(w.first)) continue;
    auto window = CounterWindow::fromJson(j[w.first]);
    if (!window) return std::unexpected(Error{window.error().code, window.error().message, id + ": analysis." + w.first});
    *w.second = std::move(*window);
  }
  if (j.contains("zeroed_weight") && j["zeroed_weight"].is_number_integer()) a.zeroedWeight = j["zeroed_weight"].get<int>();
  if (j.contains("restarts_at_start") && j["restarts_at_start"].is_number_integer())
    a.restartsAtStart = j["restarts_at_start"].get<int>();
  return a;
}

Json bakeDoc(const BakeWatch& b) {
  Json j = Json::object();
  if (!b.samples.empty()) {
    Json samples = Json::array();
    for (const auto& s : b.samples) samples.push_back({{"t", s.at}, {"blue", s.blue.toJson()}});
    j["samples"] = samples;
  }
  if (b.blueFrom) j["blue_from"] = b.blueFrom->toJson();
  if (b.blueTo) j["blue_to"] = b.blueTo->toJson();
  if (b.greenFrom) j["green_from"] = b.greenFrom->toJson();
  if (b.greenWindow) j["green_window"] = b.greenWindow->toJson();
  if (b.blueWindow) j["blue_window"] = b.blueWindow->toJson();
  if (b.blueFrom) {
    j["window_ms"] = b.windowMs;
    j["state"] = b.state.toJson();
    j["next_look_at"] = b.nextLookAt;
  }
  if (b.judged) j["judged"] = true;
  if (!b.skipped.empty()) j["skipped"] = b.skipped;
  if (b.resolved) j["resolved"] = true;
  return j;
}

Result<BakeWatch> bakeOf(const Json& j, const std::string& id) {
  BakeWatch b;
  if (!j.is_object()) return b;
  for (const auto& s : j.value("samples", Json::array())) {
    auto blue = CounterSnapshot::fromJson(s.value("blue", Json::object()), id + ": bake.samples");
    if (!blue) return std::unexpected(blue.error());
    b.samples.push_back({s.value("t", int64_t{0}), *blue});
  }
  using Field = std::pair<const char*, std::optional<CounterSnapshot>*>;
  for (const Field& f : {Field{"blue_from", &b.blueFrom}, Field{"blue_to", &b.blueTo}, Field{"green_from", &b.greenFrom}}) {
    if (!j.contains(f.first)) continue;
    auto snap = CounterSnapshot::fromJson(j[f.first], id + ": bake." + f.first);
    if (!snap) return std::unexpected(snap.error());
    *f.second = *snap;
  }
  if (j.contains("green_window")) {
    auto window = CounterWindow::fromJson(j["green_window"]);
    if (!window) return std::unexpected(Error{window.error().code, window.error().message, id + ": bake.green_window"});
    b.greenWindow = std::move(*window);
  }
  if (j.contains("blue_window")) {
    auto window = CounterWindow::fromJson(j["blue_window"]);
    if (!window) return std::unexpected(Error{window.error().code, window.error().message, id + ": bake.blue_window"});
    b.blueWindow = std::move(*window);
  }
  if (j.contains("state")) {
    auto st = analysis::JudgeState::fromJson(j["state"], id + ": bake.state");
    if (!st) return std::unexpected(st.error());
    b.state = *st;
  }
  b.windowMs = j.value("window_ms", int64_t{0});
  b.nextLookAt = j.value("next_look_at", int64_t{0});
  b.judged = j.value("judged", false);
  b.skipped = j.value("skipped", "");
  b.resolved = j.value("resolved", false);
  return b;
}

Json waveDoc(const Wave& w, bool withRendered) {
  Json j{{"region", w.region}, {"state", w.state}, {"version", w.version}, {"config_digest", w.configDigest}};
  if (withRendered) j["rendered"] = w.rendered;
  if (w.startedAt) {
    j["new_fleet"] = w.newFleet;
    j["old_fleet"] = w.oldFleet;
    j["old_version"] = w.oldVersion;
    j["started_at"] = w.startedAt;
  }
  if (w.finishedAt) {
    j["finished_at"] = w.finishedAt;
    j["verdict"] = w.verdict;
  }
  if (!w.reason.empty()) j["reason"] = w.reason;
  return j;
}

// What a region's run keeps, recorded under the same keys (and read with the
// same defaults) for a deployment's current region and for each of its waves.
template <class RegionRun>
void readRegionRun(const Json& j, RegionRun& r) {
  r.version = j.value("version", "");
  r.oldVersion = j.value("old_version", "");
  r.newFleet = j.value("new_fleet", "");
  r.oldFleet = j.value("old_fleet", "");
  r.rendered = j.value("rendered", Json::object());
  r.configDigest = j.value("config_digest", "");
}

Wave waveOf(const Json& j) {
  Wave w;
  w.region = j.value("region", "");
  w.state = j.value("state", "pending");
  readRegionRun(j, w);
  w.reason = j.value("reason", "");
  w.startedAt = j.value("started_at", int64_t{0});
  w.finishedAt = j.value("finished_at", int64_t{0});
  w.verdict = j.value("verdict", Json(nullptr));
  return w;
}

}  // namespace

Json Deployment::toDoc() const {
  Json j{{"region", region},       {"kind", kind},
         {"strategy", strategy},   {"phase", phase},
         {"reason", reason},       {"step", step},
         {"steps", steps},         {"step_names", stepNames},
         {"version", version},     {"digest", digest},
         {"release_path", releasePath},
         {"config_digest", configDigest},
         {"config_version", configVersion},
         {"rendered", rendered},   {"new_fleet", newFleet},
         {"old_fleet", oldFleet},  {"old_version", oldVersion},
         {"rolls_back", rollsBack},
         {"created_by", createdBy}, {"created_at", createdAt},
         {"updated_at", updatedAt}, {"finished_at", finishedAt},
         {"deadline_at", deadlineAt}, {"bake_until", bakeUntil},
         {"failing_since", failingSince}, {"failure", failure},
         {"analysis", analysisDoc(analysis)}, {"verdicts", verdicts},
         {"end_state", endState},  {"bake", bakeDoc(bake)},
         {"baseline_fleet", baselineFleet}};
  j["pipeline"] = pipeline;
  j["later_stages"] = laterStages;
  j["hotfix"] = hotfix;
  j["hotfix_reason"] = hotfixReason;
  j["promoted_from"] = promotedFrom;
  j["promoted_from_id"] = promotedFromId;
  j["auto_promoted_to"] = autoPromotedTo;
  j["approval"] = approval.empty() ? Json::object() : approval.toJson();
  j["started"] = started;
  Json ws = Json::array();
  for (const auto& w : waves) ws.push_back(waveDoc(w, true));
  j["waves"] = ws;
  j["wave"] = wave;
  j["rollback_all_regions"] = rollbackAllRegions;
  j["git_commit"] = gitCommit ? Json(*gitCommit) : Json(nullptr);
  j["git_dirty"] = gitDirty ? Json(*gitDirty) : Json(nullptr);
  return j;
}

namespace {

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

}  // namespace

std::string fleetNameFor(const Deployment& d) {
  if (d.hasWaves()) {
    return sanitize(fmt::format("{}-{}-{}-{}-{}", d.service, d.env, d.region, d.version, d.id.substr(d.id.size() - 6)));
  }
  return sanitize(fmt::format("{}-{}-{}-{}", d.service, d.env, d.version, d.id.substr(d.id.size() - 6)));
}

void Deployment::keepVerdict(Json verdict) {
  if (!verdicts.empty() && verdicts.back().value("verdict", "") == "continue") verdicts.pop_back();
  verdicts.push_back(std::move(verdict));
  while (verdicts.size() > 20) verdicts.erase(verdicts.begin());
}

Json Deployment::wavesView() const {
  Json out = Json::array();
  for (const auto& w : waves) {
    Json v = waveDoc(w, false);
    if (isTerminalState(state) && w.state == "pending") v["state"] = "not_started";
    out.push_back(std::move(v));
  }
  return out;
}

Json Deployment::timingView() const {
  auto ms = [](int64_t v) { return v > 0 ? Json(v) : Json(nullptr); };
  const bool analysing = phase == Phase::kCanaryAnalysis;
  const bool baking = phase == Phase::kBake;
  Json looks = nullptr;
  if (analysing && analysis.armed) looks = analysis.state.looks;
  if (baking) looks = bake.state.looks;
  return {{"deadline_at_ms", ms(deadlineAt)},
          {"bake_until_ms", ms(bakeUntil)},
          {"analysis_deadline_at_ms", analysing ? ms(analysis.deadlineAt) : Json(nullptr)},
          {"next_look_at_ms", analysing ? ms(analysis.nextLookAt) : baking ? ms(bake.nextLookAt) : Json(nullptr)},
          {"judge_looks", looks}};
}

Result<Deployment> Deployment::fromRecord(const std::string& id, const std::string& service,
                                          const std::string& env, const std::string& state,
                                          int64_t revision, const Json& doc) {
  Deployment d;
  d.id = id;
  d.service = service;
  d.env = env;
  d.state = state;
  d.revision = revision;
  try {
    d.region = doc.value("region", "");
    d.kind = doc.value("kind", "deploy");
    d.strategy = doc.value("strategy", "");
    auto phase = parsePhase(doc.value("phase", "start"), id);
    if (!phase) return internal("its record names an " + phase.error().message, id);
    d.phase = d.recordedPhase = *phase;
    d.reason = doc.value("reason", "");
    d.step = doc.value("step", 0);
    d.steps = doc.value("steps", 0);
    d.stepNames = doc.value("step_names", std::vector<std::string>{});
    readRegionRun(doc, d);
    d.digest = doc.value("digest", "");
    d.releasePath = doc.value("release_path", "");
    d.configVersion = doc.value("config_version", int64_t{0});
    d.rollsBack = doc.value("rolls_back", "");
    d.createdBy = doc.value("created_by", "");
    d.createdAt = doc.value("created_at", int64_t{0});
    d.updatedAt = doc.value("updated_at", d.createdAt);  // records written before it was kept: the creation
    d.finishedAt = doc.value("finished_at", int64_t{0});
    d.deadlineAt = doc.value("deadline_at", int64_t{0});
    d.bakeUntil = doc.value("bake_until", int64_t{0});
    d.failingSince = doc.value("failing_since", int64_t{0});
    d.failure = doc.value("failure", "");
    auto analysis = analysisOf(doc.value("analysis", Json::object()), id);
    if (!analysis) return std::unexpected(analysis.error());
    d.analysis = std::move(*analysis);
    for (const auto& v : doc.value("verdicts", Json::array())) d.verdicts.push_back(v);
    d.endState = doc.value("end_state", "");
    auto bake = bakeOf(doc.value("bake", Json::object()), id);
    if (!bake) return std::unexpected(bake.error());
    d.bake = std::move(*bake);
    d.baselineFleet = doc.value("baseline_fleet", "");
    d.pipeline = doc.value("pipeline", std::vector<std::string>{});
    d.laterStages = doc.value("later_stages", Json::object());
    d.hotfix = doc.value("hotfix", false);
    d.hotfixReason = doc.value("hotfix_reason", "");
    d.promotedFrom = doc.value("promoted_from", "");
    d.promotedFromId = doc.value("promoted_from_id", "");
    d.autoPromotedTo = doc.value("auto_promoted_to", "");
    d.approval = ApprovalRequest::fromJson(doc.value("approval", Json::object()));
    d.started = doc.value("started", true);
    if (doc.contains("waves") && doc["waves"].is_array()) {
      for (const auto& w : doc["waves"]) {
        if (w.is_object()) d.waves.push_back(waveOf(w));
      }
    }
    d.wave = doc.value("wave", 0);
    d.rollbackAllRegions = doc.value("rollback_all_regions", false);
    if (doc.contains("git_commit") && doc["git_commit"].is_string()) d.gitCommit = doc["git_commit"];
    if (doc.contains("git_dirty") && doc["git_dirty"].is_boolean()) d.gitDirty = doc["git_dirty"];
  } catch (const std::exception& e) {
    return internal(std::string("corrupt deployment document: ") + e.what(), id);
  }
  return d;
}

}  // namespace ramp::engine
