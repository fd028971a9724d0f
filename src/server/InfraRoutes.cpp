#include "server/InfraRoutes.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "config/ConfigLoader.h"
#include "core/Sha256.h"
#include "config/EffectiveService.h"
#include "engine/AlertRule.h"
#include "engine/ApprovalPolicyCheck.h"
#include "infra/Applier.h"
#include "infra/DesiredGraph.h"
#include "infra/Drift.h"
#include "infra/InfraChange.h"
#include "infra/InfraChangeStore.h"
#include "infra/aws/AwsInfraProvider.h"
#include "infra/LocalInfraProvider.h"
#include "infra/PlanJson.h"
#include "infra/PlanText.h"
#include "infra/Planner.h"
#include "infra/Refresher.h"
#include "infra/StoreInfraStore.h"
#include "server/PipelineRoutes.h"

namespace ramp::server {

namespace {

using json = nlohmann::json;

struct InfraRequest {
  config::Config cfg;
  std::string env;
  std::vector<std::string> regions;  // as asked (empty = all of the env's)
  const config::Environment* envCfg = nullptr;
  // The approval policy the apply is judged by: the config of record's in
  // force for the environment (issue 15), never the request's.
  config::ApprovalPolicy policy;
  // Plan and apply (readPlanRequest): read the resources' actual state
  // before planning ("refresh", default true).
  bool refresh = true;
};

// An infra request: env, config, config_name and regions; the body may
// have no other fields than those and `ownFields` (the route's own).
Result<InfraRequest> readInfraRequest(const ApiRequest& r, const std::vector<std::string>& ownFields = {}) {
  std::vector<std::string> fields{"env", "config", "config_name", "regions"};
  fields.insert(fields.end(), ownFields.begin(), ownFields.end());
  if (auto s = onlyFields(r.body, fields); !s) return std::unexpected(s.error());
  InfraRequest out;
  auto env = requireString(r.body, "env");
  if (!env) return std::unexpected(env.error());
  out.env = *env;
  if (r.body.contains("regions")) {
    const json& regions = r.body["regions"];
    if (!regions.is_array()) return invalid("must be an array of region names", "regions");
    for (const auto& x : regions) {
      if (!x.is_string() || x.get<std::string>().empty()) {
        return invalid("must be an array of region names", "regions");
      }
      out.regions.push_back(x.get<std::string>());
    }
  }
  auto text = requireString(r.body, "config");
  if (!text) return std::unexpected(text.error());
  auto name = optionalString(r.body, "config_name");
  if (!name) return std::unexpected(name.error());
  auto loaded = config::loadConfigText(*text, name->value_or("ramp.yaml"));
  if (!loaded.ok()) {
    std::string msg;
    for (const auto& d : loaded.diagnostics) msg += (msg.empty() ? "" : "\n") + d.format();
    return invalid("the config does not load:\n" + msg, "config");
  }
  out.cfg = std::move(*loaded.config);
  out.envCfg = out.cfg.environment(out.env);
  if (!out.envCfg) {
    return invalid(fmt::format("no environment '{}' in the config", out.env), "env");
  }
  return out;
}

Result<std::unique_ptr<infra::InfraProvider>> providerFor(const InfraRequest& q, const std::filesystem::path& home,
                                                          const std::filesystem::path& rampBinary) {
  if (q.envCfg->provider == "local") {
    return std::unique_ptr<infra::InfraProvider>(new infra::LocalInfraProvider(home, rampBinary));
  }
  if (q.envCfg->provider == "aws") {
    // The standard credentials chain, AWS_ENDPOINT_URL(_<SERVICE>) honoured;
    // each resource names its own region.
    providers::aws::AwsClientOptions o;
    for (const char* var : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
      if (const char* r = std::getenv(var); r && *r) {
        o.region = r;
        break;
      }
    }
    return std::unique_ptr<infra::InfraProvider>(new infra::aws::AwsInfraProvider(o));
  }
  return failedPrecondition(fmt::format("environment {} uses provider '{}', which has no infrastructure provider "
                                        "(local and aws do)",
                                        q.env, q.envCfg->provider),
                            "environments." + q.env + ".provider");
}

std::vector<std::string> regionsOf(const InfraRequest& q) {
  return q.regions.empty() ? q.envCfg->regions : q.regions;
}

// `deleteLeftovers` (apply --allow-destroy, plan --delete-leftovers): with a
// refresh, what carries the environment's tags but no state knows and the
// configuration does not ask for (what drift calls leftovers) is planned as
// deletes too. Without it they are left alone: drift reports them.
Result<infra::Plan> makePlan(const InfraRequest& q, infra::InfraProvider& provider, infra::InfraStore& is,
                             bool doRefresh, bool deleteLeftovers) {
  auto desired = infra::desiredResources(q.cfg, q.env, q.regions);
  if (!desired) return std::unexpected(desired.error());
  std::map<std::string, infra::InfraState> states;
  if (q.regions.empty()) {
    auto all = is.loadAll(q.cfg.project, q.env);
    if (!all) return std::unexpected(all.error());
    states = std::move(*all);
  }
  std::vector<std::string> wanted = regionsOf(q);
  wanted.push_back("");
  for (const auto& region : wanted) {
    if (states.contains(region)) continue;
    auto s = is.load(q.cfg.project, q.env, region);
    if (!s) return std::unexpected(s.error());
    states.emplace(region, std::move(*s));
  }
  std::optional<std::map<std::string, infra::ResourceState>> refreshed;
  std::vector<infra::ResourceState> leftovers;
  if (doRefresh) {
    auto r = infra::refresh(provider, *desired, states);
    if (!r) return std::unexpected(r.error());
    refreshed = std::move(*r);
  }
  if (doRefresh && deleteLeftovers) {
    // Leftovers: planned as deletes, applied only with --allow-destroy.
    std::set<std::string> regions;
    for (const auto& [region, s] : states) regions.insert(region);
    for (const auto& region : wanted) regions.insert(region);
    for (const auto& region : regions) {
      auto tagged = provider.listTagged(q.cfg.project, q.env, region);
      if (!tagged) return std::unexpected(tagged.error());
      leftovers.insert(leftovers.end(), tagged->begin(), tagged->end());
    }
  }
  return infra::Planner::plan(q.cfg.project, q.env, regionsOf(q), *desired, states, refreshed, leftovers);
}

Result<bool> optionalBool(const json& body, const std::string& field, bool dflt) {
  if (!body.contains(field)) return dflt;
  if (!body[field].is_boolean()) return invalid("must be true or false", field);
  return body[field].get<bool>();
}

// A request that plans (plan; apply without a saved plan): an infra
// request with "refresh", and the route's own fields.
Result<InfraRequest> readPlanRequest(const ApiRequest& r, std::vector<std::string> ownFields) {
  ownFields.insert(ownFields.begin(), "refresh");
  auto q = readInfraRequest(r, ownFields);
  if (!q) return q;
  auto refresh = optionalBool(r.body, "refresh", true);
  if (!refresh) return std::unexpected(refresh.error());
  q->refresh = *refresh;
  return q;
}

// ---- Applies that need approval (infra/InfraChange.h, docs/infra.md) ----

std::mutex& runMutex() {  // one apply of an approved change at a time in this controller
  static std::mutex mu;
  return mu;
}
std::mutex& decideMutex() {  // approvals, rejections and expiry one at a time
  static std::mutex mu;
  return mu;
}

// ApprovalPolicyCheck words its reasons for deployments.
std::string forChange(std::string reason) {
  const std::string from = "this deployment";
  for (auto pos = reason.find(from); pos != std::string::npos; pos = reason.find(from)) {
    reason.replace(pos, from.size(), "this infrastructure change");
  }
  return reason;
}

json approversList(const engine::ApprovalRequest& req) {
  json a = json::array();
  for (const auto& x : req.approvals) a.push_back(x.by);
  return a;
}

std::string approversText(const engine::ApprovalRequest& req) {
  std::string s;
  for (const auto& x : req.approvals) s += (s.empty() ? "" : ", ") + x.by;
  return s;
}

json changeApiJson(const infra::InfraChange& c) {
  auto iso = [](int64_t ms) { return ms ? json(formatTime(fromUnixMillis(ms))) : json(nullptr); };
  size_t n = c.plan.contains("changes") && c.plan["changes"].is_array() ? c.plan["changes"].size() : 0;
  return {{"id", c.id},
          {"kind", "infra_change"},
          {"project", c.project},
          {"env", c.env},
          {"state", c.state},
          {"reason", c.reason},
          {"requester", c.requester},
          {"created_at", iso(c.createdAt)},
          {"updated_at", iso(c.updatedAt)},
          {"plan_digest", c.planDigest},
          {"changes", n},
          {"summary", c.plan.value("summary", json::object())},
          {"regions", c.regions},
          {"approval", engine::ApprovalRequest::fromJson(c.approval).toApiJson()},
          {"apply_id", c.applyId.empty() ? json(nullptr) : json(c.applyId)},
          {"report", c.report},
          {"approve_command", "ramp approve " + c.id}};
}

// A saved plan must still match the state it was computed against (the
// same words as the Applier's own check, which runs again at apply time).
Status checkPlanBasis(const infra::Plan& plan, infra::InfraStore& is) {
  for (const auto& [region, basis] : plan.basis) {
    auto s = is.load(plan.project, plan.env, region);
    if (!s) return std::unexpected(s.error());
    const std::string name = region.empty() ? "global" : region;
    if (s->lineage != basis.lineage || s->serial != basis.serial) {
      return failedPrecondition(fmt::format("stale plan: the state of region {} is at serial {} (lineage '{}') but "
                                            "the plan was made against serial {} (lineage '{}'); run plan again",
                                            name, s->serial, s->lineage, basis.serial, basis.lineage),
                                "region " + name);
    }
  }
  return ok();
}

Status auditChange(infra::InfraStore& is, const std::string& kind, const std::string& actor,
                   const infra::InfraChange& c, json data) {
  data["id"] = c.id;
  data["project"] = c.project;
  data["plan_digest"] = c.planDigest;
  data["state"] = c.state;
  return is.recordEvent(kind, actor.empty() ? "ramp" : actor, c.env, data);
}

// Where an environment's failed apply is told: every alert destination of
// every service of `cfg` in `env` (as rendered), once each (engine/AlertRule.h);
// nullopt when none is configured.
std::optional<store::EventAlert> applyFailureAlert(const config::Config& cfg, const std::string& env) {
  json destinations = json::array();
  for (const auto& name : cfg.serviceNames()) {
    auto eff = config::render(cfg, name, env);
    if (!eff) continue;
    for (const auto& d : engine::AlertRule::destinationsOf(eff->json)) {
      if (std::find(destinations.begin(), destinations.end(), d) == destinations.end()) destinations.push_back(d);
    }
  }
  return engine::AlertRule::of("infra.apply_failed", json::object(), json{{"alerts", destinations}});
}

// infra.apply_failed, with the alert it causes written to the store's outbox
// in the same transaction (store/OutboxStore.h).
Status auditApplyFailed(store::Store& st, Clock& clock, const std::string& actor, const std::string& env,
                        json data, std::optional<store::EventAlert> alert) {
  store::AuditEventInput e;
  e.time = toUnixMillis(clock.now());
  e.actor = actor.empty() ? "ramp" : actor;
  e.kind = "infra.apply_failed";
  e.env = env;
  e.data = std::move(data);
  e.alert = std::move(alert);
  auto r = st.appendEvent(e);
  if (!r) return std::unexpected(r.error());
  return ok();
}

// A pending change past its expiry becomes "expired" (audited). Call under decideMutex.
Result<bool> expireIfDue(infra::InfraChangeStore& cs, infra::InfraStore& is, infra::InfraChange& c, int64_t now) {
  if (c.state != "pending") return false;
  auto req = engine::ApprovalRequest::fromJson(c.approval);
  if (!engine::ApprovalPolicyCheck::expired(req, now)) return false;
  c.state = "expired";
  c.reason = fmt::format("the approval request expired with {} of {} approval(s); nothing was applied", req.count(),
                         req.required);
  c.updatedAt = now;
  if (auto s = cs.update(c); !s) return std::unexpected(s.error());
  if (auto s = auditChange(is, "infra.apply_expired", "ramp", c, {{"approvals", req.count()}, {"required", req.required}});
      !s) {
    return std::unexpected(s.error());
  }
  return true;
}

// Applies an approved change (state approved, or applying when a killed
// controller left it): exactly its recorded plan, through the Applier. With
// blocking=false it returns at once when another thread is applying one.
// The env's apply lock held by someone else (e.g. a dead controller until
// its lease expires) leaves the change "applying" for the next tick.
Status runApproved(store::Store& st, const std::filesystem::path& home, const std::filesystem::path& rampBinary,
                   Clock& clock, const std::string& id, bool blocking) {
  std::unique_lock run(runMutex(), std::defer_lock);
  if (blocking) {
    run.lock();
  } else if (!run.try_lock()) {
    return ok();
  }
  infra::InfraChangeStore cs(st);
  infra::StoreInfraStore is(st, clock);
  auto c = cs.get(id);
  if (!c) return std::unexpected(c.error());
  if (c->state != "approved" && c->state != "applying") return ok();
  const auto req = engine::ApprovalRequest::fromJson(c->approval);
  std::optional<store::EventAlert> failureAlert;  // known once the change's config is read
  auto finish = [&](const std::string& state, const std::string& reason, const json& report) -> Status {
    c->state = state;
    c->reason = reason;
    c->report = report;
    c->updatedAt = toUnixMillis(clock.now());
    if (auto s = cs.update(*c); !s) return s;
    if (state == "failed") {
      json data{{"reason", reason},      {"approved_by", approversList(req)}, {"id", c->id},
                {"project", c->project}, {"plan_digest", c->planDigest},      {"state", c->state}};
      if (!report.is_null()) data["counts"] = report.value("counts", json());
      return auditApplyFailed(st, clock, "ramp", c->env, std::move(data), failureAlert);
    }
    return ok();
  };
  auto loaded = config::loadConfigText(c->configText, c->configName);
  if (!loaded.ok() || !loaded.config) return finish("failed", "the config the plan was made from no longer loads", nullptr);
  failureAlert = applyFailureAlert(*loaded.config, c->env);
  InfraRequest q;
  q.cfg = std::move(*loaded.config);
  q.env = c->env;
  q.regions = c->regions;
  q.envCfg = q.cfg.environment(q.env);
  if (!q.envCfg) return finish("failed", "the config the plan was made from has no environment " + q.env, nullptr);
  auto provider = providerFor(q, home, rampBinary);
  if (!provider) return finish("failed", provider.error().describe(), nullptr);
  auto plan = infra::planFromJson(c->plan);
  if (!plan) return finish("failed", "the recorded plan does not read: " + plan.error().describe(), nullptr);

  const bool resume = c->state == "applying";
  if (!resume) {
    c->state = "applying";
    c->applyId = "apply-" + randomHex(8);
    c->reason = "applying (approved by " + approversText(req) + ")";
    c->updatedAt = toUnixMillis(clock.now());
    if (auto s = cs.update(*c); !s) return s;
  }
  infra::ApplyOptions o;
  o.actor = c->requester.empty() ? "ramp" : c->requester;
  o.approvedBy = approversText(req);
  o.applyId = c->applyId;
  o.leaseOwner = fmt::format("controller-{}:{}", ::getpid(), c->applyId);
  o.allowDestroy = c->allowDestroy;
  o.continueOnRegionFailure = c->continueOnRegionFailure;
  o.parallelRegions = c->parallelRegions;
  o.clock = &clock;
  o.leaseTtlMs = 10'000;
  infra::Plan toApply = *plan;
  if (resume) {
    // A controller killed during this apply: the changes it journaled are
    // done, failed or open intents (which the Applier resumes itself); the
    // rest of the approved plan follows. Its own writes moved the state's
    // serial, so the basis is not checked again.
    auto journal = is.journalOf(c->project, c->env, c->applyId);
    if (!journal) return std::unexpected(journal.error());
    if (!journal->empty()) {
      toApply = infra::remainingPlan(*plan, *journal);
      o.checkBasis = false;
    }
  }
  auto report = infra::apply(toApply, **provider, is, o);
  if (!report) {
    if (report.error().code == ErrorCode::kConflict) return ok();  // the lock is held: retried by the next tick
    std::string msg = report.error().describe();
    if (msg.find("stale plan") != std::string::npos) {
      return finish("failed", "stale: state changed since the plan, plan again (" + msg + ")", nullptr);
    }
    return finish("failed", "the apply was refused: " + msg, nullptr);
  }
  if (report->ok()) {
    return finish("applied",
                  fmt::format("applied: {} done ({} resumed); approved by {}", report->done, report->resumed,
                              approversText(req)),
                  report->toJson());
  }
  return finish("failed",
                fmt::format("the apply ran with {} failed and {} skipped change(s); fix them and apply again",
                            report->failed, report->skipped),
                report->toJson());
}

// POST /api/v1/infra/apply on an env whose policy asks for approvals: the
// change is recorded pending (202) instead of applied.
Result<ApiResponse> requestApproval(const ApiRequest& r, const InfraRequest& q, const infra::Plan& plan,
                                    infra::InfraStore& is, store::Store& st, Clock& clock, bool allowDestroy,
                                    bool continueOnRegionFailure, int parallelRegions) {
  if (auto s = checkPlanBasis(plan, is); !s) return std::unexpected(s.error());
  const int64_t now = toUnixMillis(clock.now());
  const std::string actor = r.actor.empty() ? "ramp" : r.actor;
  auto req = engine::ApprovalPolicyCheck::request(q.policy, actor, now);
  if (!req) return internal("the approval policy of " + q.env + " asks for no approval", "env");
  infra::InfraChange c;
  c.id = "infra-" + randomHex(6);  // 12 hex digits
  c.project = q.cfg.project;
  c.env = q.env;
  c.state = "pending";
  c.requester = actor;
  c.createdAt = now;
  c.updatedAt = now;
  c.plan = infra::planJson(plan);
  c.planDigest = plan.digest;
  c.noOp = plan.noOp();
  c.configText = r.body.value("config", "");
  c.configName = r.body.value("config_name", "ramp.yaml");
  c.regions = q.regions;
  c.allowDestroy = allowDestroy;
  c.continueOnRegionFailure = continueOnRegionFailure;
  c.parallelRegions = parallelRegions;
  c.approval = req->toJson();
  c.reason = fmt::format("awaiting approval: 0 of {}", req->required);
  infra::InfraChangeStore cs(st);
  if (auto s = cs.insert(c); !s) return std::unexpected(s.error());
  if (auto s = auditChange(is, "infra.apply_requested", actor, c,
                           {{"required", req->required},
                            {"roles", req->roles.empty() ? json::array({"approver"}) : json(req->roles)},
                            {"expires_at", req->expiresAt},
                            {"changes", plan.changes.size()},
                            {"regions", plan.regions}});
      !s) {
    return std::unexpected(s.error());
  }
  return ApiResponse{202, {{"change", changeApiJson(c)}, {"plan", c.plan}, {"text", infra::planText(plan, false)}}};
}

Access changeEnvAccess(store::Store& st, const std::string& summary) {
  return Access::custom(summary, [&st](const ApiRequest& r) -> Result<std::vector<Need>> {
    if (r.params.empty()) return std::vector<Need>{{"viewer", ""}};
    infra::InfraChangeStore cs(st);
    auto c = cs.get(r.params[0]);
    // Unknown id: viewer somewhere, then the handler answers 404.
    return std::vector<Need>{{"viewer", c ? c->env : std::string()}};
  });
}

Result<std::string> commentOf(const json& body) {
  if (body.is_null()) return std::string();
  if (!body.is_object()) return invalid("the body must be a JSON object", "body");
  if (auto s = onlyFields(body, {"comment"}); !s) return std::unexpected(s.error());
  auto c = optionalString(body, "comment");
  if (!c) return std::unexpected(c.error());
  return c->value_or("");
}

Result<ApiResponse> decideChange(const ApiRequest& r, bool approve, store::Store& st,
                                 const std::filesystem::path& home, const std::filesystem::path& rampBinary,
                                 Clock& clock) {
  auto comment = commentOf(r.body);
  if (!comment) return std::unexpected(comment.error());
  if (!approve && comment->find_first_not_of(" \t\r\n") == std::string::npos) {
    return invalid("a rejection needs a comment saying why", "comment");
  }
  infra::InfraChangeStore cs(st);
  infra::StoreInfraStore is(st, clock);
  bool satisfied = false;
  std::string id = r.params[0];
  {
    std::lock_guard decide(decideMutex());
    auto c = cs.get(id);
    if (!c) return std::unexpected(c.error());
    const int64_t now = toUnixMillis(clock.now());
    auto expired = expireIfDue(cs, is, *c, now);
    if (!expired) return std::unexpected(expired.error());
    if (*expired) return failedPrecondition(c->id + " has expired: its approval request ran out; apply again", "id");
    if (auto s = infra::refuseDecision(*c); !s) return std::unexpected(s.error());
    auto req = engine::ApprovalRequest::fromJson(c->approval);
    auto roles = rolesIn(r.principal, c->env, req.roles);
    auto v = approve ? engine::ApprovalPolicyCheck::judgeApproval(req, r.actor, roles, now)
                     : engine::ApprovalPolicyCheck::judgeRejection(req, r.actor, roles, *comment, now);
    if (!v.accepted) {
      bool forbidden = approve ? (r.actor == req.requester || !engine::ApprovalPolicyCheck::mayApprove(req, roles))
                               : (r.actor != req.requester && !engine::ApprovalPolicyCheck::mayApprove(req, roles));
      if (forbidden) return fail(ErrorCode::kPermissionDenied, forChange(v.reason), "id");
      return failedPrecondition(forChange(v.reason), "id");
    }
    if (approve) {
      req.approvals.push_back({r.actor, now, *comment});
      c->approval = req.toJson();
      satisfied = v.satisfied;
      c->state = satisfied ? "approved" : "pending";
      c->reason = satisfied ? fmt::format("approved by {} ({} of {})", approversText(req), v.countAfter, req.required)
                            : fmt::format("awaiting approval: {} of {}", v.countAfter, req.required);
    } else {
      req.rejectedBy = r.actor;
      req.comment = *comment;
      c->approval = req.toJson();
      c->state = "rejected";
      c->reason = fmt::format("rejected by {}: {}; nothing was applied", r.actor, *comment);
    }
    c->updatedAt = now;
    if (auto s = cs.update(*c); !s) return std::unexpected(s.error());
    json data{{"by", r.actor}, {"comment", *comment}, {"approvals", req.count()}, {"required", req.required}};
    if (approve) data["approved_by"] = approversList(req);
    if (auto s = auditChange(is, approve ? "infra.apply_approved" : "infra.apply_rejected", r.actor, *c, data); !s) {
      return std::unexpected(s.error());
    }
  }
  if (satisfied) {
    if (auto s = runApproved(st, home, rampBinary, clock, id, true); !s) return std::unexpected(s.error());
  }
  auto after = cs.get(id);
  if (!after) return std::unexpected(after.error());
  return ApiResponse{200, changeApiJson(*after)};
}

}  // namespace

void addInfraRoutes(ApiServer& api, store::Store& st, const std::filesystem::path& home,
                    const std::filesystem::path& rampBinary, Clock& clock, record::ConfigOfRecord* config,
                    std::function<void()> applied) {
  api.route("POST", "/api/v1/infra/plan", Access::bodyEnv("viewer"), [&st, home, rampBinary, &clock](const ApiRequest& r) -> Result<ApiResponse> {
    auto q = readPlanRequest(r, {"delete_leftovers"});
    if (!q) return std::unexpected(q.error());
    auto leftovers = optionalBool(r.body, "delete_leftovers", false);
    if (!leftovers) return std::unexpected(leftovers.error());
    auto provider = providerFor(*q, home, rampBinary);
    if (!provider) return std::unexpected(provider.error());
    infra::StoreInfraStore is(st, clock);
    auto plan = makePlan(*q, **provider, is, q->refresh, *leftovers);
    if (!plan) return std::unexpected(plan.error());
    // Intents of an interrupted apply: the next apply resumes them first
    // (even when the plan itself has no changes).
    auto open = is.openJournal(q->cfg.project, q->env);
    if (!open) return std::unexpected(open.error());
    std::string text = infra::planText(*plan, false);
    if (!open->empty()) {
      text += fmt::format("\nNote: {} change(s) of an interrupted apply are still open in the journal; the next "
                          "apply resumes them first.\n",
                          open->size());
    }
    return ApiResponse{200, {{"plan", infra::planJson(*plan)}, {"text", text}, {"no_op", plan->noOp()},
                             {"open_intents", open->size()}}};
  });

  api.route("POST", "/api/v1/infra/apply", Access::bodyEnv("deployer"), [&st, home, rampBinary, &clock, config, applied](const ApiRequest& r) -> Result<ApiResponse> {
    auto q = readPlanRequest(r, {"plan", "allow_destroy", "parallel_regions", "continue_on_region_failure"});
    if (!q) return std::unexpected(q.error());
    auto allowDestroy = optionalBool(r.body, "allow_destroy", false);
    if (!allowDestroy) return std::unexpected(allowDestroy.error());
    auto cont = optionalBool(r.body, "continue_on_region_failure", false);
    if (!cont) return std::unexpected(cont.error());
    int parallelRegions = 1;
    if (r.body.contains("parallel_regions")) {
      const json& p = r.body["parallel_regions"];
      if (!p.is_number_integer() || p.get<int>() < 1 || p.get<int>() > 64) {
        return invalid("must be a whole number from 1 to 64", "parallel_regions");
      }
      parallelRegions = p.get<int>();
    }
    auto provider = providerFor(*q, home, rampBinary);
    if (!provider) return std::unexpected(provider.error());
    infra::StoreInfraStore is(st, clock);
    infra::Plan plan;
    if (r.body.contains("plan")) {
      auto saved = infra::planFromJson(r.body["plan"]);
      if (!saved) return invalid(saved.error().describe(), "plan");
      if (saved->env != q->env) {
        return invalid(fmt::format("the saved plan is for environment '{}', not '{}'", saved->env, q->env), "plan.env");
      }
      if (saved->project != q->cfg.project) {
        return invalid(fmt::format("the saved plan is for project '{}', not '{}'", saved->project, q->cfg.project),
                       "plan.project");
      }
      plan = std::move(*saved);
    } else {
      auto fresh = makePlan(*q, **provider, is, q->refresh, *allowDestroy);
      if (!fresh) return std::unexpected(fresh.error());
      plan = std::move(*fresh);
    }
    // The approval policy in force decides, never the one in the request's
    // config: the config of record's for the environment. Before the first
    // push there is none, and the apply is refused (a request's own policy
    // would let any caller waive the approvals of a protected environment);
    // an environment the config of record does not have is refused too.
    q->policy = q->envCfg->approval;
    if (config) {
      auto inForce = config->inForce();
      if (!inForce) return std::unexpected(inForce.error());
      const config::Environment* e = (*inForce)->config.environment(q->env);
      if (!e) {
        return invalid(fmt::format("no environment '{}' in the config of record in force (version {}); push it "
                                   "first with `ramp config push`",
                                   q->env, (*inForce)->record.version),
                       "env");
      }
      q->policy = e->approval;
    }
    // An environment whose approval policy asks for approvals: recorded
    // pending, applied when approved (nothing to change and nothing to
    // resume needs no approval).
    if (q->policy.approvals > 0) {
      auto open = is.openJournal(q->cfg.project, q->env);
      if (!open) return std::unexpected(open.error());
      if (!plan.noOp() || !open->empty()) {
        return requestApproval(r, *q, plan, is, st, clock, *allowDestroy, *cont, parallelRegions);
      }
    }
    infra::ApplyOptions o;
    o.actor = r.actor.empty() ? "ramp" : r.actor;
    o.applyId = "apply-" + randomHex(8);
    o.leaseOwner = fmt::format("controller-{}:{}", ::getpid(), o.applyId);
    o.allowDestroy = *allowDestroy;
    o.continueOnRegionFailure = *cont;
    o.parallelRegions = parallelRegions;
    o.clock = &clock;
    o.leaseTtlMs = 10'000;  // renewed every ~3 s; a crashed controller's lock is free 10 s later
    auto report = infra::apply(plan, **provider, is, o);
    // A failed apply alerts the environment's services' destinations
    // (infra.apply_failed); a held lock (kConflict) is not a failure.
    if ((!report && report.error().code != ErrorCode::kConflict) || (report && !report->ok())) {
      json data{{"reason", report ? fmt::format("the apply ran with {} failed and {} skipped change(s)",
                                                report->failed, report->skipped)
                                  : "the apply was refused: " + report.error().describe()},
                {"apply_id", o.applyId},
                {"project", q->cfg.project}};
      if (report) data["counts"] = {{"done", report->done}, {"failed", report->failed}, {"skipped", report->skipped}};
      if (auto a = auditApplyFailed(st, clock, o.actor, q->env, std::move(data), applyFailureAlert(q->cfg, q->env)); !a) {
        return std::unexpected(a.error());
      }
    }
    if (!report) return std::unexpected(report.error());
    if (applied && !plan.noOp()) applied();
    return ApiResponse{200, {{"report", report->toJson()}, {"plan", infra::planJson(plan)},
                             {"text", infra::planText(plan, false)}}};
  });

  api.route("GET", "/api/v1/infra/changes",
            Access::custom("viewer in ?env (or in any environment)",
                           [](const ApiRequest& r) -> Result<std::vector<Need>> {
                             std::string env = r.query.contains("env") ? r.query.at("env") : "";
                             return std::vector<Need>{{"viewer", env}};
                           }),
            [&st, &clock](const ApiRequest& r) -> Result<ApiResponse> {
    std::optional<std::string> env;
    if (r.query.contains("env") && !r.query.at("env").empty()) env = r.query.at("env");
    bool all = false;
    if (r.query.contains("all")) {
      const auto& a = r.query.at("all");
      if (a != "true" && a != "false" && a != "1" && a != "0") return invalid("must be true or false", "all");
      all = a == "true" || a == "1";
    }
    infra::InfraChangeStore cs(st);
    infra::StoreInfraStore is(st, clock);
    {
      std::lock_guard decide(decideMutex());
      auto open = cs.listOpen(env);
      if (!open) return std::unexpected(open.error());
      for (auto& c : *open) {
        if (auto e = expireIfDue(cs, is, c, toUnixMillis(clock.now())); !e) return std::unexpected(e.error());
      }
    }
    auto list = all ? cs.listRecent(100) : cs.listOpen(env);
    if (!list) return std::unexpected(list.error());
    json arr = json::array();
    for (const auto& c : *list) {
      if (env && c.env != *env) continue;
      if (!r.principal.has("viewer", c.env)) continue;
      auto req = engine::ApprovalRequest::fromJson(c.approval);
      json j = changeApiJson(c);
      j["may_approve"] = c.state == "pending" && r.actor != req.requester &&
                         engine::ApprovalPolicyCheck::mayApprove(req, rolesIn(r.principal, c.env, req.roles));
      arr.push_back(std::move(j));
    }
    return ApiResponse{200, arr};
  });

  api.route("GET", "/api/v1/infra/changes/{id}", changeEnvAccess(st, "viewer in the change's env"),
            [&st](const ApiRequest& r) -> Result<ApiResponse> {
    infra::InfraChangeStore cs(st);
    auto c = cs.get(r.params[0]);
    if (!c) return std::unexpected(c.error());
    return ApiResponse{200, changeApiJson(*c)};
  });

  api.route("POST", "/api/v1/infra/changes/{id}/approve",
            changeEnvAccess(st, "viewer in the change's env; the approval policy's roles decide"),
            [&st, home, rampBinary, &clock](const ApiRequest& r) -> Result<ApiResponse> {
    return decideChange(r, true, st, home, rampBinary, clock);
  });
  api.route("POST", "/api/v1/infra/changes/{id}/reject",
            changeEnvAccess(st, "viewer in the change's env; the approval policy's roles decide"),
            [&st, home, rampBinary, &clock](const ApiRequest& r) -> Result<ApiResponse> {
    return decideChange(r, false, st, home, rampBinary, clock);
  });

  api.route("POST", "/api/v1/infra/drift", Access::bodyEnv("viewer"), [&st, home, rampBinary, &clock](const ApiRequest& r) -> Result<ApiResponse> {
    auto q = readInfraRequest(r);
    if (!q) return std::unexpected(q.error());
    auto provider = providerFor(*q, home, rampBinary);
    if (!provider) return std::unexpected(provider.error());
    infra::StoreInfraStore is(st, clock);
    // What the configuration wants: such a resource that no state records
    // is "unrecorded" (plan imports it), not a leftover.
    auto desired = infra::desiredResources(q->cfg, q->env, q->regions);
    if (!desired) return std::unexpected(desired.error());
    std::set<std::string> wanted;
    for (const auto& d : *desired) wanted.insert(d.address);
    auto report = infra::Drift::detect(q->cfg.project, q->env, regionsOf(*q), **provider, is, wanted);
    if (!report) return std::unexpected(report.error());
    return ApiResponse{200, {{"report", report->toJson()}, {"text", report->text()}}};
  });
}

void forwardInfraRoutes(ApiServer& api, const ApiServer::Handler& forward) {
  api.route("POST", "/api/v1/infra/plan", Access::bodyEnv("viewer"), forward);
  api.route("POST", "/api/v1/infra/apply", Access::bodyEnv("deployer"), forward);
  api.route("POST", "/api/v1/infra/drift", Access::bodyEnv("viewer"), forward);
  // The leader checks the change's env again.
  auto anyEnvViewer = [] {
    return Access::custom("viewer in some env (the leader checks the change's)",
                          [](const ApiRequest&) -> Result<std::vector<Need>> { return std::vector<Need>{{"viewer", ""}}; });
  };
  api.route("GET", "/api/v1/infra/changes", anyEnvViewer(), forward);
  api.route("GET", "/api/v1/infra/changes/{id}", anyEnvViewer(), forward);
  api.route("POST", "/api/v1/infra/changes/{id}/approve", anyEnvViewer(), forward);
  api.route("POST", "/api/v1/infra/changes/{id}/reject", anyEnvViewer(), forward);
}

Status tickInfraChanges(store::Store& st, const std::filesystem::path& home, const std::filesystem::path& rampBinary,
                        Clock& clock) {
  static std::mutex lastMu;
  static std::optional<MonoTime> last;
  {
    std::lock_guard l(lastMu);
    auto now = clock.monotonic();
    if (last && now - *last < std::chrono::seconds(1)) return ok();
    last = now;
  }
  infra::InfraChangeStore cs(st);
  infra::StoreInfraStore is(st, clock);
  std::vector<std::string> toRun;
  {
    std::lock_guard decide(decideMutex());
    auto open = cs.listOpen();
    if (!open) return std::unexpected(open.error());
    for (auto& c : *open) {
      if (c.state == "pending") {
        if (auto e = expireIfDue(cs, is, c, toUnixMillis(clock.now())); !e) return std::unexpected(e.error());
      } else if (c.state == "approved" || c.state == "applying") {
        toRun.push_back(c.id);
      }
    }
  }
  for (const auto& id : toRun) {
    if (auto s = runApproved(st, home, rampBinary, clock, id, false); !s) return s;
  }
  return ok();
}

}  // namespace ramp::server
