// Schema.h — the JSON Schema (draft-07) of ramp.yaml, for editors.
//
// `ramp schema` prints it; VS Code's YAML extension picks it up with
//   # yaml-language-server: $schema=./ramp.schema.json
// Property names come from ConfigKeys.h, the same lists the loader accepts.
// The schema checks shape (names, types, enums, duration and reference
// patterns); cross-field rules (increasing weights, known names, canary needs
// health) are the loader's, reported by `ramp validate`.
#pragma once

#include <nlohmann/json.hpp>

namespace ramp::config {

nlohmann::json configSchema();

}  // namespace ramp::config
