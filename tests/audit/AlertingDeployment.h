// AlertingDeployment.h — the deployment the alert tests submit to a real
// engine: alice deploys crawler 1.4.0 to prod blue/green with a 2 s
// deadline, alerting one webhook signed with the secret HOOK_KEY. With a
// fleet that never gets healthy (FakeFleets::healthyOnCreate = false) it
// fails at its deadline, and its alert is due. `runEnv`: the instances'
// environment (none when null).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "engine/Engine.h"

namespace ramp::testing {

inline engine::DeployRequest alertingDeployment(const std::string& webhookUrl,
                                                const nlohmann::json& runEnv = nullptr) {
  using nlohmann::json;
  json run{{"command", "bin/crawler"}, {"args", json::array()}};
  if (!runEnv.is_null()) run["env"] = runEnv;
  engine::DeployRequest req;
  req.service = "crawler";
  req.env = "prod";
  req.version = "1.4.0";
  req.rendered = {{"service", "crawler"},
                  {"env", "prod"},
                  {"region", "local"},
                  {"run", run},
                  {"health", {{"path", "/healthz"}, {"interval", "100ms"}, {"timeout", "500ms"}}},
                  {"instances", 1},
                  {"strategy", {{"type", "bluegreen"}, {"bake", "0s"}, {"deadline", "2s"}}},
                  {"alerts", json::array({{{"webhook", webhookUrl}, {"secret", "${secret:HOOK_KEY}"}}})}};
  req.configDigest = "sha256:test";
  req.actor = "alice";
  return req;
}

}  // namespace ramp::testing
