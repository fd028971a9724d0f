// IdentityRows.h — checks shared by both stores for user and token rows.
//
// checkUserRecord: a non-empty name and roles that are a JSON object whose
// values are arrays of strings (the store does not judge role names; the
// server's Identity does). checkTokenRecord: non-empty id, user and sha256.
// Both return kInvalid naming the field.
#pragma once

#include "core/Result.h"
#include "store/Store.h"

namespace ramp::store {

Status checkUserRecord(const UserRecord& u);
Status checkTokenRecord(const TokenRecord& t);

}  // namespace ramp::store
