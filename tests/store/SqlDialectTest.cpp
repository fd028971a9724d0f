// SqlDialectTest — the dialect layer's text rewriting: markers per dialect,
// and ?N placeholders to PostgreSQL's $N outside quoted text.
#include <gtest/gtest.h>

#include "store/PostgresConnection.h"
#include "store/SqlDialect.h"

using ramp::store::PostgresConnection;
using ramp::store::SqlDialect;

TEST(SqlDialect, MarkersExpandPerDialect) {
  const std::string sql = "SELECT x FROM t WHERE a = ?1 ORDER BY x{c} LIMIT ?2{for_update}";
  EXPECT_EQ(SqlDialect::sqlite().expand(sql), "SELECT x FROM t WHERE a = ?1 ORDER BY x LIMIT ?2");
  EXPECT_EQ(SqlDialect::postgres().expand(sql),
            "SELECT x FROM t WHERE a = ?1 ORDER BY x COLLATE \"C\" LIMIT ?2 FOR UPDATE");
  EXPECT_EQ(SqlDialect::sqlite().expand("id {autoid}, data {blob}"),
            "id INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB");
  EXPECT_EQ(SqlDialect::postgres().expand("id {autoid}, data {blob}"), "id BIGSERIAL PRIMARY KEY, data BYTEA");
  // Unknown braces stay as they are (JSON in a literal, say).
  EXPECT_EQ(SqlDialect::postgres().expand("SELECT '{\"a\":1}' {nope}"), "SELECT '{\"a\":1}' {nope}");
}

TEST(SqlDialect, PlaceholdersBecomeNumberedOutsideQuotes) {
  EXPECT_EQ(PostgresConnection::numberedPlaceholders("a = ?1 AND b = ?12"), "a = $1 AND b = $12");
  EXPECT_EQ(PostgresConnection::numberedPlaceholders("x = '?1' AND \"?2\" = ?3"), "x = '?1' AND \"?2\" = $3");
  EXPECT_EQ(PostgresConnection::numberedPlaceholders("x = 'it''s ?1' OR y = ?2"), "x = 'it''s ?1' OR y = $2");
  EXPECT_EQ(PostgresConnection::numberedPlaceholders("a ? b"), "a ? b") << "a bare ? is not a placeholder";
}
