#include "server/PipelineRoutes.h"

#include <fmt/format.h>

#include "engine/ApprovalPolicyCheck.h"
#include "server/DeployRequestFields.h"
#include "server/DeploymentJson.h"
#include "server/DeploymentScope.h"

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

void addPipelineRoutes(ApiServer& api, engine::Engine& engine, record::ConfigOfRecord& config,
                       std::function<Status(const engine::DeployRequest&)> learn) {
  addRoute(api, "POST", "/api/v1/promotions", deployerIn("to"),
            [&engine, &config, learn](const ApiRequest& r) -> Result<ApiResponse> {
    if (auto s = refuseComputedFields(r.body, {"service", "to", "region", "queue", "rollback_all_regions"}); !s) {
      return std::unexpected(s.error());
    }
    engine::DeployRequest req;
    auto named = requireStrings(r.body, {"service", "to"});
    if (!named) return std::unexpected(named.error());
    const auto& [service, to] = *named;
    req.service = service;
    req.env = to;
    if (auto s = readDeployOptions(r, req); !s) return std::unexpected(s.error());
    // The target stage, its pipeline and policy: the config of record's.
    if (auto f = config.fill(req); !f) {
      Error e = f.error();
      if (e.where == "env") e.where = "to";
      return std::unexpected(e);
    }
    if (learn) {
      if (auto l = learn(req); !l) return std::unexpected(l.error());
    }
    auto d = engine.promote(req);
    if (!d) return std::unexpected(d.error());
    return ApiResponse{201, deploymentJson(*d)};
  });

  addRoute(api, "GET", "/api/v1/approvals",
            viewerIn("viewer in ?env (or in any environment)",
                           [](const ApiRequest& r) -> Result<std::vector<Need>> {
                             std::string env = r.query.contains("env") ? r.query.at("env") : "";
                             return std::vector<Need>{{"viewer", env}};
                           }),
            [&engine, &config](const ApiRequest& r) -> Result<ApiResponse> {
    std::optional<std::string> service, env;
    if (r.query.contains("service") && !r.query.at("service").empty()) service = r.query.at("service");
    if (r.query.contains("env") && !r.query.at("env").empty()) env = r.query.at("env");
    auto list = engine.pendingApprovals(service, env);
    if (!list) return std::unexpected(list.error());
    json arr = json::array();
    for (const auto& d : *list) {
      if (!r.principal.has("viewer", d.env)) continue;
      const auto& req = d.approval;
      json j = deploymentJson(d);
      j["may_approve"] = r.actor != req.requester &&
                         engine::ApprovalPolicyCheck::mayApprove(req, rolesIn(r.principal, d.env, req.roles));
      arr.push_back(j);
    }
    // Pushes of the config of record waiting for a protected environment's
    // approvers (record/ConfigOfRecord.h): listed for viewers of one of
    // those environments.
    auto pending = config.pending();
    if (!pending) return std::unexpected(pending.error());
    for (auto it = pending->rbegin(); it != pending->rend(); ++it) {
      const json approvals = it->doc.value("approvals", json::object());
      bool visible = false, mayApprove = false;
      for (auto a = approvals.begin(); a != approvals.end(); ++a) {
        if (env && a.key() != *env) continue;
        if (!r.principal.has("viewer", a.key())) continue;
        visible = true;
        auto req = engine::ApprovalRequest::fromJson(a.value());
        if (!req.satisfied() && r.actor != req.requester &&
            engine::ApprovalPolicyCheck::mayApprove(req, rolesIn(r.principal, a.key(), req.roles))) {
          mayApprove = true;
        }
      }
      if (!visible || service) continue;
      json j = record::ConfigOfRecord::toApiJson(*it, false);
      j["may_approve"] = mayApprove;
      arr.push_back(j);
    }
    return ApiResponse{200, arr};
  });

  auto decide = [&engine, &config](const ApiRequest& r, bool approve) -> Result<ApiResponse> {
    auto comment = commentOf(r.body);
    if (!comment) return std::unexpected(comment.error());
    if (!approve && comment->find_first_not_of(" \t\r\n") == std::string::npos) {
      return invalid("a rejection needs a comment saying why", "comment");
    }
    if (record::ConfigOfRecord::versionOf(r.params[0])) {
      // A pending push of the config of record: each environment's approval
      // policy in force decides, as for a deployment there.
      auto roles = [&r](const std::string& env, const std::vector<std::string>& extra) {
        return rolesIn(r.principal, env, extra);
      };
      auto out = approve ? config.approve(r.params[0], r.actor, roles, *comment)
                         : config.reject(r.params[0], r.actor, roles, *comment);
      if (!out) return std::unexpected(out.error());
      return ApiResponse{200, record::ConfigOfRecord::toApiJson(*out, false)};
    }
    auto d = engine.get(r.params[0]);
    if (!d) return deploymentLookupFailed(d.error(), r.params[0]);
    const auto& req = d->approval;
    auto roles = rolesIn(r.principal, d->env, req.roles);
    auto out = approve ? engine.approve(d->id, r.actor, roles, *comment) : engine.reject(d->id, r.actor, roles, *comment);
    if (!out) return std::unexpected(out.error());
    return ApiResponse{200, deploymentJson(*out)};
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
