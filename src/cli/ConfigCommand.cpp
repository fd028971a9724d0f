// `ramp config push [-f PATH] [--dry-run] [-m MSG] [--json]`
// `ramp config show [--version N] [--json]`
// `ramp config history [--json]`
// `ramp config diff [A [B]] [-f PATH] [--json]`
//
// The controller's config of record (docs/access.md "Trust model";
// record/ConfigOfRecord.h). `push` sends the project's configuration (-f: a
// ramp.yaml or a directory of YAML files; default ./ramp.yaml) with the git
// commit and dirty flag of its work tree and a message; the controller
// validates it with the same loader as `ramp validate` (FILE:LINE:COL
// errors), decides which roles its effect needs (deployer where a service
// changes, admin where an environment's policy changes) and puts it in force,
// or records it pending when it changes a protected environment's policy
// (approved with `ramp approve cfg-N` by that environment's approvers,
// four-eyes). --dry-run shows the diff against the version in force, what
// changes where, which roles it needs and what approvals it would wait for,
// and records nothing. Exit codes: 0 in force or unchanged (or a dry run),
// 1 refused (invalid, not allowed, conflict), 4 pending approval.
// `show` prints a version's files (the one in force by default); `history`
// lists every version; `diff` shows the local configuration against the
// version in force (no argument), version A against the version in force,
// or A against B.
#include <iostream>

#include <fmt/format.h>

#include "cli/ApiClient.h"
#include "cli/CommandRegistry.h"
#include "cli/Options.h"
#include "config/ConfigLoader.h"
#include "config/GitState.h"
#include "record/ConfigBundle.h"
#include "record/LineDiff.h"

