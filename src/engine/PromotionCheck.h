// PromotionCheck.h — which release may enter a pipeline stage, as pure
// functions over deployment records.
//
// A release may enter stage N+1 of the pipeline only when the same digest
// succeeded in stage N and has soaked there for stage N's `soak` (read from
// the rendered config that deployment ran with). `ramp promote` takes the
// release that succeeded there most recently; a plain `ramp deploy` into a
// later stage names its version, and the digest of that version must have
// succeeded there (hotfixes skip this; the first stage is free; an
// environment outside the pipeline is free).
//
// Refusals are kFailedPrecondition (kInvalid for a target outside the
// pipeline or the first stage) with the reason: nothing succeeded there, or
// how long of the soak remains.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/Result.h"
#include "engine/Deployment.h"

namespace ramp::engine {

struct PromotionSource {
  std::string fromEnv;
  std::string deploymentId;
  std::string version;
  std::string digest;
  int64_t succeededAt = 0;  // Unix ms
};

class PromotionCheck {
 public:
  // The stage before `target`; kInvalid (field "to") when target is the first
  // stage or not in the pipeline.
  static Result<std::string> previousStage(const std::vector<std::string>& pipeline, const std::string& target);
  // The release that may be promoted into `target` (newest success first).
  // `digest` set: only that digest qualifies (plain deploys).
  static Result<PromotionSource> source(const std::vector<std::string>& pipeline, const std::string& service,
                                        const std::string& target, const std::vector<Deployment>& deployments,
                                        int64_t nowMs, const std::optional<std::string>& digest = std::nullopt);
  // The soak of the environment a deployment ran in (rendered environment.soak).
  static std::chrono::milliseconds soakOf(const Deployment& d);
  // True when the deployment ended succeeded (a rollback deployment that
  // restored a release counts: the release runs there).
  static bool succeeded(const Deployment& d);
};

}  // namespace ramp::engine
