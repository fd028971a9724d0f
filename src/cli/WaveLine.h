// WaveLine.h — what one region of a deployment across regions runs, in the
// words `ramp deploy` (Follow) and `ramp status` print after its state:
//   running      "(1.0.0 -> 2.0.0)"  (or "" on a first deployment)
//   succeeded    "runs 2.0.0"
//   not_started  "never touched"
//   rolled_back / failed / aborted  "back on 1.0.0": the release the region
//                runs again — the wave's previous one, except for a rollback
//                deployment (kind "rollback"), whose wave rolled the region
//                back TO its own release
//   pending      ""
// Pure: the deployment JSON (its "kind") and one of its "waves" entries.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace ramp::cli {

std::string waveOutcome(const nlohmann::json& deployment, const nlohmann::json& wave);

}  // namespace ramp::cli
