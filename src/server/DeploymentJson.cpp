#include "server/DeploymentJson.h"

#include "core/Clock.h"

namespace ramp::server {

using nlohmann::json;

json deploymentJson(const engine::Deployment& d) {
  auto iso = [](int64_t ms) { return ms ? json(formatTime(fromUnixMillis(ms))) : json(nullptr); };
  return {{"id", d.id},
          {"service", d.service},
          {"env", d.env},
          {"region", d.region},
          {"state", d.state},
          {"phase", d.phase},
          {"strategy", d.strategy},
          {"kind", d.kind},
          {"step", d.step},
          {"steps", d.steps},
          {"step_names", d.stepNames},
          {"reason", d.reason},
          {"version", d.version},
          {"digest", d.digest},
          {"config_digest", d.configDigest},
          {"config_version", d.configVersion ? json(d.configVersion) : json(nullptr)},
          {"git_commit", d.gitCommit ? json(*d.gitCommit) : json(nullptr)},
          {"git_dirty", d.gitDirty ? json(*d.gitDirty) : json(nullptr)},
          {"new_fleet", d.newFleet},
          {"old_fleet", d.oldFleet},
          {"rolls_back", d.rollsBack},
          {"rollback_all_regions", d.rollbackAllRegions},
          {"hotfix", d.hotfix},
          {"hotfix_reason", d.hotfixReason},
          {"promoted_from", d.promotedFrom.empty() ? json(nullptr) : json(d.promotedFrom)},
          {"created_by", d.createdBy},
          {"created_at", iso(d.createdAt)},
          {"updated_at", iso(d.updatedAt)},
          {"finished_at", iso(d.finishedAt)},
          {"waves", d.wavesView()},
          {"wave", d.hasWaves() ? json(d.wave + 1) : json(nullptr)},
          {"verdict", d.lastVerdict()},
          {"approval", d.approval.toApiJson()},
          {"timing", d.timingView()}};
}

}  // namespace ramp::server
