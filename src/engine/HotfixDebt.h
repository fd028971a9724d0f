// HotfixDebt.h — releases shipped by hotfix that have not yet been through
// the lower stages of the pipeline. Pure function over deployment records.
//
// For every succeeded hotfix deployment in stage N (by the pipeline it was
// submitted with), the debt is the stages before N in which the same digest
// has not succeeded (at any time). It is cleared by promoting the release
// back through them (deploy into the first stage, promote onwards). One entry
// per (service, env, digest), newest hotfix first.
//
// JSON form (in `ramp status --json`, key "hotfix_debt" per service/env):
//   [{"service", "env", "version", "digest", "deployment", "reason",
//     "missing": ["int", "uat"]}]
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/Deployment.h"

namespace ramp::engine {

struct HotfixDebtEntry {
  std::string service;
  std::string env;
  std::string version;
  std::string digest;
  std::string deployment;           // the hotfix deployment
  std::string reason;               // its --reason
  std::vector<std::string> missing;  // lower stages the digest has not succeeded in, pipeline order

  nlohmann::json toJson() const;
};

class HotfixDebt {
 public:
  static std::vector<HotfixDebtEntry> of(const std::vector<Deployment>& deployments);
};

}  // namespace ramp::engine
