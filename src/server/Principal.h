// Principal.h — who is calling the API, and what they may do where.
//
// The authenticator (Controller / server/Identity*) turns a bearer token into
// a Principal; ApiServer puts it on every ApiRequest. Roles are granted per
// environment ("*" = every environment):
//   viewer    read anything in the environment
//   deployer  deploy, promote into, pause/resume/promote-now/abort/rollback
//   approver  approve or reject requests to deploy into the environment
//   hotfix    deploy out of pipeline order (--hotfix) into the environment
//   admin     all of the above plus users, tokens, `down`, audit seal
// Every role implies viewer; admin implies every role. Handlers check with
// Principal::has(role, env); the RBAC matrix test (tests/identity) proves it.
#pragma once

#include <map>
#include <set>
#include <string>

namespace ramp::server {

struct Principal {
  std::string user;                                  // the user the token belongs to
  std::string tokenId;                               // which token (for audit), may be empty
  std::map<std::string, std::set<std::string>> roles;  // env or "*" -> roles

  // True when the principal holds `role` (or admin, or for "viewer" any role)
  // in `env` or in "*". env "" asks for a grant in "*" or in any environment
  // (used by reads that span environments).
  bool has(const std::string& role, const std::string& env) const {
    auto grants = [&](const std::set<std::string>& rs) {
      if (rs.count("admin") || rs.count(role)) return true;
      return role == "viewer" && !rs.empty();
    };
    if (auto it = roles.find("*"); it != roles.end() && grants(it->second)) return true;
    if (env.empty()) {
      for (const auto& [e, rs] : roles)
        if (grants(rs)) return true;
      return false;
    }
    if (auto it = roles.find(env); it != roles.end() && grants(it->second)) return true;
    return false;
  }
};

}  // namespace ramp::server
