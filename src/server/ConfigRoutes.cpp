#include "server/ConfigRoutes.h"

#include <fmt/format.h>

namespace ramp::server {

using nlohmann::json;

namespace {

Access someEnv(const std::string& role, const std::string& summary) {
  return Access::custom(summary, [role](const ApiRequest&) -> Result<std::vector<Need>> {
    return std::vector<Need>{{role, ""}};
  });
}

void addReads(ApiServer& api, record::ConfigOfRecord& config) {
  api.route("GET", "/api/v1/config", someEnv("viewer", "viewer in some env"),
            [&config](const ApiRequest& r) -> Result<ApiResponse> {
              if (auto s = onlyFields(json(r.query), {"version"}); !s) return std::unexpected(s.error());
              if (r.query.contains("version")) {
                auto n = queryNumber(r, "version", 1, INT64_MAX, 0);
                if (!n) return std::unexpected(n.error());
                auto rec = config.load(*n);
                if (!rec) return std::unexpected(rec.error());
                return ApiResponse{200, record::ConfigOfRecord::toApiJson((*rec)->record, true)};
              }
              auto v = config.inForce();
              if (!v) {
                if (v.error().code == ErrorCode::kFailedPrecondition) {
                  return notFound(v.error().message, "config");
                }
                return std::unexpected(v.error());
              }
              return ApiResponse{200, record::ConfigOfRecord::toApiJson((*v)->record, true)};
            });
  api.route("GET", "/api/v1/config/versions", someEnv("viewer", "viewer in some env"),
            [&config](const ApiRequest& r) -> Result<ApiResponse> {
              if (auto s = onlyFields(json(r.query), {"limit"}); !s) return std::unexpected(s.error());
              auto limit = queryNumber(r, "limit", 1, 1000, 100);
              if (!limit) return std::unexpected(limit.error());
              auto list = config.history(static_cast<int>(*limit));
              if (!list) return std::unexpected(list.error());
              json arr = json::array();
              for (const auto& v : *list) arr.push_back(record::ConfigOfRecord::toApiJson(v, false));
              return ApiResponse{200, arr};
            });
}

}  // namespace

void addConfigRoutes(ApiServer& api, record::ConfigOfRecord& config) {
  api.route("POST", "/api/v1/config",
            someEnv("deployer", "deployer in some env; the push's effect decides (deployer / admin per env changed)"),
            [&config](const ApiRequest& r) -> Result<ApiResponse> {
              if (auto s = onlyFields(r.body, {"files", "message", "git_commit", "git_dirty", "dry_run"}); !s) {
                return std::unexpected(s.error());
              }
              if (!r.body.contains("files")) return invalid("missing required field", "files");
              auto bundle = record::ConfigBundle::fromJson(r.body["files"], "files");
              if (!bundle) return std::unexpected(bundle.error());
              record::PushRequest req;
              req.bundle = std::move(*bundle);
              req.actor = r.actor;
              auto message = optionalString(r.body, "message");
              if (!message) return std::unexpected(message.error());
              req.message = message->value_or("");
              if (req.message.size() > 4096) return invalid("must be at most 4096 characters", "message");
              auto commit = optionalString(r.body, "git_commit");
              if (!commit) return std::unexpected(commit.error());
              req.gitCommit = *commit;
              if (r.body.contains("git_dirty") && !r.body["git_dirty"].is_null()) {
                if (!r.body["git_dirty"].is_boolean()) return invalid("must be a boolean", "git_dirty");
                req.gitDirty = r.body["git_dirty"].get<bool>();
              }
              if (r.body.contains("dry_run") && !r.body["dry_run"].is_null()) {
                if (!r.body["dry_run"].is_boolean()) return invalid("must be a boolean", "dry_run");
                req.dryRun = r.body["dry_run"].get<bool>();
              }
              auto holds = [&r](const std::string& role, const std::string& env) { return r.principal.has(role, env); };
              auto out = config.push(req, holds);
              if (!out) return std::unexpected(out.error());
              int status = out->state == "in_force" ? 201 : out->state == "pending" ? 202 : 200;
              return ApiResponse{status, out->toJson()};
            });
  addReads(api, config);
}

void forwardConfigRoutes(ApiServer& api, record::ConfigOfRecord& config, const ApiServer::Handler& forward) {
  api.route("POST", "/api/v1/config",
            someEnv("deployer", "deployer in some env (the leader checks the push's effect)"), forward);
  addReads(api, config);
}

}  // namespace ramp::server
