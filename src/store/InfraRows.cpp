#include "store/InfraRows.h"

#include <fmt/format.h>

namespace ramp::store {

namespace {

std::string where(const InfraStateRecord& r) {
  return fmt::format("infra state {}/{}/{}", r.project, r.env, r.region.empty() ? "global" : r.region);
}

}  // namespace

Status checkInfraStateWrite(const InfraStateRecord& r, int64_t expectedSerial) {
  if (r.project.empty()) return invalid("infra state project is empty", "project");
  if (r.env.empty()) return invalid("infra state env is empty", "env");
  if (r.lineage.empty()) return invalid("infra state lineage is empty", "lineage");
  if (expectedSerial < 0) {
    return invalid(fmt::format("expected serial must be >= 0, got {}", expectedSerial), "serial");
  }
  if (!r.resources.is_object()) return invalid("infra state resources must be a JSON object", "resources");
  return ok();
}

Status decideInfraStateWrite(const InfraStateRecord& r, int64_t expectedSerial,
                             const std::optional<std::pair<std::string, int64_t>>& current) {
  if (!current) {
    if (expectedSerial == 0) return ok();
    return conflict(fmt::format("state was expected at serial {} but has never been written",
                                expectedSerial),
                    where(r));
  }
  if (current->first != r.lineage) {
    return conflict(fmt::format("lineage differs: the store holds lineage {}, this write carries {}",
                                current->first, r.lineage),
                    where(r));
  }
  if (current->second != expectedSerial) {
    return conflict(fmt::format("state changed since it was read: it is at serial {}, this write "
                                "was based on serial {}",
                                current->second, expectedSerial),
                    where(r));
  }
  return ok();
}

Status checkInfraJournalEntry(const InfraJournalRecord& e) {
  if (e.applyId.empty()) return invalid("infra journal apply_id is empty", "apply_id");
  if (e.project.empty()) return invalid("infra journal project is empty", "project");
  if (e.env.empty()) return invalid("infra journal env is empty", "env");
  if (e.address.empty()) return invalid("infra journal address is empty", "address");
  if (e.action.empty()) return invalid("infra journal action is empty", "action");
  if (e.status.empty()) return invalid("infra journal status is empty", "status");
  return ok();
}

}  // namespace ramp::store
