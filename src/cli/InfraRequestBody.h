// InfraRequestBody.h — the body `ramp plan|apply|drift` send to the
// controller's /api/v1/infra/* routes (server/InfraRoutes.h).
//
// InfraTarget: what each of them is about, from its --env, --region and -f.
//
// infraRequestBody(target) reads the config (-f FILE, else
// ./ramp.yaml), checks it loads here first (so a bad config is reported
// with FILE:LINE:COL before any call), checks that ENV exists and every
// --region is one of its regions, and returns {"env", "regions"?,
// "config": <the file's text>, "config_name": <its path>}. The config must
// be a single file (a directory of YAML files is refused, naming -f).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Result.h"

namespace ramp::cli {

struct InfraTarget {
  std::string env;                  // --env
  std::vector<std::string> regions;  // --region, repeatable; none: all of the environment's
  std::optional<std::string> file;  // -f
};

Result<nlohmann::json> infraRequestBody(const InfraTarget& target);

}  // namespace ramp::cli
