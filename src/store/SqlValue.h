// SqlValue.h — parameters and result rows of the SQL layer (SqlConnection.h).
//
// A parameter is NULL, a 64-bit integer, UTF-8 text or a blob (bytes). A
// result cell is NULL, an integer or bytes: SQLite hands back integers as
// integers, PostgreSQL (text result format) hands back everything as text
// and bytea columns already decoded to their bytes. The accessors convert
// where the two disagree, so the code above reads rows the same way from
// both: int64() of a text cell parses it, text() of an integer formats it.
// A NULL reads as "" / 0 / nullopt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace ramp::store {

struct SqlBlob {
  std::string bytes;
};

using SqlValue = std::variant<std::monostate, int64_t, std::string, SqlBlob>;

inline SqlValue sqlOpt(const std::optional<int64_t>& v) { return v ? SqlValue(*v) : SqlValue(); }
inline SqlValue sqlOpt(const std::optional<std::string>& v) { return v ? SqlValue(*v) : SqlValue(); }

class SqlRow {
 public:
  using Cell = std::variant<std::monostate, int64_t, std::string>;
  explicit SqlRow(std::vector<Cell> cells) : cells_(std::move(cells)) {}

  size_t size() const { return cells_.size(); }
  bool isNull(size_t c) const { return std::holds_alternative<std::monostate>(cells_.at(c)); }
  std::string text(size_t c) const;
  int64_t int64(size_t c) const;
  std::optional<int64_t> optInt64(size_t c) const;

 private:
  std::vector<Cell> cells_;
};

struct SqlResult {
  std::vector<SqlRow> rows;
  int64_t changes = 0;  // rows inserted, updated or deleted by the statement

  bool empty() const { return rows.empty(); }
  const SqlRow& front() const { return rows.front(); }
};

}  // namespace ramp::store
