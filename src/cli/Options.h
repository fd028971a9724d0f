// Options.h — the options several commands share, one definition each: its
// names (long and short) and its usual help. A command passes its own help
// where its meaning is narrower ("Only this environment"):
//
//   addOption(cmd, kEnvOption, args->env)->required();
//   addOption(cmd, kEnvOption, args->env, "Only this environment");
//   jsonFlag(cmd, args->json);
//
// addOption returns the CLI11 option, so a command can mark it ->required()
// or ->check(...); the value may be any type CLI11 binds (std::string,
// std::optional, a vector for a repeatable option).
#pragma once

#include <string>

#include "cli/CommandRegistry.h"

namespace ramp::cli {

struct SharedOption {
  const char* names;
  const char* help;  // the usual help; a command may pass its own
};

inline constexpr SharedOption kServiceArgument{"service", "Service name"};
inline constexpr SharedOption kServiceFilterOption{"--service,-s", "Only this service"};
inline constexpr SharedOption kEnvOption{"--env,-e", "Environment"};
inline constexpr SharedOption kRegionOption{"--region", "Region"};
inline constexpr SharedOption kConfigFileOption{"-f,--file", "Config file (default ./ramp.yaml)"};
// -f of the commands that also read a directory of YAML files (validate, render).
inline constexpr SharedOption kConfigTreeOption{"-f,--file",
                                                "ramp.yaml, or a directory of YAML files (default ./ramp.yaml)"};
inline constexpr SharedOption kReleaseVersionOption{"--version,-v", "Release version"};
inline constexpr SharedOption kCommentOption{"--comment,-m", "Why (recorded in the audit)"};
inline constexpr SharedOption kStoreOption{"--store", "Read this store directly (URL) instead of the home's"};

template <class T>
CLI::Option* addOption(CLI::App* cmd, const SharedOption& option, T& value, const std::string& help = {}) {
  return cmd->add_option(option.names, value, help.empty() ? option.help : help);
}

// --json: output for scripts.
inline CLI::Option* jsonFlag(CLI::App* cmd, bool& json, const std::string& help = "Machine-readable output") {
  return cmd->add_flag("--json", json, help);
}

}  // namespace ramp::cli
