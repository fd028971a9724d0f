// IdentityStore.h — the store's role for users and API tokens.
//
// Users: putUser inserts or replaces by name (roles, disabled); the first
// insert's created_at/created_by are kept. kInvalid for an empty name or
// roles that are not an object of string arrays (IdentityRows.h). getUser:
// kNotFound. listUsers: by name (byte order).
// Tokens (only the sha256 of a token is stored): insertToken: kConflict
// when the id or the sha256 exists, kInvalid for an empty id/user/sha256
// (the user need not exist: callers check). findTokenBySha256: kNotFound
// when no token has that hash (revoked and expired ones are returned: the
// caller says which it is). listTokens: oldest first, all users or one.
// revokeToken: sets revoked_at = now and returns the record; a token
// already revoked keeps its first revoked_at (still OK); kNotFound for an
// unknown id. touchToken: sets last_used_at = at unless it already holds a
// later time (concurrent controllers never move it backwards); kNotFound
// for an unknown id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/Result.h"
#include "store/Json.h"

namespace ramp::store {

// A person or a script that may call the API. `roles` maps an environment
// name, or "*" for every environment, to role names
// (viewer|deployer|approver|hotfix|admin), e.g. {"*": ["viewer"], "prod": ["approver"]}.
struct UserRecord {
  std::string name;
  Json roles = Json::object();
  int64_t createdAt = 0;
  std::string createdBy;
  bool disabled = false;
};

// An API token. Only its sha256 (hex of the plain token) is stored; the
// plain token is shown once, when it is created.
struct TokenRecord {
  std::string id;          // "tok-<hex>"
  std::string user;
  std::string name;        // what it is for ("ci", "laptop"), may be empty
  std::string sha256;      // lower-case hex of sha256(plain token), unique
  int64_t createdAt = 0;
  std::optional<int64_t> expiresAt;  // refused from then on
  std::optional<int64_t> revokedAt;  // refused from then on
  std::optional<int64_t> lastUsedAt; // the last authenticated request, to the minute (Identity)
};

class IdentityStore {
 public:
  virtual ~IdentityStore() = default;
  virtual Status putUser(const UserRecord& u) = 0;
  virtual Result<UserRecord> getUser(const std::string& name) = 0;
  virtual Result<std::vector<UserRecord>> listUsers() = 0;

  virtual Status insertToken(const TokenRecord& t) = 0;
  virtual Result<TokenRecord> findTokenBySha256(const std::string& sha256) = 0;
  virtual Result<std::vector<TokenRecord>> listTokens(const std::optional<std::string>& user) = 0;
  virtual Result<TokenRecord> revokeToken(const std::string& id, int64_t now) = 0;
  virtual Status touchToken(const std::string& id, int64_t at) = 0;
};

}  // namespace ramp::store
