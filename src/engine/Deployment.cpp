#include "engine/Deployment.h"

namespace ramp::engine {

bool isTerminalState(const std::string& s) {
  return s == kSucceeded || s == kFailed || s == kRolledBack || s == kAborted;
}

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
         {"finished_at", finishedAt},
         {"deadline_at", deadlineAt}, {"bake_until", bakeUntil},
         {"analysis", analysis},   {"verdicts", verdicts},
         {"end_state", endState},  {"bake", bake},
         {"baseline_fleet", baselineFleet}};
  j["pipeline"] = pipeline;
  j["later_stages"] = laterStages;
  j["hotfix"] = hotfix;
  j["hotfix_reason"] = hotfixReason;
  j["promoted_from"] = promotedFrom;
  j["promoted_from_id"] = promotedFromId;
  j["auto_promoted_to"] = autoPromotedTo;
  j["approval"] = approval;
  j["started"] = started;
  j["waves"] = waves;
  j["wave"] = wave;
  j["rollback_all_regions"] = rollbackAllRegions;
  j["git_commit"] = gitCommit ? Json(*gitCommit) : Json(nullptr);
  j["git_dirty"] = gitDirty ? Json(*gitDirty) : Json(nullptr);
  return j;
}

Json Deployment::wavesView() const {
  Json out = Json::array();
  if (!hasWaves()) return out;
  for (const auto& w : waves) {
    Json v = w;
    v.erase("rendered");
    if (isTerminalState(state) && v.value("state", "") == "pending") v["state"] = "not_started";
    out.push_back(std::move(v));
  }
  return out;
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
    d.version = doc.value("version", "");
    d.digest = doc.value("digest", "");
    d.releasePath = doc.value("release_path", "");
    d.configDigest = doc.value("config_digest", "");
    d.configVersion = doc.value("config_version", int64_t{0});
    d.rendered = doc.value("rendered", Json::object());
    d.newFleet = doc.value("new_fleet", "");
    d.oldFleet = doc.value("old_fleet", "");
    d.oldVersion = doc.value("old_version", "");
    d.rollsBack = doc.value("rolls_back", "");
    d.createdBy = doc.value("created_by", "");
    d.createdAt = doc.value("created_at", int64_t{0});
    d.finishedAt = doc.value("finished_at", int64_t{0});
    d.deadlineAt = doc.value("deadline_at", int64_t{0});
    d.bakeUntil = doc.value("bake_until", int64_t{0});
    d.analysis = doc.value("analysis", Json::object());
    d.verdicts = doc.value("verdicts", Json::array());
    d.endState = doc.value("end_state", "");
    d.bake = doc.value("bake", Json::object());
    d.baselineFleet = doc.value("baseline_fleet", "");
    d.pipeline = doc.value("pipeline", std::vector<std::string>{});
    d.laterStages = doc.value("later_stages", Json::object());
    d.hotfix = doc.value("hotfix", false);
    d.hotfixReason = doc.value("hotfix_reason", "");
    d.promotedFrom = doc.value("promoted_from", "");
    d.promotedFromId = doc.value("promoted_from_id", "");
    d.autoPromotedTo = doc.value("auto_promoted_to", "");
    d.approval = doc.value("approval", Json::object());
    d.started = doc.value("started", true);
    d.waves = doc.value("waves", Json::array());
    if (!d.waves.is_array()) d.waves = Json::array();
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
