// WaveFields.h — the "waves" field of a deployment or promotion request
// (regions in waves, src/engine/Waves.cpp):
//
//   "waves": [{"region": "eu-west-1", "rendered": {...}, "config_digest": "sha256:..."}, ...]
//
// absent or null = one region (the request's "region"). Present, it must be
// a non-empty list of objects with exactly those fields: region a non-empty
// string, rendered an object, config_digest a string. Errors are kInvalid
// naming the field (waves[1].rendered). The engine then checks the regions
// themselves (unknown region, duplicates, config rendered for another
// region) with the same field names.
//
// "rollback_all_regions": true (a boolean, default false) goes with waves:
// a rollback in a region rolls back the regions before it too.
#pragma once

#include <nlohmann/json.hpp>

#include "core/Result.h"
#include "engine/Engine.h"

namespace ramp::server {

Status readWaveFields(const nlohmann::json& body, engine::DeployRequest& req);

}  // namespace ramp::server
