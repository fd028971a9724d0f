// RenderCommand.cpp — `ramp render --env ENV [--region R] [--service S] [--json]`.
//
// Prints the effective configuration after overrides with its config_digest
// and the git state of the config (git_commit, git_dirty; null outside git).
// With --service: one rendered service object (EffectiveService.h). Without:
// {"project", "env", "region", "git_commit", "git_dirty", "services": {NAME:
// rendered}}. The human form is the same data as indented YAML-like text.
// References (${env:..}, ${secret:..}) are printed unresolved.
// Unknown env/region/service: exit 1 naming the flag and the valid names.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/CommandRegistry.h"
#include "cli/Options.h"
#include "config/ConfigLoader.h"
#include "config/EffectiveService.h"
#include "config/GitState.h"

namespace {

using nlohmann::json;

struct RenderOptions {
  std::optional<std::string> file;
  std::string env;
  std::string region;
  std::string service;
  bool json = false;
};

std::string scalarText(const json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    bool plain = !s.empty() && s.find_first_of(":#{}[],&*!|>'\"%@`\n") == std::string::npos &&
                 s != "true" && s != "false" && s != "null" && s.front() != ' ' && s.back() != ' ' &&
                 !std::isdigit(static_cast<unsigned char>(s.front())) && s.front() != '-';
    return plain ? s : v.dump();
  }
  return v.dump();
}

void printYaml(std::ostream& out, const json& v, int indent) {
  std::string pad(static_cast<size_t>(indent), ' ');
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      const json& c = it.value();
      if ((c.is_object() || c.is_array()) && !c.empty()) {
        out << pad << it.key() << ":\n";
        printYaml(out, c, indent + 2);
      } else {
        out << pad << it.key() << ": " << (c.is_object() ? "{}" : c.is_array() ? "[]" : scalarText(c)) << "\n";
      }
    }
  } else if (v.is_array()) {
    for (const auto& c : v) {
      if (c.is_object() && !c.empty()) {
        // First key on the dash line.
        std::ostringstream inner;
        printYaml(inner, c, indent + 2);
        std::string s = inner.str();
        out << pad << "- " << s.substr(static_cast<size_t>(indent) + 2);
      } else if (c.is_array() && !c.empty()) {
        out << pad << "-\n";
        printYaml(out, c, indent + 2);
      } else {
        out << pad << "- " << (c.is_object() ? "{}" : c.is_array() ? "[]" : scalarText(c)) << "\n";
      }
    }
  }
}

int runRender(const RenderOptions& o) {
  auto path = ramp::config::configPathFor(o.file);
  auto loaded = ramp::config::loadConfigPath(path);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics) std::cerr << d.format() << "\n";
    return ramp::cli::reportError("the configuration is invalid (ramp validate -f " + path.string() + ")");
  }
  const auto& cfg = *loaded.config;
  auto git = ramp::config::gitStateOf(cfg.baseDir);
  std::vector<std::string> services = o.service.empty() ? cfg.serviceNames() : std::vector<std::string>{o.service};
  json all = json::object();
  json single;
  std::string region = o.region;
  for (const auto& s : services) {
    auto r = ramp::config::render(cfg, s, o.env, o.region);
    if (!r) return ramp::cli::reportError(r.error().describe());
    ramp::config::stampGit(r->json, git);
    region = r->region;
    if (!o.service.empty()) single = r->json;
    all[s] = r->json;
  }
  json out;
  if (!o.service.empty()) {
    out = single;
  } else {
    out = json{{"project", cfg.project},
               {"env", o.env},
               {"region", region},
               {"services", all},
               {"config_dir", cfg.baseDir.string()}};
    ramp::config::stampGit(out, git);
  }
  if (o.json) {
    std::cout << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    std::cout << "# effective configuration of " << cfg.project << " in " << o.env << "/" << region << "\n";
    printYaml(std::cout, out, 0);
  }
  return ramp::cli::kExitOk;
}

void addRender(ramp::cli::Cli& cli) {
  using namespace ramp::cli;  // the shared options (Options.h)
  auto [cmd, opts] = addCommand<RenderOptions>(
      cli, cli.app, "render", "Show the effective configuration of an environment, with its digest",
      "Examples:\n  ramp render --env prod\n  ramp render --env prod --region eu-west-1 --service crawler --json",
      runRender);
  addOption(cmd, kConfigTreeOption, opts->file);
  cmd->add_option("--env", opts->env, "environment")->required();
  addOption(cmd, kRegionOption, opts->region, "region (default: the environment's first)");
  cmd->add_option("--service", opts->service, "only this service");
  jsonFlag(cmd, opts->json, "JSON output");
}

}  // namespace

RAMP_COMMAND(11, addRender)
