// StoreFactory.cpp — openStore (declared in Store.h): URL → a migrated Store.
#include <fmt/format.h>

#include "store/PostgresConnection.h"
#include "store/SqlStore.h"
#include "store/SqliteConnection.h"
#include "store/Store.h"
#include "store/StoreUrl.h"

namespace ramp::store {

Result<std::unique_ptr<Store>> openStore(const std::string& url) {
  auto parsed = parseStoreUrl(url);
  if (!parsed) return std::unexpected(parsed.error());
  std::unique_ptr<SqlConnection> conn;
  SqlConnectionPool::Opener openReader;
  if (parsed->kind == StoreUrl::Kind::kPostgres) {
    auto pg = PostgresConnection::open(parsed->target);
    if (!pg) return std::unexpected(pg.error());
    conn = std::move(*pg);
    openReader = [target = parsed->target]() -> Result<std::unique_ptr<SqlConnection>> {
      auto r = PostgresConnection::open(target, PostgresConnection::Access::kReadOnly);
      if (!r) return std::unexpected(r.error());
      return std::unique_ptr<SqlConnection>(std::move(*r));
    };
  } else {
    auto lite = SqliteConnection::open(parsed->target);
    if (!lite) return std::unexpected(lite.error());
    conn = std::move(*lite);
    openReader = [target = parsed->target]() -> Result<std::unique_ptr<SqlConnection>> {
      auto r = SqliteConnection::openReader(target);
      if (!r) return std::unexpected(r.error());
      return std::unique_ptr<SqlConnection>(std::move(*r));
    };
  }
  auto readers = std::make_unique<SqlConnectionPool>(std::move(openReader), kStoreReadConnections, kStoreReadWait,
                                                     conn->where());
  auto store = std::make_unique<SqlStore>(std::move(conn), std::move(readers));
  if (auto st = store->migrate(); !st) {
    Error e = st.error();
    e.message = fmt::format("migrating store {}: {}", redactStoreUrl(url), e.message);
    return std::unexpected(e);
  }
  return store;
}

}  // namespace ramp::store
