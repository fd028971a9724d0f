#include "server/IdentityRoutes.h"

#include <cctype>
#include <set>

#include <fmt/format.h>

#include "core/Duration.h"

namespace ramp::server {

using nlohmann::json;

namespace {

json iso(const std::optional<int64_t>& ms) {
  return ms ? json(formatTime(fromUnixMillis(*ms))) : json(nullptr);
}

json userJson(const store::UserRecord& u) {
  return {{"name", u.name},
          {"roles", u.roles},
          {"created_at", iso(u.createdAt)},
          {"created_by", u.createdBy},
          {"disabled", u.disabled}};
}

json tokenJson(const store::TokenRecord& t, int64_t now) {
  std::string state = t.revokedAt ? "revoked" : (t.expiresAt && *t.expiresAt <= now) ? "expired" : "active";
  return {{"id", t.id},
          {"user", t.user},
          {"name", t.name},
          {"created_at", iso(t.createdAt)},
          {"expires_at", iso(t.expiresAt)},
          {"revoked_at", iso(t.revokedAt)},
          {"last_used_at", iso(t.lastUsedAt)},
          {"state", state}};
}

Status audit(store::Store& st, Clock& clock, const ApiRequest& r, const std::string& kind, json data) {
  auto e = st.appendEvent(store::AuditEventInput{toUnixMillis(clock.now()), r.actor, kind, "", "", "", std::move(data)});
  if (!e) return std::unexpected(e.error());
  return ok();
}

Result<store::UserRecord> existingUser(store::Store& st, const std::string& name) {
  auto u = st.getUser(name);
  if (!u && u.error().code == ErrorCode::kNotFound) return notFound("no user " + name, "name");
  return u;
}

// Adds or removes one role grant.
Result<ApiResponse> changeRole(store::Store& st, Clock& clock, const ApiRequest& r, bool grant) {
  if (auto s = onlyFields(r.body, {"role", "env"}); !s) return std::unexpected(s.error());
  auto role = requireString(r.body, "role");
  if (!role) return std::unexpected(role.error());
  if (!Identity::roleNames().count(*role)) {
    return invalid("unknown role '" + *role + "' (expected viewer, deployer, approver, hotfix or admin)", "role");
  }
  auto env = optionalString(r.body, "env");
  if (!env) return std::unexpected(env.error());
  std::string e = env->value_or("*");
  if (e.empty()) return invalid("must not be empty", "env");
  auto u = existingUser(st, r.params[0]);
  if (!u) return std::unexpected(u.error());
  json roles = u->roles.is_object() ? u->roles : json::object();
  std::set<std::string> set;
  if (roles.contains(e) && roles[e].is_array())
    for (auto& x : roles[e])
      if (x.is_string()) set.insert(x.get<std::string>());
  if (grant) {
    set.insert(*role);
  } else if (!set.erase(*role)) {
    return notFound(fmt::format("user {} has no role {} on {}", u->name, *role, e), "role");
  }
  if (set.empty()) roles.erase(e);
  else roles[e] = json(std::vector<std::string>(set.begin(), set.end()));
  if (!grant && u->name == r.actor && !Identity::principalOf(store::UserRecord{u->name, roles}, "").has("admin", "*")) {
    return failedPrecondition("you cannot take the admin role away from yourself", "role");
  }
  u->roles = roles;
  if (auto s = st.putUser(*u); !s) return std::unexpected(s.error());
  if (auto s = audit(st, clock, r, grant ? "user.grant" : "user.revoke_role",
                     {{"user", u->name}, {"role", *role}, {"env", e}, {"roles", roles}});
      !s) {
    return std::unexpected(s.error());
  }
  return ApiResponse{200, userJson(*u)};
}

}  // namespace

void addIdentityRoutes(ApiServer& api, Identity& identity, store::Store& st, Clock& clock) {
  const Access admin = Access::global("admin");

  api.route("GET", "/api/v1/users", admin, [&st](const ApiRequest&) -> Result<ApiResponse> {
    auto users = st.listUsers();
    if (!users) return std::unexpected(users.error());
    json arr = json::array();
    for (auto& u : *users) arr.push_back(userJson(u));
    return ApiResponse{200, arr};
  });

  api.route("POST", "/api/v1/users", admin, [&st, &clock](const ApiRequest& r) -> Result<ApiResponse> {
    if (auto s = onlyFields(r.body, {"name", "roles"}); !s) return std::unexpected(s.error());
    auto name = requireString(r.body, "name");
    if (!name) return std::unexpected(name.error());
    for (char c : *name) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '@')) {
        return invalid("user names use letters, digits, '-', '_', '.', '@'", "name");
      }
    }
    if (name->size() > 128) return invalid("at most 128 characters", "name");
    json roles = r.body.contains("roles") ? r.body["roles"] : json::object();
    if (auto s = Identity::checkRoles(roles); !s) return std::unexpected(s.error());
    auto existing = st.getUser(*name);
    if (existing) return conflict("user " + *name + " already exists (use grant / revoke-role)", "name");
    if (existing.error().code != ErrorCode::kNotFound) return std::unexpected(existing.error());
    store::UserRecord u{*name, roles, toUnixMillis(clock.now()), r.actor, false};
    if (auto s = st.putUser(u); !s) return std::unexpected(s.error());
    if (auto s = audit(st, clock, r, "user.add", {{"user", u.name}, {"roles", roles}}); !s) return std::unexpected(s.error());
    return ApiResponse{201, userJson(u)};
  });

  api.route("POST", "/api/v1/users/{name}/disable", admin, [&st, &clock](const ApiRequest& r) -> Result<ApiResponse> {
    if (auto s = onlyFields(r.body, {}); !s) return std::unexpected(s.error());
    if (r.params[0] == r.actor) return failedPrecondition("you cannot disable yourself", "name");
    auto u = existingUser(st, r.params[0]);
    if (!u) return std::unexpected(u.error());
    if (!u->disabled) {
      u->disabled = true;
      if (auto s = st.putUser(*u); !s) return std::unexpected(s.error());
      if (auto s = audit(st, clock, r, "user.disable", {{"user", u->name}}); !s) return std::unexpected(s.error());
    }
    return ApiResponse{200, userJson(*u)};
  });

  api.route("POST", "/api/v1/users/{name}/grant", admin,
            [&st, &clock](const ApiRequest& r) { return changeRole(st, clock, r, true); });
  api.route("POST", "/api/v1/users/{name}/revoke-role", admin,
            [&st, &clock](const ApiRequest& r) { return changeRole(st, clock, r, false); });

  api.route("GET", "/api/v1/tokens", admin, [&st, &clock](const ApiRequest& r) -> Result<ApiResponse> {
    std::optional<std::string> user;
    if (auto it = r.query.find("user"); it != r.query.end() && !it->second.empty()) user = it->second;
    auto list = st.listTokens(user);
    if (!list) return std::unexpected(list.error());
    int64_t now = toUnixMillis(clock.now());
    json arr = json::array();
    for (auto& t : *list) arr.push_back(tokenJson(t, now));
    return ApiResponse{200, arr};
  });

  api.route("POST", "/api/v1/tokens", admin, [&st, &clock, &identity](const ApiRequest& r) -> Result<ApiResponse> {
    if (auto s = onlyFields(r.body, {"user", "name", "expires"}); !s) return std::unexpected(s.error());
    auto user = requireString(r.body, "user");
    if (!user) return std::unexpected(user.error());
    auto name = optionalString(r.body, "name");
    if (!name) return std::unexpected(name.error());
    auto expires = optionalString(r.body, "expires");
    if (!expires) return std::unexpected(expires.error());
    std::optional<int64_t> expiresAt;
    if (*expires) {
      auto d = parseDuration(**expires);
      if (!d) return invalid("not a duration (e.g. 30d, 12h, 90s): " + d.error().message, "expires");
      if (d->count() <= 0) return invalid("must be a positive duration: a token that has already expired is useless",
                                          "expires");
      expiresAt = toUnixMillis(clock.now()) + d->count();
    }
    auto issued = identity.issueToken(*user, name->value_or(""), expiresAt);
    if (!issued) return std::unexpected(issued.error());
    if (auto s = audit(st, clock, r, "token.create",
                       {{"user", *user}, {"token_id", issued->record.id}, {"name", issued->record.name},
                        {"expires_at", iso(issued->record.expiresAt)}});
        !s) {
      return std::unexpected(s.error());
    }
    json out = tokenJson(issued->record, toUnixMillis(clock.now()));
    out["token"] = issued->token;
    return ApiResponse{201, out};
  });

  api.route("POST", "/api/v1/tokens/{id}/revoke", admin, [&st, &clock](const ApiRequest& r) -> Result<ApiResponse> {
    if (auto s = onlyFields(r.body, {}); !s) return std::unexpected(s.error());
    auto t = st.revokeToken(r.params[0], toUnixMillis(clock.now()));
    if (!t) {
      if (t.error().code == ErrorCode::kNotFound) return notFound("no token " + r.params[0], "id");
      return std::unexpected(t.error());
    }
    if (auto s = audit(st, clock, r, "token.revoke", {{"user", t->user}, {"token_id", t->id}}); !s) {
      return std::unexpected(s.error());
    }
    return ApiResponse{200, tokenJson(*t, toUnixMillis(clock.now()))};
  });
}

}  // namespace ramp::server
