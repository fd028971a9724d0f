#include "record/ConfigOfRecord.h"

#include <algorithm>

#include <fmt/format.h>

#include "engine/ApprovalPolicyCheck.h"
#include "engine/ApprovalRequest.h"
#include "record/LineDiff.h"
#include "record/StageRender.h"

namespace ramp::record {

using nlohmann::json;

namespace {

json approvalsApi(const json& approvals) {
  json out = json::object();
  if (!approvals.is_object()) return out;
  for (auto it = approvals.begin(); it != approvals.end(); ++it) {
    out[it.key()] = engine::ApprovalRequest::fromJson(it.value()).toApiJson();
  }
  return out;
}

}  // namespace

json PushOutcome::toJson() const {
  return {{"state", state},
          {"version", version ? json(version) : json(nullptr)},
          {"id", version ? json(ConfigOfRecord::idOf(version)) : json(nullptr)},
          {"base_version", baseVersion ? json(baseVersion) : json(nullptr)},
          {"digest", digest},
          {"impact", impact.toJson()},
          {"summary", impact.lines()},
          {"diff", diff},
          {"approvals", approvals}};
}

ConfigOfRecord::ConfigOfRecord(store::Store& store, Clock& clock) : store_(store), clock_(clock) {}

std::optional<int64_t> ConfigOfRecord::versionOf(const std::string& id) {
  if (id.rfind("cfg-", 0) != 0 || id.size() == 4 || id.size() > 22) return std::nullopt;
  int64_t v = 0;
  for (size_t i = 4; i < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9') return std::nullopt;
    v = v * 10 + (id[i] - '0');
  }
  return v;
}

json ConfigOfRecord::toApiJson(const store::ConfigVersionRecord& r, bool withFiles) {
  auto iso = [](int64_t ms) { return ms ? json(formatTime(fromUnixMillis(ms))) : json(nullptr); };
  json files = json::array();
  for (const auto& f : r.files) {
    json e{{"name", f.value("name", "")}, {"bytes", f.value("text", "").size()}};
    if (withFiles) e["text"] = f.value("text", "");
    files.push_back(std::move(e));
  }
  return {{"id", idOf(r.version)},
          {"kind", "config_change"},
          {"version", r.version},
          {"state", r.state},
          {"base_version", r.baseVersion ? json(r.baseVersion) : json(nullptr)},
          {"digest", r.digest},
          {"pushed_by", r.pushedBy},
          {"pushed_at", iso(r.pushedAt)},
          {"updated_at", iso(r.updatedAt)},
          {"git_commit", r.gitCommit ? json(*r.gitCommit) : json(nullptr)},
          {"git_dirty", r.gitDirty ? json(*r.gitDirty) : json(nullptr)},
          {"message", r.message},
          {"summary", r.doc.value("summary", json::array())},
          {"impact", r.doc.value("impact", json::object())},
          {"approvals", approvalsApi(r.doc.value("approvals", json::object()))},
          {"reason", r.doc.value("reason", "")},
          {"files", files}};
}

Status ConfigOfRecord::audit(const std::string& kind, const std::string& actor, json data) {
  store::AuditEventInput e;
  e.time = toUnixMillis(clock_.now());
  e.actor = actor;
  e.kind = kind;
  e.data = std::move(data);
  auto r = store_.appendEvent(e);
  if (!r) return std::unexpected(r.error());
  return ok();
}

Result<std::shared_ptr<const LoadedVersion>> ConfigOfRecord::loadRecord(const store::ConfigVersionRecord& r) {
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(r.version);
    if (it != cache_.end() && it->second->record.digest == r.digest) {
      auto copy = std::make_shared<LoadedVersion>(*it->second);
      copy->record = r;  // state and doc may have moved on
      return std::shared_ptr<const LoadedVersion>(copy);
    }
  }
  auto bundle = ConfigBundle::fromJson(r.files, "files");
  if (!bundle) return internal("config version " + std::to_string(r.version) + " is unreadable: " +
                               bundle.error().describe(), "config version");
  auto loaded = bundle->load();
  if (!loaded.ok()) {
    return internal(fmt::format("config version {} no longer loads: {}", r.version,
                                formatDiagnostics(loaded.diagnostics)),
                    "config version");
  }
  auto v = std::make_shared<LoadedVersion>();
  v->record = r;
  v->config = std::move(*loaded.config);
  v->git.commit = r.gitCommit;
  v->git.dirty = r.gitDirty;
  v->bundle = std::move(*bundle);
  std::lock_guard lock(mu_);
  if (cache_.size() > 16) cache_.clear();
  cache_[r.version] = v;
  return std::shared_ptr<const LoadedVersion>(v);
}

