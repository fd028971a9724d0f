#include "server/PipelineRoutes.h"

#include <fmt/format.h>

#include "engine/ApprovalPolicyCheck.h"
#include "server/WaveFields.h"

namespace ramp::server {

using nlohmann::json;

namespace {

// Route access (server/Access.h) while that API is being introduced: with
// Access.h, every route declares what it needs; without it (older trees),
// the handlers' own role checks are all there is.
#if __has_include("server/Access.h")
Access deployerIn(const std::string& field) { return Access::bodyEnv("deployer", field); }
Access viewerIn(const std::string& summary, Access::Resolver r) { return Access::custom(summary, std::move(r)); }
void addRoute(ApiServer& api, const char* method, const char* path, Access access, ApiServer::Handler h) {
  api.route(method, path, std::move(access), std::move(h));
}
#else
struct NoAccess {};
using Need = std::pair<std::string, std::string>;
NoAccess deployerIn(const std::string&) { return {}; }
template <class R>
NoAccess viewerIn(const std::string&, R&&) { return {}; }
void addRoute(ApiServer& api, const char* method, const char* path, NoAccess, ApiServer::Handler h) {
  api.route(method, path, std::move(h));
}
#endif

Result<std::vector<std::string>> stringList(const json& body, const std::string& field) {
  std::vector<std::string> out;
  if (!body.contains(field) || body[field].is_null()) return out;
  if (!body[field].is_array()) return invalid("must be a list of environment names", field);
  for (size_t i = 0; i < body[field].size(); ++i) {
    const auto& v = body[field][i];
    if (!v.is_string() || v.get<std::string>().empty()) {
      return invalid("must be a non-empty string", fmt::format("{}[{}]", field, i));
    }
    out.push_back(v);
  }
  return out;
}

Result<bool> optionalBool(const json& body, const std::string& field) {
  if (!body.contains(field) || body[field].is_null()) return false;
  if (!body[field].is_boolean()) return invalid("must be a boolean", field);
  return body[field].get<bool>();
}

Result<std::string> commentOf(const json& body) {
  if (!body.is_null() && !body.is_object()) return invalid("the body must be a JSON object", "body");
  if (body.is_null()) return std::string();
  if (auto s = onlyFields(body, {"comment"}); !s) return std::unexpected(s.error());
  auto c = optionalString(body, "comment");
  if (!c) return std::unexpected(c.error());
  return c->value_or("");
}

}  // namespace

std::set<std::string> rolesIn(const Principal& p, const std::string& env, const std::vector<std::string>& extra) {
  std::set<std::string> out;
  for (const char* r : {"viewer", "deployer", "approver", "hotfix", "admin"}) {
    if (p.has(r, env)) out.insert(r);
  }
  for (const auto& r : extra) {
    if (p.has(r, env)) out.insert(r);
  }
  return out;
}

json pipelineDeploymentJson(const engine::Deployment& d) {
  auto iso = [](int64_t ms) { return ms ? json(formatTime(fromUnixMillis(ms))) : json(nullptr); };
  return {{"id", d.id},
          {"service", d.service},
          {"env", d.env},
          {"region", d.region},
          {"state", d.state},
          {"phase", d.phase},
          {"strategy", d.strategy},
          {"kind", d.kind},
          {"step", d.step},
          {"steps", d.steps},
          {"reason", d.reason},
          {"version", d.version},
          {"digest", d.digest},
          {"config_digest", d.configDigest},
          {"hotfix", d.hotfix},
          {"hotfix_reason", d.hotfixReason},
          {"promoted_from", d.promotedFrom.empty() ? json(nullptr) : json(d.promotedFrom)},
          {"approval", engine::ApprovalRequest::fromJson(d.approval).toApiJson()},
          {"created_by", d.createdBy},
          {"created_at", iso(d.createdAt)},
          {"updated_at", iso(d.updatedAt)},
          {"finished_at", iso(d.finishedAt)}};
}

Status readPipelineFields(const ApiRequest& r, engine::DeployRequest& req) {
  auto pipeline = stringList(r.body, "pipeline");
  if (!pipeline) return std::unexpected(pipeline.error());
  req.pipeline = *pipeline;
  if (r.body.contains("later_stages") && !r.body["later_stages"].is_null()) {
    const auto& ls = r.body["later_stages"];
    if (!ls.is_object()) return invalid("must be an object: environment -> rendered config", "later_stages");
    for (auto it = ls.begin(); it != ls.end(); ++it) {
      if (!it.value().is_object()) return invalid("must be a rendered service config (an object)", "later_stages." + it.key());
    }
    req.laterStages = ls;
  }
  auto hotfix = optionalBool(r.body, "hotfix");
  if (!hotfix) return std::unexpected(hotfix.error());
  auto reason = optionalString(r.body, "reason");
  if (!reason) return std::unexpected(reason.error());
  auto queue = optionalBool(r.body, "queue");
  if (!queue) return std::unexpected(queue.error());
  req.hotfix = *hotfix;
  req.hotfixReason = reason->value_or("");
  req.queue = *queue;
  if (req.hotfix && req.hotfixReason.find_first_not_of(" \t\r\n") == std::string::npos) {
    return invalid("a hotfix needs a non-empty reason", "reason");
  }
  if (!req.hotfix && reason->has_value()) return invalid("a reason goes with \"hotfix\": true only", "reason");
  if (req.hotfix && !r.principal.has("hotfix", req.env)) {
    return fail(ErrorCode::kPermissionDenied,
                fmt::format("{} lacks the hotfix role in {}; a hotfix ships out of pipeline order", r.actor, req.env),
                "hotfix");
  }
  return ok();
}

Status readRenderedFields(const ApiRequest& r, engine::DeployRequest& req, const std::string& renderedWhat) {
  auto region = optionalString(r.body, "region");
  if (!region) return std::unexpected(region.error());
  auto digest = requireString(r.body, "config_digest");
  if (!digest) return std::unexpected(digest.error());
  auto commit = optionalString(r.body, "git_commit");
  if (!commit) return std::unexpected(commit.error());
  if (!r.body.contains("rendered") || !r.body["rendered"].is_object()) {
    return invalid("must be " + renderedWhat + " (an object)", "rendered");
  }
  if (r.body.contains("git_dirty") && !r.body["git_dirty"].is_null() && !r.body["git_dirty"].is_boolean()) {
    return invalid("must be a boolean", "git_dirty");
  }
  req.region = region->value_or("");
  req.rendered = r.body["rendered"];
  req.configDigest = *digest;
  req.gitCommit = *commit;
  if (r.body.contains("git_dirty") && r.body["git_dirty"].is_boolean()) req.gitDirty = r.body["git_dirty"].get<bool>();
  req.actor = r.actor;
  return ok();
}

void addPipelineRoutes(ApiServer& api, engine::Engine& engine,
                       std::function<Status(const engine::DeployRequest&)> learn) {
  addRoute(api, "POST", "/api/v1/promotions", deployerIn("to"),
            [&engine, learn](const ApiRequest& r) -> Result<ApiResponse> {
    if (auto s = onlyFields(r.body, {"service", "to", "region", "rendered", "config_digest", "git_commit", "git_dirty",
                                     "pipeline", "later_stages", "queue", "waves",
                                     "rollback_all_regions"});
        !s) {
      return std::unexpected(s.error());
    }
    engine::DeployRequest req;
    auto service = requireString(r.body, "service");
    if (!service) return std::unexpected(service.error());
    auto to = requireString(r.body, "to");
    if (!to) return std::unexpected(to.error());
    if (auto f = readRenderedFields(r, req, "the rendered service config of the target environment"); !f) {
      return std::unexpected(f.error());
    }
    if (!r.body.contains("pipeline")) return invalid("is required (the promotion order)", "pipeline");
    req.service = *service;
    req.env = *to;
    if (!r.principal.has("deployer", req.env)) {
      return fail(ErrorCode::kPermissionDenied, fmt::format("{} lacks the deployer role in {}", r.actor, req.env),
                  "to");
    }
    if (auto s = readPipelineFields(r, req); !s) return std::unexpected(s.error());
    if (auto w = readWaveFields(r.body, req); !w) return std::unexpected(w.error());  // WaveFields.h
    if (learn) {
      if (auto l = learn(req); !l) return std::unexpected(l.error());
    }
    auto d = engine.promote(req);
    if (!d) return std::unexpected(d.error());
    return ApiResponse{201, pipelineDeploymentJson(*d)};
  });

  addRoute(api, "GET", "/api/v1/approvals",
            viewerIn("viewer in ?env (or in any environment)",
                           [](const ApiRequest& r) -> Result<std::vector<Need>> {
                             std::string env = r.query.contains("env") ? r.query.at("env") : "";
                             return std::vector<Need>{{"viewer", env}};
                           }),
            [&engine](const ApiRequest& r) -> Result<ApiResponse> {
    std::optional<std::string> service, env;
    if (r.query.contains("service") && !r.query.at("service").empty()) service = r.query.at("service");
    if (r.query.contains("env") && !r.query.at("env").empty()) env = r.query.at("env");
    auto list = engine.pendingApprovals(service, env);
    if (!list) return std::unexpected(list.error());
    json arr = json::array();
    for (const auto& d : *list) {
      if (!r.principal.has("viewer", d.env)) continue;
      auto req = engine::ApprovalRequest::fromJson(d.approval);
      json j = pipelineDeploymentJson(d);
      j["may_approve"] = r.actor != req.requester &&
                         engine::ApprovalPolicyCheck::mayApprove(req, rolesIn(r.principal, d.env, req.roles));
      arr.push_back(j);
    }
    return ApiResponse{200, arr};
  });

  auto decide = [&engine](const ApiRequest& r, bool approve) -> Result<ApiResponse> {
    auto comment = commentOf(r.body);
    if (!comment) return std::unexpected(comment.error());
    if (!approve && comment->find_first_not_of(" \t\r\n") == std::string::npos) {
      return invalid("a rejection needs a comment saying why", "comment");
    }
    auto d = engine.get(r.params[0]);
    if (!d) {
      if (d.error().code == ErrorCode::kNotFound) return notFound("no deployment " + r.params[0], "id");
      return std::unexpected(d.error());
    }
    auto req = engine::ApprovalRequest::fromJson(d->approval);
    auto roles = rolesIn(r.principal, d->env, req.roles);
    auto out = approve ? engine.approve(d->id, r.actor, roles, *comment) : engine.reject(d->id, r.actor, roles, *comment);
    if (!out) return std::unexpected(out.error());
    return ApiResponse{200, pipelineDeploymentJson(*out)};
  };
  // Access: viewer in the deployment's environment; which roles may decide
  // is the approval policy's (Engine::approve / reject check it).
  auto decideAccess = [&engine] {
    return viewerIn("viewer in the deployment's env; the approval policy's roles decide",
                          [&engine](const ApiRequest& r) -> Result<std::vector<Need>> {
                            auto d = r.params.empty() ? Result<engine::Deployment>(notFound("no id"))
                                                      : engine.get(r.params[0]);
                            return std::vector<Need>{{"viewer", d ? d->env : std::string()}};
                          });
  };
  addRoute(api, "POST", "/api/v1/approvals/{id}/approve", decideAccess(),
            [decide](const ApiRequest& r) -> Result<ApiResponse> { return decide(r, true); });
  addRoute(api, "POST", "/api/v1/approvals/{id}/reject", decideAccess(),
            [decide](const ApiRequest& r) -> Result<ApiResponse> { return decide(r, false); });
}

void forwardPipelineRoutes(ApiServer& api, const ApiServer::Handler& forward) {
  // Checked here as far as a follower can (it has no engine), and again by
  // the leader when forwarded.
  auto anyEnvViewer = [] {
    return viewerIn("viewer in some env (the leader checks the deployment's)",
                          [](const ApiRequest&) -> Result<std::vector<Need>> {
                            return std::vector<Need>{{"viewer", ""}};
                          });
  };
  addRoute(api, "POST", "/api/v1/promotions", deployerIn("to"), forward);
  addRoute(api, "GET", "/api/v1/approvals", anyEnvViewer(), forward);
  addRoute(api, "POST", "/api/v1/approvals/{id}/approve", anyEnvViewer(), forward);
  addRoute(api, "POST", "/api/v1/approvals/{id}/reject", anyEnvViewer(), forward);
}

}  // namespace ramp::server
