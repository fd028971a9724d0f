// Identity.h — users and API tokens: who a bearer token belongs to, issuing
// and revoking tokens, and the first admin of a world.
//
// Contract:
//  - Tokens are "ramp_" + 48 random hex digits. Only their sha256 (hex) is
//    stored (store::TokenRecord); the plain token is returned once, by
//    issueToken() / ensureAdmin(), and never logged or put in the audit.
//  - authenticate(token) looks the hash up in the store on every call (no
//    cache), so a revocation, an expiry or a disabled user takes effect at
//    once. Refusals are kUnauthenticated (401) naming the reason: unknown
//    token, token ID revoked at T, token ID expired at T, user U disabled,
//    user U no longer exists.
//  - Roles are {env|"*": [role...]} with roles from roleNames(); specs
//    "ROLE" (= ROLE@*) or "ROLE@ENV" are parsed by rolesFromSpecs().
//  - ensureAdmin(home, user): the first start of a world creates `user` with
//    admin on "*" and a token in home/admin.token (mode 0600, created with
//    link(2) so two controllers starting together never overwrite each
//    other's file: the loser reads the winner's). On later starts the token
//    in the file is reused and (re)registered if the store does not know it
//    yet (a new store, or two controllers sharing a PostgreSQL: the first
//    registers it, the other finds it). An existing user is never changed.
//    A home without admin.token in a world that already has users (another
//    home, on another host, set the world up) gets no token: nullopt — one
//    world, one first admin; that home's CLI uses a token issued for it
//    (`ramp token create`, then --token / $RAMP_TOKEN / its admin.token).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/Clock.h"
#include "core/Result.h"
#include "server/Principal.h"
#include "store/Store.h"

namespace ramp::server {

struct IssuedToken {
  store::TokenRecord record;
  std::string token;  // the plain token: show once, never store
};

class Identity {
 public:
  Identity(store::Store& store, Clock& clock);

  static const std::set<std::string>& roleNames();
  // kInvalid naming "roles.ENV" for an unknown role name or a bad shape.
  static Status checkRoles(const store::Json& roles);
  // "deployer@int", "viewer" (every env). kInvalid naming `where` (a flag).
  static Result<store::Json> rolesFromSpecs(const std::vector<std::string>& specs, const std::string& where);
  static Principal principalOf(const store::UserRecord& user, const std::string& tokenId);

  // A valid token's user as a Principal; kUnauthenticated naming the token
  // (unknown, revoked, expired, user gone or disabled). Records the token's
  // last use (store touchToken) at most once per kTokenUseResolutionMs.
  Result<Principal> authenticate(const std::string& token) const;
  static constexpr int64_t kTokenUseResolutionMs = 60'000;

  // A new token for an existing, enabled user. expiresAt (Unix ms) must be
  // in the future (kInvalid naming "expires" otherwise).
  Result<IssuedToken> issueToken(const std::string& user, const std::string& name,
                                 std::optional<int64_t> expiresAt) const;

  // Returns the admin token, or nullopt when this home has none and the
  // world's first admin was made elsewhere (see the contract above).
  Result<std::optional<std::string>> ensureAdmin(const std::filesystem::path& home, const std::string& user) const;

 private:
  store::Store& store_;
  Clock& clock_;
};

}  // namespace ramp::server