Result<std::shared_ptr<const LoadedVersion>> ConfigOfRecord::inForce() {
  auto r = store_.configVersionInForce();
  if (!r) return std::unexpected(r.error());
  if (!*r) {
    return failedPrecondition("no configuration has been pushed to this controller yet: push ramp.yaml with "
                              "`ramp config push` (the controller deploys only its config of record)",
                              "config");
  }
  return loadRecord(**r);
}

Result<std::shared_ptr<const LoadedVersion>> ConfigOfRecord::load(int64_t version) {
  auto r = store_.getConfigVersion(version);
  if (!r) return std::unexpected(r.error());
  return loadRecord(*r);
}

Result<PushOutcome> ConfigOfRecord::push(const PushRequest& req, const Holds& holds) {
  auto loaded = req.bundle.load();
  if (!loaded.ok()) return invalid(formatDiagnostics(loaded.diagnostics));
  auto current = store_.configVersionInForce();
  if (!current) return std::unexpected(current.error());
  std::shared_ptr<const LoadedVersion> before;
  if (*current) {
    auto b = loadRecord(**current);
    if (!b) return std::unexpected(b.error());
    before = *b;
  }
  PushOutcome out;
  out.digest = req.bundle.digest();
  out.baseVersion = before ? before->record.version : 0;
  if (before && before->record.digest == out.digest) {
    out.state = "unchanged";
    out.version = 0;
    return out;
  }
  out.impact = PushImpact::of(before ? &before->config : nullptr, *loaded.config);
  out.diff = unifiedDiff(before ? before->bundle : ConfigBundle{}, req.bundle,
                         before ? "version-" + std::to_string(before->record.version) : std::string("none"),
                         "pushed");
  // Who may push this: every role its effect needs.
  for (const auto& n : out.impact.needs) {
    if (!holds(n.role, n.env)) {
      return fail(ErrorCode::kPermissionDenied,
                  fmt::format("{} needs role {} in environment {} to push this configuration: {}", req.actor,
                              n.role, n.env, n.why),
                  "files");
    }
  }
  const int64_t now = toUnixMillis(clock_.now());
  json approvals = json::object();
  for (const auto& e : out.impact.envs) {
    if (!e.protectedInForce || e.policyChanges.empty() || !e.policyInForce) continue;
    auto r = engine::ApprovalPolicyCheck::request(*e.policyInForce, req.actor, now);
    if (r) approvals[e.env] = r->toJson();
  }
  out.approvals = approvalsApi(approvals);
  if (req.dryRun) {
    out.state = "dry_run";
    return out;
  }
  store::ConfigVersionRecord rec;
  rec.state = approvals.empty() ? "in_force" : "pending";
  rec.baseVersion = out.baseVersion;
  rec.digest = out.digest;
  rec.pushedBy = req.actor;
  rec.pushedAt = now;
  rec.updatedAt = now;
  rec.gitCommit = req.gitCommit;
  rec.gitDirty = req.gitDirty;
  rec.message = req.message;
  rec.files = req.bundle.toJson();
  rec.doc = {{"summary", out.impact.lines()}, {"impact", out.impact.toJson()}, {"approvals", approvals}};
  if (auto a = store_.appendConfigVersion(rec); !a) return std::unexpected(a.error());
  out.state = rec.state;
  out.version = rec.version;
  json data{{"version", rec.version},
            {"id", idOf(rec.version)},
            {"state", rec.state},
            {"digest", rec.digest},
            {"base_version", rec.baseVersion},
            {"git_commit", rec.gitCommit ? json(*rec.gitCommit) : json(nullptr)},
            {"git_dirty", rec.gitDirty ? json(*rec.gitDirty) : json(nullptr)},
            {"message", rec.message},
            {"summary", out.impact.lines()},
            {"needs", out.impact.toJson()["needs"]}};
  if (rec.state == "pending") data["awaiting_approval_in"] = out.impact.protectedEnvs;
  if (auto a = audit(rec.state == "pending" ? "config.push_requested" : "config.pushed", req.actor, data); !a) {
    return std::unexpected(a.error());
  }
  return out;
}

