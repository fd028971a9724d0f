#include "cli/HelpLayout.h"

#include <map>
#include <string>

namespace ramp::cli {

namespace {

const std::map<std::string, std::string>& groups() {
  static const std::map<std::string, std::string> g{
      {"validate", "Configuration"},   {"render", "Configuration"},      {"schema", "Configuration"},
      {"config", "Configuration"},
      {"secret", "Configuration"},     {"release", "Releases"},          {"deploy", "Deploying"},
      {"promote", "Deploying"},        {"rollback", "Deploying"},        {"pause", "Deploying"},
      {"resume", "Deploying"},         {"promote-now", "Deploying"},     {"abort", "Deploying"},
      {"approve", "Deploying"},        {"reject", "Deploying"},          {"approvals", "Deploying"},
      {"status", "Observing"},         {"stats", "Observing"},           {"audit", "Observing"},
      {"plan", "Infrastructure"},      {"apply", "Infrastructure"},      {"drift", "Infrastructure"},
      {"user", "Access"},              {"token", "Access"},              {"serve", "Running ramp"},
      {"router", "Running ramp"},      {"down", "Running ramp"},         {"demo", "Running ramp"},
      {"completion", "Running ramp"},  {"load", "Observing"},
  };
  return g;
}

// Examples for commands registered from files src/cli's owner does not edit;
// used only while such a command has no footer of its own.
const std::map<std::string, std::string>& fallbackExamples() {
  static const std::map<std::string, std::string> e{
      {"deploy",
       "Examples:\n"
       "  ramp deploy crawler --env int --version 1.4.0\n"
       "  ramp deploy crawler --env prod --version 1.4.0 --strategy canary --detach\n"
       "  ramp deploy crawler --env prod --version 1.4.1 --hotfix --reason \"CVE-2026-1234\""},
      {"promote",
       "Examples:\n"
       "  ramp promote crawler --to uat\n"
       "  ramp promote crawler --to prod --detach --json"},
      {"demo",
       "Examples:\n"
       "  ramp demo\n"
       "  RAMP_HOME=$(mktemp -d) ramp demo --no-wait"},
  };
  return e;
}

}  // namespace

const char* HelpLayout::exitCodes() {
  return "Exit codes:\n"
         "  0  success\n"
         "  1  failure, or invalid input (a bad flag, argument or configuration)\n"
         "  2  changes present (ramp plan --detailed-exitcode; ramp drift found drift)\n"
         "  3  the deployment followed ended rolled back (deploy, promote, resume, promote-now)\n"
         "  4  waiting on a person (an approval, or a pause until resumed)";
}

void HelpLayout::apply(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    const std::string& name = sub->get_name();
    if (name == "instance-shim") {
      sub->group("");  // hidden: started by the local provider only
    } else if (auto g = groups().find(name); g != groups().end()) {
      sub->group(g->second);
    } else {
      sub->group("Other commands");
    }
    if (sub->get_footer().empty()) {
      if (auto e = fallbackExamples().find(name); e != fallbackExamples().end()) sub->footer(e->second);
    }
  }
  app.footer(std::string("Examples:\n"
                         "  ramp validate\n"
                         "  ramp release create crawler --version 1.4.0 --from ./build\n"
                         "  ramp deploy crawler --env int --version 1.4.0\n"
                         "  ramp status crawler --env int --json\n"
                         "\n") +
             exitCodes() +
             "\n\n"
             "Colour only on a terminal, never with NO_COLOR set or TERM=dumb (--color overrides).\n"
             "Shell completion: source <(ramp completion bash)   (zsh: ramp completion zsh)\n"
             "Run 'ramp COMMAND --help' for a command's options and examples.");
}

}  // namespace ramp::cli
