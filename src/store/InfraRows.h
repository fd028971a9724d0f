// InfraRows.h — checks and the compare-and-swap rule shared by both stores
// for the infrastructure state and journal rows (Store.h, issue 9).
//
// checkInfraStateWrite: non-empty project, env and lineage, expectedSerial
// >= 0 (kInvalid naming the field). decideInfraStateWrite: given the stored
// (lineage, serial) or nullopt when no row exists, accepts the write only
// when the stored serial equals expectedSerial (0 for no row) and the
// lineages agree; otherwise kConflict naming project/env/region and both
// serials or both lineages. checkInfraJournalEntry: non-empty apply_id,
// project, env, address, action, status (kInvalid naming the field).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "core/Result.h"
#include "store/Store.h"

namespace ramp::store {

Status checkInfraStateWrite(const InfraStateRecord& r, int64_t expectedSerial);
Status decideInfraStateWrite(const InfraStateRecord& r, int64_t expectedSerial,
                             const std::optional<std::pair<std::string, int64_t>>& current);
Status checkInfraJournalEntry(const InfraJournalRecord& e);

}  // namespace ramp::store
