// `ramp down [--env ENV]` — retire a local world cleanly: fleets, router and
// controller, leaving no process behind.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/ApiClient.h"
#include "cli/CommandRegistry.h"
#include "cli/Options.h"
#include "core/Home.h"
#include "providers/local/ProcessIdentity.h"

namespace ramp::cli {

namespace {

struct DownArgs {
  std::string env;
};

int runDown(Cli& cli, const DownArgs& a) {
  auto home = resolveHome(cli.global.home);
  if (!runningController(home) && a.env.empty() && !std::filesystem::exists(home / "fleets") &&
      !std::filesystem::exists(home / "router")) {
    std::cout << "nothing is running in " << home.string() << std::endl;
    return kExitOk;
  }
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  nlohmann::json body = nlohmann::json::object();
  if (!a.env.empty()) body["env"] = a.env;
  auto r = api->post("/api/v1/down", body);
  if (!r) return reportError(r.error().describe());
  if (a.env.empty()) {
    // Wait for the controller to exit (bounded: 20 s). A process that has
    // exited but is not yet reaped by its parent (a zombie: a supervisor or
    // a benchmark that started it) has exited; and a pid reused since by
    // another process is not the controller (ProcessIdentity: pid + start
    // time).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    int64_t pid = r->value("pid", int64_t{0});
    auto controller = pid > 0 ? providers::ProcessIdentity::of(pid) : std::nullopt;
    while (controller && controller->alive() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (controller && controller->alive()) {
      return reportError("the controller (pid " + std::to_string(pid) + ") did not exit within 20 s");
    }
  }
  std::cout << "retired " << r->value("fleets", 0) << " fleet(s)"
            << (a.env.empty() ? "; router and controller stopped" : " in " + a.env) << std::endl;
  // Another host's local environments are never touched from here.
  for (const auto& why : r->value("skipped", nlohmann::json::array())) {
    if (why.is_string()) std::cout << "left running: " << why.get<std::string>() << std::endl;
  }
  // What could not be retired is named; `ramp down` again tries it again.
  const auto problems = r->value("problems", nlohmann::json::array());
  if (problems.is_array() && !problems.empty()) {
    for (const auto& p : problems) {
      std::cerr << "not retired: " << (p.is_string() ? p.get<std::string>() : p.dump()) << std::endl;
    }
    return reportError(std::to_string(problems.size()) + " problem(s) left; run `ramp down` again once they are fixed");
  }
  return kExitOk;
}

void addDown(Cli& cli) {
  auto [cmd, args] = addCommand<DownArgs>(
      cli, cli.app, "down", "Retire fleets (of one environment, or everything incl. router and controller)",
      "Examples:\n  ramp down --env int\n  ramp down", runDown);
  addOption(cmd, kEnvOption, args->env, "Only this environment");
}

}  // namespace

RAMP_COMMAND(90, addDown)

}  // namespace ramp::cli