namespace ramp::cli {

namespace {

using nlohmann::json;

struct PushArgs {
  std::optional<std::string> file;
  bool dryRun = false;
  std::string message;
  bool json = false;
};

struct ShowArgs {
  int64_t version = 0;
  bool json = false;
};

struct DiffArgs {
  std::vector<int64_t> versions;
  std::optional<std::string> file;
  bool json = false;
};

void printImpact(const json& out) {
  for (const auto& line : out.value("summary", json::array())) std::cout << "  " << line.get<std::string>() << "\n";
  const json& needs = out.contains("impact") ? out["impact"].value("needs", json::array()) : json::array();
  if (!needs.empty()) {
    std::string roles;
    for (const auto& n : needs) roles += (roles.empty() ? "" : ", ") + n.value("role", "") + "@" + n.value("env", "");
    std::cout << "  needs: " << roles << "\n";
  }
  const json& approvals = out.contains("approvals") && out["approvals"].is_object() ? out["approvals"] : json::object();
  for (auto it = approvals.begin(); it != approvals.end(); ++it) {
    const auto& a = it.value();
    std::string roles;
    for (const auto& r : a.value("roles", json::array())) roles += (roles.empty() ? "" : ",") + r.get<std::string>();
    std::cout << fmt::format("  waits for {} approval(s) in {} (roles: {}; never the pusher)\n", a.value("required", 0),
                             it.key(), roles);
  }
}

Result<record::ConfigBundle> localBundle(const std::optional<std::string>& file) {
  return record::ConfigBundle::fromPath(config::configPathFor(file));
}

int runPush(Cli& cli, const PushArgs& a) {
  auto path = config::configPathFor(a.file);
  auto bundle = record::ConfigBundle::fromPath(path);
  if (!bundle) {
    std::cerr << bundle.error().describe() << "\n";
    return kExitFailure;
  }
  // The same checks as `ramp validate`, before anything is sent.
  auto loaded = bundle->load();
  if (!loaded.ok()) {
    std::cerr << record::formatDiagnostics(loaded.diagnostics) << "\n";
    return kExitFailure;
  }
  std::error_code ec;
  auto dir = std::filesystem::is_directory(path, ec) ? path : std::filesystem::absolute(path, ec).parent_path();
  auto git = config::gitStateOf(dir);
  json body{{"files", bundle->toJson()},
            {"message", a.message},
            {"git_commit", git.commit ? json(*git.commit) : json(nullptr)},
            {"git_dirty", git.dirty ? json(*git.dirty) : json(nullptr)},
            {"dry_run", a.dryRun}};
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  auto out = api->post("/api/v1/config", body);
  if (!out) return reportError(out.error().describe());
  if (a.json) {
    std::cout << out->dump(2) << std::endl;
  } else {
    std::string state = out->value("state", "");
    auto base = (*out)["base_version"].is_number() ? fmt::format("version {}", (*out)["base_version"].get<int64_t>())
                                                   : std::string("nothing (first push)");
    if (state == "unchanged") {
      std::cout << fmt::format("{} is the configuration in force ({}): nothing to push\n", path.string(), base);
    } else if (state == "dry_run") {
      std::cout << fmt::format("dry run: {} against {} in force (nothing recorded)\n", path.string(), base);
      std::cout << out->value("diff", "");
      printImpact(*out);
    } else {
      std::cout << fmt::format("pushed {} as config version {} ({}): {}\n", path.string(), out->value("version", 0),
                               out->value("digest", "").substr(0, 19),
                               state == "in_force" ? "in force" : "PENDING approval as " + out->value("id", ""));
      printImpact(*out);
      if (state == "pending") {
        std::cout << fmt::format("nothing of it takes effect until approved: ramp approve {}\n", out->value("id", ""));
      }
    }
  }
  return out->value("state", "") == "pending" ? kExitWaiting : kExitOk;
}

int runShow(Cli& cli, const ShowArgs& a) {
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  auto v = api->get(a.version ? "/api/v1/config?version=" + std::to_string(a.version) : std::string("/api/v1/config"));
  if (!v) return reportError(v.error().describe());
  if (a.json) {
    std::cout << v->dump(2) << std::endl;
    return kExitOk;
  }
  std::cout << fmt::format("# config version {} ({}), pushed by {} at {}; git {}{}\n", v->value("version", 0),
                           v->value("state", ""), v->value("pushed_by", ""), v->value("pushed_at", ""),
                           (*v)["git_commit"].is_string() ? (*v)["git_commit"].get<std::string>().substr(0, 12)
                                                          : std::string("unknown"),
                           v->value("git_dirty", json(false)) == json(true) ? " (dirty)" : "");
  if (!v->value("message", "").empty()) std::cout << "# " << v->value("message", "") << "\n";
  for (const auto& f : v->value("files", json::array())) {
    std::cout << "# --- " << f.value("name", "") << "\n" << f.value("text", "");
    std::string t = f.value("text", "");
    if (!t.empty() && t.back() != '\n') std::cout << "\n";
  }
  return kExitOk;
}

int runHistory(Cli& cli, bool asJson) {
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  auto list = api->get("/api/v1/config/versions");
  if (!list) return reportError(list.error().describe());
  if (asJson) {
    std::cout << list->dump(2) << std::endl;
    return kExitOk;
  }
  if (list->empty()) {
    std::cout << "no configuration pushed yet (ramp config push)\n";
    return kExitOk;
  }
  std::cout << fmt::format("{:<8} {:<11} {:<16} {:<25} {:<14} {}\n", "VERSION", "STATE", "PUSHED BY", "AT", "GIT",
                           "MESSAGE");
  for (const auto& v : *list) {
    std::string git = v["git_commit"].is_string() ? v["git_commit"].get<std::string>().substr(0, 12) : "-";
    if (v.value("git_dirty", json(false)) == json(true)) git += "+";
    std::cout << fmt::format("{:<8} {:<11} {:<16} {:<25} {:<14} {}\n", v.value("version", 0), v.value("state", ""),
                             v.value("pushed_by", ""), v.value("pushed_at", ""), git, v.value("message", ""));
  }
  return kExitOk;
}

Result<record::ConfigBundle> bundleOf(ApiClient& api, int64_t version, std::string& label) {
  auto v = api.get(version ? "/api/v1/config?version=" + std::to_string(version) : std::string("/api/v1/config"));
  if (!v) return std::unexpected(v.error());
  label = "version-" + std::to_string(v->value("version", 0));
  json files = json::array();
  for (const auto& f : v->value("files", json::array())) files.push_back({{"name", f.value("name", "")}, {"text", f.value("text", "")}});
  return record::ConfigBundle::fromJson(files);
}

int runDiff(Cli& cli, const DiffArgs& a) {
  if (a.versions.size() > 2) return reportError("config diff takes at most two versions (A [B])");
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  std::string la, lb;
  Result<record::ConfigBundle> left = std::unexpected(Error{}), right = std::unexpected(Error{});
  if (a.versions.empty()) {
    left = bundleOf(*api, 0, la);
    right = localBundle(a.file);
    lb = config::configPathFor(a.file).string();
  } else {
    left = bundleOf(*api, a.versions[0], la);
    right = bundleOf(*api, a.versions.size() > 1 ? a.versions[1] : 0, lb);
  }
  if (!left) return reportError(left.error().describe());
  if (!right) return reportError(right.error().describe());
  std::string diff = record::unifiedDiff(*left, *right, la, lb);
  if (a.json) {
    std::cout << json{{"from", la}, {"to", lb}, {"same", diff.empty()}, {"diff", diff}}.dump(2) << std::endl;
  } else if (diff.empty()) {
    std::cout << la << " and " << lb << " are the same\n";
  } else {
    std::cout << diff;
  }
  return kExitOk;
}

void addConfig(Cli& cli) {
  auto* cfg = cli.app.add_subcommand("config", "The controller's config of record: push, show, history, diff");
  cfg->require_subcommand(1);
  cfg->footer("Examples:\n  ramp config push -m \"first version\"\n  ramp config show\n  ramp config history\n"
              "  ramp config diff");

  auto [p, push] = addCommand<PushArgs>(
      cli, *cfg, "push", "Push ramp.yaml to the controller (validated, authorised by its effect)",
      "\nExamples:\n  ramp config push -m \"raise prod to 6 instances\"\n  ramp config push --dry-run\n"
      "Exit codes: 0 in force / unchanged / dry run, 1 refused, 4 waiting for approval (ramp approve cfg-N).",
      runPush);
  addOption(p, kConfigFileOption, push->file, "Config file or directory (default ./ramp.yaml)");
  p->add_flag("--dry-run", push->dryRun, "Show the diff, the roles and approvals it needs; record nothing");
  p->add_option("-m,--message", push->message, "Why (recorded with the version and in the audit)");
  jsonFlag(p, push->json);

  auto [s, show] = addCommand<ShowArgs>(cli, *cfg, "show",
                                        "Print a version of the config of record (default: the one in force)",
                                        "Examples:\n  ramp config show\n  ramp config show --version 3 --json", runShow);
  s->add_option("--version", show->version, "Version number (ramp config history)");
  jsonFlag(s, show->json);

  auto [h, history] = addCommand<bool>(cli, *cfg, "history", "List every version: state, pusher, time, git commit, message",
                                       "Examples:\n  ramp config history\n  ramp config history --json", runHistory);
  jsonFlag(h, *history);

  auto [d, diff] = addCommand<DiffArgs>(
      cli, *cfg, "diff", "Diff the local config (or version A) against the version in force (or B)",
      "Examples:\n  ramp config diff            # ./ramp.yaml against the version in force\n"
      "  ramp config diff 2 3        # two recorded versions",
      runDiff);
  d->add_option("versions", diff->versions, "A [B]: version numbers");
  addOption(d, kConfigFileOption, diff->file, "Local config file or directory (default ./ramp.yaml)");
  jsonFlag(d, diff->json);
}

}  // namespace

RAMP_COMMAND(25, addConfig)

}  // namespace ramp::cli
