#include "cli/DeploymentAction.h"
#include "cli/Options.h"

namespace ramp::cli {

void DeploymentAction::addOptions(CLI::App* cmd, const std::string& detachHelp) {
  addOption(cmd, kServiceArgument, service)->required();
  addOption(cmd, kEnvOption, env)->required();
  addOption(cmd, kCommentOption, comment);
  cmd->add_flag("--detach", detach, detachHelp);
  jsonFlag(cmd, json);
}

nlohmann::json DeploymentAction::body() const {
  nlohmann::json b{{"service", service}, {"env", env}};
  if (!comment.empty()) b["comment"] = comment;
  return b;
}

}  // namespace ramp::cli
