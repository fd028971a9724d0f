// RunSpecJson.h — a RunSpec as the local provider writes it in its files
// (the fleet record's spec and the instance shim's launch file):
// {"command": "...", "args": [...], "env": {...}}, env UNRESOLVED (secret
// references stay as written). nlohmann's to_json/from_json, found by ADL:
// `{"run", spec.run}` writes it, `j.at("run").get<RunSpec>()` reads it and,
// like every reader of those files, throws nlohmann::json::exception when a
// key is missing or of the wrong type (the callers turn that into kInvalid).
#pragma once

#include <nlohmann/json.hpp>

#include "providers/Provider.h"

namespace ramp::providers {

void to_json(nlohmann::json& j, const RunSpec& run);
void from_json(const nlohmann::json& j, RunSpec& run);

}  // namespace ramp::providers
