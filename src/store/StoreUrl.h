// StoreUrl.h — what a store URL names, and how to show it without secrets.
//
// Accepted forms (Store.h, openStore):
//   sqlite:///abs/path.db        SQLite file at /abs/path.db
//   /some/path.db, ./x.db, x.db   a plain path: SQLite
//   postgresql://... postgres://...  a libpq connection URI, passed as-is
//                                 (Unix socket directory: ?host=/dir)
// Anything else with a "scheme://" is refused, naming the scheme.
//
// redactStoreUrl hides passwords ("user:secret@" → "user:***@",
// "password=secret" → "password=***"); every error that names a URL uses it.
#pragma once

#include <string>

#include "core/Result.h"

namespace ramp::store {

struct StoreUrl {
  enum class Kind { kSqlite, kPostgres };
  Kind kind = Kind::kSqlite;
  std::string target;  // SQLite: the file path; PostgreSQL: the URI as given
};

Result<StoreUrl> parseStoreUrl(const std::string& url);

std::string redactStoreUrl(const std::string& url);

}  // namespace ramp::store
