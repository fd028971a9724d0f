#include "store/JsonText.h"

#include <fmt/format.h>

namespace ramp::store {

Result<std::string> toJsonText(const Json& value, std::string_view where) {
  try {
    return value.dump();
  } catch (const Json::exception& e) {
    return invalid(fmt::format("cannot store JSON: {}", e.what()), std::string(where));
  }
}

Result<Json> fromJsonText(const std::string& text, std::string_view where) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    return internal(fmt::format("stored JSON does not parse: {}", e.what()), std::string(where));
  }
}

}  // namespace ramp::store