Result<std::vector<store::ConfigVersionRecord>> ConfigOfRecord::pending() {
  return store_.listConfigVersions({"pending"}, 1000);
}

Result<store::ConfigVersionRecord> ConfigOfRecord::approve(const std::string& id, const std::string& actor,
                                                           const RolesIn& roles, const std::string& comment) {
  return decide(id, actor, roles, comment, true);
}

Result<store::ConfigVersionRecord> ConfigOfRecord::reject(const std::string& id, const std::string& actor,
                                                          const RolesIn& roles, const std::string& comment) {
  return decide(id, actor, roles, comment, false);
}

Result<store::ConfigVersionRecord> ConfigOfRecord::decide(const std::string& id, const std::string& actor,
                                                          const RolesIn& rolesIn, const std::string& comment,
                                                          bool approve) {
  std::lock_guard lock(mu_);
  auto version = versionOf(id);
  if (!version) return notFound("no config change " + id, "id");
  auto rec = store_.getConfigVersion(*version);
  if (!rec) {
    if (rec.error().code == ErrorCode::kNotFound) return notFound("no config change " + id, "id");
    return std::unexpected(rec.error());
  }
  if (rec->state != "pending") {
    return failedPrecondition(fmt::format("{} is {}, not awaiting approval", id, rec->state), "id");
  }
  if (!approve && comment.find_first_not_of(" \t\r\n") == std::string::npos) {
    return invalid("a rejection needs a comment saying why", "comment");
  }
  const int64_t now = toUnixMillis(clock_.now());
  json approvals = rec->doc.value("approvals", json::object());
  std::vector<std::string> decidedIn;
  std::string refusal;
  bool forbidden = true;
  for (auto it = approvals.begin(); it != approvals.end(); ++it) {
    auto req = engine::ApprovalRequest::fromJson(it.value());
    auto roles = rolesIn(it.key(), req.roles);
    auto v = approve ? engine::ApprovalPolicyCheck::judgeApproval(req, actor, roles, now)
                     : engine::ApprovalPolicyCheck::judgeRejection(req, actor, roles, comment, now);
    if (!v.accepted) {
      bool thisForbidden = approve ? (actor == req.requester || !engine::ApprovalPolicyCheck::mayApprove(req, roles))
                                   : (actor != req.requester && !engine::ApprovalPolicyCheck::mayApprove(req, roles));
      forbidden = forbidden && thisForbidden;
      if (refusal.empty() || !thisForbidden) refusal = it.key() + ": " + v.reason;
      continue;
    }
    if (approve) req.approvals.push_back({actor, now, comment});
    else {
      req.rejectedBy = actor;
      req.comment = comment;
    }
    it.value() = req.toJson();
    decidedIn.push_back(it.key());
  }
  if (decidedIn.empty()) {
    if (refusal.empty()) refusal = id + " needs no approval";
    if (forbidden) return fail(ErrorCode::kPermissionDenied, refusal, "id");
    return failedPrecondition(refusal, "id");
  }
  rec->doc["approvals"] = approvals;
  rec->updatedAt = now;
  json data{{"version", rec->version}, {"id", id}, {"by", actor}, {"comment", comment}, {"envs", decidedIn}};
  if (!approve) {
    rec->state = actor == rec->pushedBy ? "withdrawn" : "rejected";
    rec->doc["reason"] = fmt::format("{} by {}: {}", rec->state, actor, comment);
    if (auto u = store_.updateConfigVersion(*rec); !u) return std::unexpected(u.error());
    data["state"] = rec->state;
    if (auto a = audit("config.approval_rejected", actor, data); !a) return std::unexpected(a.error());
    return *rec;
  }
  bool satisfied = true;
  for (auto it = approvals.begin(); it != approvals.end(); ++it) {
    satisfied = satisfied && engine::ApprovalRequest::fromJson(it.value()).satisfied();
  }
  if (satisfied) rec->state = "in_force";
  auto u = store_.updateConfigVersion(*rec);
  if (!u && satisfied && u.error().code == ErrorCode::kConflict) {
    // Another version took effect since this one was pushed.
    auto again = store_.getConfigVersion(*version);
    if (!again) return std::unexpected(again.error());
    auto stale = *again;
    stale.state = "stale";
    stale.updatedAt = now;
    stale.doc["reason"] = "approved, but the version in force changed since it was pushed: " + u.error().message;
    if (auto s = store_.updateConfigVersion(stale); !s) return std::unexpected(s.error());
    (void)audit("config.stale", actor, {{"version", stale.version}, {"id", id}, {"reason", stale.doc["reason"]}});
    return failedPrecondition(id + " was approved but cannot take effect: " + u.error().message, "id");
  }
  if (!u) return std::unexpected(u.error());
  data["state"] = rec->state;
  if (auto a = audit("config.approval_granted", actor, data); !a) return std::unexpected(a.error());
  if (satisfied) {
    json pushed{{"version", rec->version},
                {"id", id},
                {"state", rec->state},
                {"digest", rec->digest},
                {"base_version", rec->baseVersion},
                {"pushed_by", rec->pushedBy},
                {"git_commit", rec->gitCommit ? json(*rec->gitCommit) : json(nullptr)},
                {"git_dirty", rec->gitDirty ? json(*rec->gitDirty) : json(nullptr)},
                {"message", rec->message},
                {"summary", rec->doc.value("summary", json::array())},
                {"approved_by", actor}};
    if (auto a = audit("config.pushed", rec->pushedBy, pushed); !a) return std::unexpected(a.error());
  }
  return *rec;
}

