#include "cli/DeploymentAction.h"

namespace ramp::cli {

void DeploymentAction::addOptions(CLI::App* cmd, const std::string& detachHelp) {
  cmd->add_option("service", service, "Service name")->required();
  cmd->add_option("--env,-e", env, "Environment")->required();
  cmd->add_option("--comment,-m", comment, "Why (recorded in the audit)");
  cmd->add_flag("--detach", detach, detachHelp);
  cmd->add_flag("--json", json, "Machine-readable output");
}

nlohmann::json DeploymentAction::body() const {
  nlohmann::json b{{"service", service}, {"env", env}};
  if (!comment.empty()) b["comment"] = comment;
  return b;
}

}  // namespace ramp::cli
