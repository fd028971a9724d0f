// FieldReader.h — reads the fields of one JSON object strictly, naming the
// JSON path of the first problem (the plan file, the stored state, the
// apply journal).
//
// Each getter returns the field's value, or an empty value once anything
// failed; the FIRST failure is kept and later getters do nothing, so a
// reader is a list of getters followed by one check:
//
//   FieldReader rd(j, "changes[2]");
//   c.address = rd.str("address");
//   c.region = rd.optionalStr("region");
//   if (!rd.ok()) return std::unexpected(rd.error());
//
// Paths: where + "." + key ("changes[2].address"; just key when where is
// ""). Errors are kInvalid: "missing (a string)", "expected a string, got
// number", "expected a whole number", "expected true or false", "expected a
// list of strings" (or "expected a string" at key[i]), "expected an
// object"; a value that is not an object at all fails at `where`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Result.h"

namespace ramp::infra {

class FieldReader {
 public:
  FieldReader(const nlohmann::json& j, std::string where);

  std::string at(const std::string& key) const;

  std::string str(const std::string& key);          // required
  std::string optionalStr(const std::string& key);  // missing or null: ""
  int64_t integer(const std::string& key);
  bool boolean(const std::string& key);
  std::vector<std::string> strings(const std::string& key);
  nlohmann::json object(const std::string& key);

  // Records a failure of the reader's own (a value out of range) at `key`,
  // unless one is already recorded.
  void fail(const std::string& message, const std::string& key);

  bool ok() const { return !error_; }
  const Error& error() const { return *error_; }

 private:
  const nlohmann::json* field(const std::string& key) const;  // nullptr: absent (or failed already)
  void failAt(std::string message, std::string where);

  const nlohmann::json& j_;
  std::string where_;
  std::optional<Error> error_;
};

}  // namespace ramp::infra
