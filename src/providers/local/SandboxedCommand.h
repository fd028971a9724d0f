// SandboxedCommand.h — runs a shell command the configuration names (a
// smoke test) the way instances run: in the sandbox of Sandbox.h ($RAMP_HOME
// and the controller user's $HOME hidden, its own /tmp as working directory,
// as the unprivileged instance user when the controller is root), with a
// clean environment (PATH, LANG, LC_ALL, TZ; HOME=TMPDIR=/tmp; then `env`)
// — never the controller's own (no RAMP_TOKEN). The engine's
// EngineOptions::runCommand in the controller.
//
// run() returns the command's exit code; 124 when it ran past `timeout`
// (its whole process group is killed); 127 when it could not be started,
// and the sandbox's refusal (bwrap missing, user missing) is written to the
// command's stderr, i.e. the controller's log, naming what to install.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>

namespace ramp::providers {

class SandboxedCommand {
 public:
  SandboxedCommand(std::filesystem::path home, std::string user) : home_(std::move(home)), user_(std::move(user)) {}
  int run(const std::string& command, const std::map<std::string, std::string>& env,
          std::chrono::milliseconds timeout) const;

 private:
  std::filesystem::path home_;
  std::string user_;
};

}  // namespace ramp::providers
