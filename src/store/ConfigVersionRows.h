// ConfigVersionRows.h — what both stores share for the config_versions rows
// (ConfigVersionStore.h): the checks, the rules for appending and updating
// (which version must be in force, which revision), and the JSON document
// column that carries everything but the indexed fields.
//
// checkConfigVersion: non-empty digest and pushedBy, files an array, state
//   known (kInvalid naming the field).
// decideAppend: given the version in force now (0 = none), accepts an
//   in_force append only when it equals r.baseVersion (kConflict naming
//   both), a pending one always.
// decideUpdate: given the stored (state, revision) and the version in
//   force, accepts only a pending row at r.revision, and a move to in_force
//   only while r.baseVersion is still in force.
// docOf / applyDoc: the record's doc column (git, message, files, doc) and
//   back.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/Result.h"
#include "store/ConfigVersionStore.h"

namespace ramp::store {

inline constexpr const char* kConfigVersionCols =
    "version, state, base_version, digest, pushed_by, pushed_at, revision, updated_at, doc";

bool isConfigVersionState(const std::string& s);
Status checkConfigVersion(const ConfigVersionRecord& r);
Status decideAppend(const ConfigVersionRecord& r, int64_t inForce);
Status decideUpdate(const ConfigVersionRecord& r, const std::string& storedState, int64_t storedRevision,
                    int64_t inForce);
nlohmann::json docOf(const ConfigVersionRecord& r);
Status applyDoc(ConfigVersionRecord& r, const nlohmann::json& doc);

}  // namespace ramp::store
