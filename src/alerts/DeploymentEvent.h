// DeploymentEvent.h — something about a deployment that people must hear of.
//
// Made from an audit event by Notifier::alertFor and handed to a Notifier.
// The alert destinations travel with it, as configured (references such as
// ${secret:NAME} unresolved): a notifier resolves them only when it sends.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace ramp::alerts {

struct DeploymentEvent {
  // deployment.failed | deployment.rolled_back | approval.requested | hotfix.started
  std::string event;
  std::string service;
  std::string env;
  std::string deploymentId;
  std::string version;
  std::string reason;
  std::string actor;        // who caused it ("ramp" for the controller)
  int64_t seq = 0;          // the audit event that triggered it
  int64_t time = 0;         // Unix ms of that event
  std::string url;          // where people can look (may be empty)
  // [{"webhook": "https://...", "secret": "${secret:NAME}" | null}]
  nlohmann::json alerts = nlohmann::json::array();
};

}  // namespace ramp::alerts
