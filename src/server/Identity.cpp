#include "server/Identity.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/Home.h"
#include "core/Sha256.h"

namespace ramp::server {

namespace fs = std::filesystem;
using store::Json;

namespace {

std::string iso(int64_t ms) { return formatTime(fromUnixMillis(ms)); }

std::string newToken() { return "ramp_" + randomHex(24); }
std::string newTokenId() { return "tok-" + randomHex(6); }

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Publishes `content` at `path` only if nothing is there yet: written to a
// private temporary file, then link(2)ed into place (fails with EEXIST
// instead of replacing). Returns false when the file already existed.
Result<bool> createExclusive(const fs::path& path, const std::string& content) {
  fs::path tmp = path;
  tmp += ".tmp-" + randomHex(6);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return unavailable(fmt::format("cannot create {}: {}", tmp.string(), std::strerror(errno)));
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    return unavailable("cannot write " + tmp.string());
  }
  int rc = ::link(tmp.c_str(), path.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc == 0) return true;
  if (err == EEXIST) return false;
  return unavailable(fmt::format("cannot create {}: {}", path.string(), std::strerror(err)));
}

}  // namespace

Identity::Identity(store::Store& store, Clock& clock) : store_(store), clock_(clock) {}

const std::set<std::string>& Identity::roleNames() {
  static const std::set<std::string> names = {"viewer", "deployer", "approver", "hotfix", "admin"};
  return names;
}

Status Identity::checkRoles(const Json& roles) {
  if (!roles.is_object()) return invalid("must be an object {\"ENV or *\": [roles]}", "roles");
  for (const auto& [env, list] : roles.items()) {
    if (env.empty()) return invalid("environment name is empty", "roles");
    if (!list.is_array()) return invalid("must be an array of role names", "roles." + env);
    for (const auto& r : list) {
      if (!r.is_string() || !roleNames().count(r.get<std::string>())) {
        return invalid(fmt::format("unknown role {} (expected viewer, deployer, approver, hotfix or admin)", r.dump()),
                       "roles." + env);
      }
    }
  }
  return ok();
}

Result<Json> Identity::rolesFromSpecs(const std::vector<std::string>& specs, const std::string& where) {
  std::map<std::string, std::set<std::string>> grants;
  for (const auto& spec : specs) {
    auto at = spec.find('@');
    std::string role = spec.substr(0, at);
    std::string env = at == std::string::npos ? "*" : spec.substr(at + 1);
    if (!roleNames().count(role)) {
      return invalid(fmt::format("unknown role '{}' in '{}' (expected viewer, deployer, approver, hotfix or admin, "
                                 "optionally @ENV)",
                                 role, spec),
                     where);
    }
    if (env.empty()) return invalid(fmt::format("empty environment after '@' in '{}'", spec), where);
    grants[env].insert(role);
  }
  Json out = Json::object();
  for (const auto& [env, rs] : grants) out[env] = Json(std::vector<std::string>(rs.begin(), rs.end()));
  return out;
}

Principal Identity::principalOf(const store::UserRecord& user, const std::string& tokenId) {
  Principal p;
  p.user = user.name;
  p.tokenId = tokenId;
  if (user.roles.is_object()) {
    for (const auto& [env, list] : user.roles.items()) {
      if (!list.is_array()) continue;
      for (const auto& r : list)
        if (r.is_string()) p.roles[env].insert(r.get<std::string>());
    }
  }
  return p;
}

Result<Principal> Identity::authenticate(const std::string& token) const {
  if (token.empty()) return fail(ErrorCode::kUnauthenticated, "empty bearer token", "Authorization");
  auto rec = store_.findTokenBySha256(sha256Hex(token));
  if (!rec) {
    if (rec.error().code == ErrorCode::kNotFound) {
      return fail(ErrorCode::kUnauthenticated, "unknown token (not issued by this ramp world)", "Authorization");
    }
    return std::unexpected(rec.error());
  }
  int64_t now = toUnixMillis(clock_.now());
  if (rec->revokedAt) {
    return fail(ErrorCode::kUnauthenticated,
                fmt::format("token {} was revoked at {}", rec->id, iso(*rec->revokedAt)), "Authorization");
  }
  if (rec->expiresAt && *rec->expiresAt <= now) {
    return fail(ErrorCode::kUnauthenticated,
                fmt::format("token {} expired at {}", rec->id, iso(*rec->expiresAt)), "Authorization");
  }
  auto user = store_.getUser(rec->user);
  if (!user) {
    if (user.error().code == ErrorCode::kNotFound) {
      return fail(ErrorCode::kUnauthenticated,
                  fmt::format("token {} belongs to user {}, who no longer exists", rec->id, rec->user), "Authorization");
    }
    return std::unexpected(user.error());
  }
  if (user->disabled) {
    return fail(ErrorCode::kUnauthenticated, fmt::format("user {} is disabled", user->name), "Authorization");
  }
  // When the token was last used, to the minute: `ramp token list` shows it
  // so unused tokens can be found and revoked. At most one write per token
  // per minute, not one per request. A failure to record it does not refuse
  // the request (the token is valid); it is logged.
  if (!rec->lastUsedAt || now - *rec->lastUsedAt >= kTokenUseResolutionMs) {
    if (auto t = store_.touchToken(rec->id, now); !t) {
      spdlog::warn("could not record the use of token {}: {}", rec->id, t.error().describe());
    }
  }
  return principalOf(*user, rec->id);
}

