#include "store/SqlValue.h"

#include <charconv>

namespace ramp::store {

std::string SqlRow::text(size_t c) const {
  const Cell& v = cells_.at(c);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* n = std::get_if<int64_t>(&v)) return std::to_string(*n);
  return {};
}

int64_t SqlRow::int64(size_t c) const {
  const Cell& v = cells_.at(c);
  if (auto* n = std::get_if<int64_t>(&v)) return *n;
  if (auto* s = std::get_if<std::string>(&v)) {
    int64_t out = 0;
    std::from_chars(s->data(), s->data() + s->size(), out);
    return out;
  }
  return 0;
}

std::optional<int64_t> SqlRow::optInt64(size_t c) const {
  if (isNull(c)) return std::nullopt;
  return int64(c);
}

}  // namespace ramp::store
