// Json.h — the JSON type of the store's records (their documents, kept as
// text: JsonText.h), named once for every store header.
#pragma once

#include <nlohmann/json.hpp>

namespace ramp::store {

using Json = nlohmann::json;

}  // namespace ramp::store