Result<IssuedToken> Identity::issueToken(const std::string& user, const std::string& name,
                                         std::optional<int64_t> expiresAt) const {
  auto u = store_.getUser(user);
  if (!u) {
    if (u.error().code == ErrorCode::kNotFound) return notFound("no user " + user, "user");
    return std::unexpected(u.error());
  }
  if (u->disabled) return failedPrecondition("user " + user + " is disabled", "user");
  int64_t now = toUnixMillis(clock_.now());
  if (expiresAt && *expiresAt <= now) {
    return invalid(fmt::format("expiry {} is not in the future", iso(*expiresAt)), "expires");
  }
  IssuedToken out;
  out.token = newToken();
  out.record = store::TokenRecord{newTokenId(), user, name, sha256Hex(out.token), now, expiresAt, {}, {}};
  if (auto s = store_.insertToken(out.record); !s) return std::unexpected(s.error());
  return out;
}

Result<std::optional<std::string>> Identity::ensureAdmin(const fs::path& home, const std::string& user) const {
  fs::path path = home / "admin.token";
  std::string token;
  for (int attempt = 0; attempt < 5 && token.empty(); ++attempt) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      // One world, one first admin: a home joining a world that is set up
      // (users exist) mints no second admin token. The users are read
      // BEFORE the file is looked at again: a controller of this home makes
      // its file before its user, so a user seen here whose file is still
      // absent belongs to another home (reading in the other order let a
      // second controller starting together with the first see the user and
      // miss the file it had just made).
      auto users = store_.listUsers();
      if (!users) return std::unexpected(users.error());
      if (!users->empty() && !fs::exists(path, ec)) return std::optional<std::string>();
    }
    if (fs::exists(path, ec)) {
      auto t = readFile(path, 4096);
      if (!t) return std::unexpected(t.error());
      token = trimmed(*t);
      if (token.empty()) {
        return failedPrecondition("the admin token file is empty; remove it to have a new admin token made",
                                  path.string());
      }
      // Readable only by its owner, whatever made it.
      ::chmod(path.c_str(), 0600);
      break;
    }
    std::string fresh = newToken();
    auto created = createExclusive(path, fresh + "\n");
    if (!created) return std::unexpected(created.error());
    if (*created) token = fresh;  // else: another controller was first; read its file
  }
  if (token.empty()) return unavailable("could not create or read " + path.string());

  auto existing = store_.findTokenBySha256(sha256Hex(token));
  if (existing) return std::optional<std::string>(token);
  if (existing.error().code != ErrorCode::kNotFound) return std::unexpected(existing.error());

  int64_t now = toUnixMillis(clock_.now());
  auto u = store_.getUser(user);
  if (!u) {
    if (u.error().code != ErrorCode::kNotFound) return std::unexpected(u.error());
    store::UserRecord admin{user, Json{{"*", Json::array({"admin"})}}, now, "ramp", false};
    if (auto s = store_.putUser(admin); !s) return std::unexpected(s.error());
    (void)store_.appendEvent(store::AuditEventInput{
        now, "ramp", "user.add", "", "", "", Json{{"user", user}, {"roles", admin.roles}, {"reason", "first start"}}});
  }
  store::TokenRecord rec{newTokenId(), user, "admin.token", sha256Hex(token), now, {}, {}, {}};
  auto ins = store_.insertToken(rec);
  if (!ins && ins.error().code != ErrorCode::kConflict) return std::unexpected(ins.error());
  if (ins) {
    (void)store_.appendEvent(store::AuditEventInput{
        now, "ramp", "token.create", "", "", "", Json{{"user", user}, {"token_id", rec.id}, {"name", rec.name}}});
  }
  return std::optional<std::string>(token);
}

}  // namespace ramp::server