Status ConfigOfRecord::expirePending() {
  std::lock_guard lock(mu_);
  auto list = store_.listConfigVersions({"pending"}, 1000);
  if (!list) return std::unexpected(list.error());
  const int64_t now = toUnixMillis(clock_.now());
  for (auto& rec : *list) {
    const json approvals = rec.doc.value("approvals", json::object());
    std::string expiredIn;
    for (auto it = approvals.begin(); it != approvals.end(); ++it) {
      if (engine::ApprovalPolicyCheck::expired(engine::ApprovalRequest::fromJson(it.value()), now)) expiredIn = it.key();
    }
    if (expiredIn.empty()) continue;
    rec.state = "expired";
    rec.updatedAt = now;
    rec.doc["reason"] = "the approval request in " + expiredIn + " expired";
    auto u = store_.updateConfigVersion(rec);
    if (!u) {
      if (u.error().code == ErrorCode::kConflict || u.error().code == ErrorCode::kFailedPrecondition) continue;
      return u;
    }
    if (auto a = audit("config.approval_expired", "ramp",
                       {{"version", rec.version}, {"id", idOf(rec.version)}, {"env", expiredIn}});
        !a) {
      return a;
    }
  }
  return ok();
}

Status ConfigOfRecord::fill(engine::DeployRequest& req) {
  auto v = inForce();
  if (!v) return std::unexpected(v.error());
  auto stage = stageFor((*v)->config, (*v)->git, req.service, req.env, req.region);
  if (!stage) return std::unexpected(stage.error());
  req.region = stage->region;
  req.rendered = std::move(stage->rendered);
  req.configDigest = std::move(stage->configDigest);
  req.gitCommit = (*v)->git.commit;
  req.gitDirty = (*v)->git.dirty;
  req.pipeline = std::move(stage->pipeline);
  req.laterStages = std::move(stage->laterStages);
  req.waves = std::move(stage->waves);
  if (!req.waves.empty()) req.region.clear();
  req.configVersion = (*v)->record.version;
  return ok();
}

}  // namespace ramp::record
