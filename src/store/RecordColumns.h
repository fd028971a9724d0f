// RecordColumns.h — a record's table columns, each named once next to the
// record's field it holds, in the order SqlStore selects them.
//
// names() is the column list of the SELECT (and of the INSERT) and read()
// fills a record from a row in that same order, so the list and the reading
// cannot drift apart (no column numbers written by hand). The field's type
// says how its cell is read (SqlValue.h: a NULL reads as "" / 0 / nullopt):
//   std::string              text
//   int64_t / int            integer
//   std::optional<int64_t>   integer or NULL
//   bool                     integer, true unless 0
//   Json                     JSON text (JsonText.h), kInternal when it does
//                            not parse, naming the record by `label` (of the
//                            fields read so far, i.e. those before it)
// Used by SqlStore.cpp only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/Result.h"
#include "store/JsonText.h"
#include "store/SqlValue.h"

namespace ramp::store {

template <class T>
class RecordColumns {
 public:
  using Field = std::variant<std::string T::*, int64_t T::*, int T::*, std::optional<int64_t> T::*, bool T::*,
                             Json T::*>;
  struct Column {
    const char* name;
    Field field;
  };

  // `label` names a record in errors about its JSON columns, e.g. "release api@1.2".
  RecordColumns(std::vector<Column> columns, std::function<std::string(const T&)> label)
      : columns_(std::move(columns)), label_(std::move(label)) {}

  // "a, b, c": the columns in their order.
  std::string names() const {
    std::string out;
    for (const Column& c : columns_) {
      if (!out.empty()) out += ", ";
      out += c.name;
    }
    return out;
  }

  // The record in `row`, whose cells are the columns in their order.
  Result<T> read(const SqlRow& row) const {
    T r;
    for (size_t c = 0; c < columns_.size(); ++c) {
      Status st = std::visit([&](auto field) { return readCell(row, c, r, r.*field); }, columns_[c].field);
      if (!st) return std::unexpected(st.error());
    }
    return r;
  }

 private:
  Status readCell(const SqlRow& row, size_t c, const T&, std::string& v) const {
    v = row.text(c);
    return ok();
  }
  Status readCell(const SqlRow& row, size_t c, const T&, int64_t& v) const {
    v = row.int64(c);
    return ok();
  }
  Status readCell(const SqlRow& row, size_t c, const T&, int& v) const {
    v = static_cast<int>(row.int64(c));
    return ok();
  }
  Status readCell(const SqlRow& row, size_t c, const T&, std::optional<int64_t>& v) const {
    v = row.optInt64(c);
    return ok();
  }
  Status readCell(const SqlRow& row, size_t c, const T&, bool& v) const {
    v = row.int64(c) != 0;
    return ok();
  }
  Status readCell(const SqlRow& row, size_t c, const T& r, Json& v) const {
    auto doc = fromJsonText(row.text(c), label_(r));
    if (!doc) return std::unexpected(doc.error());
    v = std::move(*doc);
    return ok();
  }

  std::vector<Column> columns_;
  std::function<std::string(const T&)> label_;
};

}  // namespace ramp::store
