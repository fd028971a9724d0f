// IdentityRoutes.h — users and tokens over the API (admin on "*" only).
//
//   GET  /api/v1/users                     -> [{name, roles, created_at, created_by, disabled}]
//   POST /api/v1/users {name, roles}       -> 201 the user; 409 if it exists
//        roles: {"ENV or *": ["viewer"|"deployer"|"approver"|"hotfix"|"admin"]}
//   POST /api/v1/users/{name}/disable      -> the user (its tokens stop working at once)
//   POST /api/v1/users/{name}/grant {role, env?}        env absent = "*"
//   POST /api/v1/users/{name}/revoke-role {role, env?}
//   GET  /api/v1/tokens?user=              -> [{id, user, name, created_at, expires_at,
//                                               revoked_at, state}]  (never the token or its hash)
//   POST /api/v1/tokens {user, name?, expires?}  expires: a duration ("30d", "1s")
//        -> 201 {id, user, name, token, created_at, expires_at}: the only time the token is shown
//   POST /api/v1/tokens/{id}/revoke        -> the token record (revoked_at set)
//
// Every change is an audit event (user.add, user.disable, user.grant,
// user.revoke_role, token.create, token.revoke) with the acting user, never
// with a token or its hash. Bad input is a 400 naming the field.
#pragma once

#include "core/Clock.h"
#include "server/ApiServer.h"
#include "server/Identity.h"
#include "store/Store.h"

namespace ramp::server {

void addIdentityRoutes(ApiServer& api, Identity& identity, store::Store& store, Clock& clock);

}  // namespace ramp::server
