// Approvals.cpp — people approving and rejecting deployments at the
// approval gate, the approvals waiting, hotfix debt, and auto-promotion
// (from tick).
#include <algorithm>

#include <fmt/format.h>

#include "engine/ApprovalPolicyCheck.h"
#include "engine/Engine.h"
#include "engine/GatePhases.h"
#include "engine/PromotionCheck.h"

namespace ramp::engine {

using nlohmann::json;

namespace {

// The deployment `id` (as read) if it waits at the approval gate; else why
// a person cannot decide on it: not found, or not awaiting approval.
Result<Deployment> awaitingApproval(Result<Deployment> d, const std::string& id) {
  if (!d) {
    if (d.error().code == ErrorCode::kNotFound) return notFound("no deployment " + id, "id");
    return d;
  }
  if (d->phase != Phase::kApproval) {
    return failedPrecondition(fmt::format("{} is {} ({}), not awaiting approval", id, d->state, phaseName(d->phase)), "id");
  }
  return d;
}

}  // namespace

// How another person gets to approve: who holds a role that may (admins
// included, the requester and `actor` excluded) and how an admin grants it.
std::string Engine::approverHint(const Deployment& d, const ApprovalRequest& req, const std::string& actor) {
  std::vector<std::string> roles = req.roles.empty() ? std::vector<std::string>{"approver"} : req.roles;
  std::vector<std::string> people;
  if (auto users = store_.listUsers()) {
    for (const auto& u : *users) {
      if (u.disabled || u.name == req.requester || u.name == actor || !u.roles.is_object()) continue;
      bool may = false;
      for (const auto& scope : {std::string("*"), d.env}) {
        if (!u.roles.contains(scope) || !u.roles[scope].is_array()) continue;
        for (const auto& r : u.roles[scope]) {
          if (!r.is_string()) continue;
          std::string role = r.get<std::string>();
          may = may || role == "admin" || std::find(roles.begin(), roles.end(), role) != roles.end();
        }
      }
      if (may) people.push_back(u.name);
    }
  }
  std::string who;
  for (size_t i = 0; i < people.size() && i < 5; ++i) who += (i ? ", " : "") + people[i];
  if (people.size() > 5) who += fmt::format(" and {} more", people.size() - 5);
  return fmt::format(". Another person with the role {} in {} approves it ({}); an admin gives someone that right "
                     "with `ramp user grant NAME --role {}@{}`",
                     roles.front(), d.env, who.empty() ? "nobody holds it yet" : "they are: " + who, roles.front(),
                     d.env);
}

Result<Deployment> Engine::approve(const std::string& id, const std::string& actor,
                                   const std::set<std::string>& roles, const std::string& comment) {
  auto d = awaitingApproval(get(id), id);
  if (!d) return d;
  const int64_t now = toUnixMillis(clock_.now());
  auto req = d->approval;
  auto v = ApprovalPolicyCheck::judgeApproval(req, actor, roles, now);
  if (!v.accepted) {
    bool forbidden = actor == req.requester || !ApprovalPolicyCheck::mayApprove(req, roles);
    if (forbidden) return fail(ErrorCode::kPermissionDenied, v.reason + approverHint(*d, req, actor), "id");
    return failedPrecondition(v.reason, "id");
  }
  req.approvals.push_back({actor, now, comment});
  d->approval = req;
  json data{{"by", actor},
            {"comment", comment},
            {"approvals", v.countAfter},
            {"required", req.required},
            {"roles", req.roles},
            {"approved_by", [&] {
               json a = json::array();
               for (auto& x : req.approvals) a.push_back(x.by);
               return a;
             }()}};
  if (v.satisfied) {
    auto next = GatePhases::nextGate(*d, Phase::kApproval, ledger_, clock_);
    if (!next) return std::unexpected(next.error());
    d->phase = *next;
    if (*next == Phase::kStart) d->reason = fmt::format("approved by {} ({} of {})", actor, v.countAfter, req.required);
  } else {
    d->reason = fmt::format("awaiting approval: {} of {}", v.countAfter, req.required);
  }
  // The approval and its event in one transaction (commit adds state and phase).
  if (auto st = ledger_.commit(*d, "approval.granted", data, {}, actor); !st) return std::unexpected(st.error());
  return d;
}

Result<Deployment> Engine::reject(const std::string& id, const std::string& actor,
                                  const std::set<std::string>& roles, const std::string& comment) {
  if (comment.find_first_not_of(" \t\r\n") == std::string::npos) {
    return invalid("a rejection needs a comment saying why", "comment");
  }
  auto d = awaitingApproval(get(id), id);
  if (!d) return d;
  const int64_t now = toUnixMillis(clock_.now());
  auto req = d->approval;
  auto v = ApprovalPolicyCheck::judgeRejection(req, actor, roles, comment, now);
  if (!v.accepted) {
    if (actor != req.requester && !ApprovalPolicyCheck::mayApprove(req, roles)) {
      return fail(ErrorCode::kPermissionDenied, v.reason, "id");
    }
    return failedPrecondition(v.reason, "id");
  }
  req.rejectedBy = actor;
  req.comment = comment;
  d->approval = req;
  d->state = kAborted;
  d->phase = Phase::kDone;
  d->finishedAt = now;
  d->reason = fmt::format("rejected by {}: {}", actor, comment);
  // The rejection and its two events in one transaction.
  if (auto st = ledger_.commit(*d, "approval.rejected",
                               {{"by", actor}, {"comment", comment}, {"approvals", req.count()}, {"required", req.required}},
                               {{"deployment.finished", {{"state", d->state}, {"phase", d->phase}, {"reason", d->reason}}}},
                               actor);
      !st) {
    return std::unexpected(st.error());
  }
  return d;
}

Result<std::vector<Deployment>> Engine::pendingApprovals(const std::optional<std::string>& service,
                                                         const std::optional<std::string>& env) {
  store::DeploymentFilter f;
  f.service = service;
  f.env = env;
  f.activeOnly = true;
  f.limit = 1000;
  auto recs = store_.listDeployments(f);
  if (!recs) return std::unexpected(recs.error());
  std::vector<Deployment> out;
  for (auto it = recs->rbegin(); it != recs->rend(); ++it) {
    auto d = Deployment::fromRecord(it->id, it->service, it->env, it->state, it->revision, it->doc);
    if (!d) return std::unexpected(d.error());
    if (d->phase == Phase::kApproval) out.push_back(std::move(*d));
  }
  return out;
}

Result<std::vector<HotfixDebtEntry>> Engine::hotfixDebt(const std::optional<std::string>& service) {
  auto all = list(service, std::nullopt, 1000);
  if (!all) return std::unexpected(all.error());
  return HotfixDebt::of(*all);
}

bool Engine::autoPromotes(const Deployment& d) {
  const json& envj = d.rendered.contains("environment") ? d.rendered["environment"] : json::object();
  if (!envj.is_object() || !envj.value("auto_promote", false)) return false;
  auto at = std::find(d.pipeline.begin(), d.pipeline.end(), d.env);
  return at != d.pipeline.end() && at + 1 != d.pipeline.end();
}

Status Engine::autoPromote() {
  store::DeploymentFilter recent;
  recent.limit = 500;
  auto recs = store_.listDeployments(recent);
  if (!recs) return std::unexpected(recs.error());
  std::set<std::pair<std::string, std::string>> seen;
  const int64_t now = toUnixMillis(clock_.now());
  for (const auto& r : *recs) {  // newest first: only the newest per service+env counts
    if (!seen.insert({r.service, r.env}).second) continue;
    if (r.state != kSucceeded) continue;
    auto d = Deployment::fromRecord(r.id, r.service, r.env, r.state, r.revision, r.doc);
    if (!d) continue;
    if (!d->autoPromotedTo.empty()) continue;
    if (!autoPromotes(*d)) continue;
    const std::string next = *(std::find(d->pipeline.begin(), d->pipeline.end(), d->env) + 1);
    if (!d->laterStages.contains(next) || !d->laterStages[next].is_object()) continue;
    if (now < d->finishedAt + PromotionCheck::soakOf(*d).count()) continue;  // still soaking
    auto fresh = get(d->id);  // the tick may have moved it on
    if (!fresh) return std::unexpected(fresh.error());
    // Idempotent: a promotion recorded before a crash is found, not repeated.
    auto there = list(d->service, next, 200);
    if (!there) return std::unexpected(there.error());
    std::string existing;
    bool busy = false;
    for (auto& x : *there) {
      if (x.promotedFromId == d->id) existing = x.id;
      if (!isTerminalState(x.state)) busy = true;
    }
    json data{{"to", next}};
    if (existing.empty()) {
      if (busy) continue;  // the target is busy: try again on a later tick
      DeployRequest req;
      req.service = d->service;
      req.env = next;
      Status filled = ok();
      if (options_.renderStage) {
        // The target stage as the configuration in force says now.
        req.version = d->version;
        req.actor = options_.owner;
        filled = options_.renderStage(req);
      } else {
        req.region = d->laterStages[next].value("region", "");
        req.version = d->version;
        req.rendered = d->laterStages[next];
        req.configDigest = req.rendered.value("config_digest", "");
        // A stage with several regions carries every region's render under
        // "waves" (record/StageRender.h): the promotion goes region by region.
        if (req.rendered.contains("waves") && req.rendered["waves"].is_array()) {
          for (const auto& w : req.rendered["waves"]) {
            if (!w.is_object()) continue;
            req.waves.push_back({w.value("region", ""), w.value("rendered", json::object()), w.value("config_digest", "")});
          }
          req.rendered.erase("waves");
          if (!req.waves.empty()) req.region.clear();
        }
        req.gitCommit = d->gitCommit;
        req.gitDirty = d->gitDirty;
        req.actor = options_.owner;
        req.pipeline = d->pipeline;
        for (auto it = d->laterStages.begin(); it != d->laterStages.end(); ++it) {
          if (it.key() != next) req.laterStages[it.key()] = it.value();
        }
      }
      Result<Deployment> p = std::unexpected(Error{});
      if (filled) {
        std::lock_guard lock(keyLock(req.service, req.env));
        p = submitLocked(req, d->env, d->id);
      } else {
        p = std::unexpected(filled.error());
      }
      if (p) {
        existing = p->id;
      } else {
        existing = "refused";
        data["reason"] = p.error().describe();
      }
    }
    fresh->autoPromotedTo = existing;
    data["deployment"] = existing;
    // The promotion noted on the record and its event in one transaction.
    if (auto st = ledger_.commit(*fresh, existing == "refused" ? "promotion.refused" : "promotion.auto", data); !st) {
      return st;
    }
  }
  return ok();
}

}  // namespace ramp::engine
