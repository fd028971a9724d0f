#include "store/IdentityRows.h"

namespace ramp::store {

Status checkUserRecord(const UserRecord& u) {
  if (u.name.empty()) return invalid("user name is empty", "name");
  if (!u.roles.is_object()) return invalid("roles must be an object {env: [roles]}", "roles");
  for (const auto& [env, list] : u.roles.items()) {
    if (env.empty()) return invalid("environment name is empty", "roles");
    if (!list.is_array()) return invalid("must be an array of role names", "roles." + env);
    for (const auto& r : list) {
      if (!r.is_string()) return invalid("must be an array of role names", "roles." + env);
    }
  }
  return ok();
}

Status checkTokenRecord(const TokenRecord& t) {
  if (t.id.empty()) return invalid("token id is empty", "id");
  if (t.user.empty()) return invalid("token user is empty", "user");
  if (t.sha256.empty()) return invalid("token sha256 is empty", "sha256");
  return ok();
}

}  // namespace ramp::store
