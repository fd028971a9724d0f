// JsonText.h — JSON documents to and from the TEXT columns of the store.
//
// Both stores keep JSON as compact text with sorted keys (nlohmann::json's
// object order), so the bytes read back are the bytes written. Writing
// refuses values that cannot be encoded (invalid UTF-8 in a string) with
// kInvalid naming the field; reading a column that does not parse (a row
// edited by hand) is kInternal naming the row.
#pragma once

#include <string>
#include <string_view>

#include "core/Result.h"
#include "store/Store.h"

namespace ramp::store {

Result<std::string> toJsonText(const Json& value, std::string_view where);
Result<Json> fromJsonText(const std::string& text, std::string_view where);

}  // namespace ramp::store
