// `ramp demo [--no-wait] [--example DIR]` — the whole story, locally.
//
// Runs the real commands (as child processes of this binary, the way a
// person would type them) in a copy of the example service, under load, and
// checks every outcome: exit 0 only if each step ended as expected.
#include <curl/curl.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/ApiClient.h"
#include "cli/CommandRegistry.h"
#include "cli/SyntheticLoad.h"
#include "cli/ControllerInfo.h"
#include "cli/Terminal.h"
#include "core/Home.h"

#ifndef RAMP_EXAMPLES_DIR
#define RAMP_EXAMPLES_DIR ""
#endif

namespace ramp::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct DemoArgs {
  bool noWait = false;
  std::string example;
};

// Runs `ramp ARGS...` in `cwd`; output goes to our terminal unless captured.
int runRamp(const std::vector<std::string>& args, const fs::path& cwd, const fs::path& home,
            std::string* capture = nullptr) {
  int pipefd[2] = {-1, -1};
  if (capture && pipe(pipefd) != 0) return 127;
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(127);
    if (capture) {
      dup2(pipefd[1], 1);
      close(pipefd[0]);
      close(pipefd[1]);
    }
    setenv("RAMP_HOME", home.c_str(), 1);
    std::vector<char*> argv;
    std::string self = selfBinary().string();
    argv.push_back(const_cast<char*>("ramp"));
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(self.c_str(), argv.data());
    _exit(127);
  }
  if (capture) {
    close(pipefd[1]);
    char buf[4096];
    ssize_t n;
    while ((n = read(pipefd[0], buf, sizeof buf)) > 0) capture->append(buf, static_cast<size_t>(n));
    close(pipefd[0]);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The demo's traffic: keep-alive GETs, fresh-connection GETs and POSTs.
SyntheticLoad::Options demoLoad() {
  SyntheticLoad::Options o;
  o.clients = 3;
  o.pauseMs = 5;
  o.mixed = true;
  return o;
}

void heading(const std::string& s) {
  std::cout << "\n" << Terminal::paint(1, Terminal::Style::kBold, "== " + s) << std::endl;
}

void pause(const DemoArgs& a) {
  if (a.noWait || !isatty(0)) return;
  std::cout << "(press Enter to continue)" << std::flush;
  std::string line;
  std::getline(std::cin, line);
}

int runDemo(Cli& cli, const DemoArgs& a) {
  auto home = resolveHome(cli.global.home);
  if (auto st = ensureHome(home); !st) return reportError(st.error().describe());
  fs::path example = a.example.empty() ? fs::path(RAMP_EXAMPLES_DIR) / "crawler" : fs::path(a.example);
  if (!fs::exists(example / "ramp.yaml")) {
    return reportError("cannot find the example service at " + example.string() + " (use --example DIR)");
  }
  fs::path work = home / "demo" / "crawler";
  std::error_code ec;
  fs::create_directories(work, ec);
  for (auto& e : fs::directory_iterator(example)) {
    auto name = e.path().filename().string();
    if (name == "dist" || name.starts_with(".build") || name == "build") continue;
    fs::copy(e.path(), work / name, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
    if (ec) return reportError("copying the example: " + ec.message());
  }
  std::vector<std::string> problems;
  auto expect = [&](bool okCond, const std::string& what) {
    std::cout << "  " << (okCond ? Terminal::paint(1, Terminal::Style::kGreen, "✓") : Terminal::paint(1, Terminal::Style::kRed, "✗"))
              << " " << what << std::endl;
    if (!okCond) problems.push_back(what);
    return okCond;
  };
  std::cout << "ramp demo — world " << home.string() << ", example copied to " << work.string() << std::endl;
  // A step that throws (a bug of the demo's own) still ends with `ramp
  // down`: the demo never leaves a controller, router or fleet running.
  struct DownOnThrow {
    const fs::path& work;
    const fs::path& home;
    ~DownOnThrow() {
      if (std::uncaught_exceptions() > 0) runRamp({"down"}, work, home);
    }
  } downOnThrow{work, home};

  heading("1. The service is described as code: validate and render it");
  expect(runRamp({"validate"}, work, home) == 0, "ramp validate: the example configuration is valid");
  for (std::string env : {"int", "uat", "prod"}) {
    std::string out;
    int rc = runRamp({"render", "--env", env, "--json"}, work, home, &out);
    auto all = json::parse(out, nullptr, false);
    // `render --json` without --service lists every service: {"services": {name: rendered}}.
    json j = all.is_object() && all.contains("services") && all["services"].is_object() &&
                     all["services"].contains("crawler")
                 ? all["services"]["crawler"]
                 : json();
    bool good = rc == 0 && j.is_object() && j.contains("config_digest");
    expect(good, fmt::format("ramp render --env {}: {} instance(s), strategy {}, digest {}", env,
                             good ? j.value("instances", 0) : 0,
                             good && j["strategy"].is_object() ? j["strategy"].value("type", "") : "?",
                             good ? j.value("config_digest", "").substr(0, 19) : "?"));
  }
  pause(a);

  heading("2. Immutable releases: built once, content-addressed");
  expect(runRamp({"release", "create", "crawler", "--version", "1.0.0"}, work, home) == 0,
         "release 1.0.0 built from the example and stored read-only");
  // Each version is built by the example's build.sh (its VERSION file makes
  // each digest differ). A knob set at build time is carried in the release
  // (crawler.env): 3.0.0 is a bad build in one command, as in the README.
  auto build = [&](const std::string& version, const char* errorRate) {
    if (errorRate) setenv("CRAWLER_ERROR_RATE", errorRate, 1);
    int brc = runRamp({"release", "create", "crawler", "--version", version}, work, home);
    if (errorRate) unsetenv("CRAWLER_ERROR_RATE");
    return brc;
  };
  expect(build("2.0.0", nullptr) == 0, "release 2.0.0 stored");
  expect(build("3.0.0", "0.1") == 0,
         "CRAWLER_ERROR_RATE=0.1 ramp release create crawler --version 3.0.0: a bad build, 10% of its answers are "
         "errors");
  expect(build("3.0.1", nullptr) == 0, "release 3.0.1 stored (the fix)");
  expect(build("3.1.0", nullptr) == 0, "release 3.1.0 stored (for the new region)");
  runRamp({"release", "list", "crawler"}, work, home);
  pause(a);

  // A stage with a weekend freeze would stop the demo on Saturdays: the
  // demo's copy of ramp.yaml keeps prod's approval policy but drops the
  // freeze (tests/pipeline and tests/engine prove freezes are enforced).
  {
    std::ifstream in(work / "ramp.yaml");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto at = text.find("      freeze:\n");
    if (at != std::string::npos) {
      auto endFreeze = text.find("\n\n", at);
      text.erase(at, endFreeze == std::string::npos ? std::string::npos : endFreeze + 1 - at);
      std::ofstream(work / "ramp.yaml") << text;
    }
  }
  auto capture = [&](const std::vector<std::string>& args, std::string* out) { return runRamp(args, work, home, out); };
  auto firstLine = [](const std::string& s) { return s.substr(0, s.find('\n')); };

  heading("3. People: a release manager who may approve prod");
  std::string out;
  expect(capture({"user", "add", "release-manager", "--role", "approver@prod", "--role", "viewer"}, &out) == 0,
         "ramp user add release-manager --role approver@prod --role viewer");
  out.clear();
  int rc = capture({"token", "create", "--user", "release-manager", "--name", "demo", "--json"}, &out);
  auto tok = json::parse(out, nullptr, false);
  std::string rmToken = tok.is_object() ? tok.value("token", "") : "";
  expect(rc == 0 && !rmToken.empty(), "ramp token create --user release-manager (only its sha256 is stored)");
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  // Follows a deployment by id until it ends, printing each phase it enters.
  // The deployment `id` once it ends (at most `seconds`); {} when there is none.
  auto follow = [&](const std::string& id, int seconds) {
    json d = json::object();
    std::string last;
    for (int i = 0; !id.empty() && i < seconds * 10; ++i) {
      auto r = api->get("/api/v1/deployments/" + id);
      if (r && r->is_object()) {
        d = *r;
        std::string now = d.value("state", "") + "/" + d.value("phase", "");
        if (now != last) std::cout << "    " << id << ": " << now << std::endl;
        last = now;
        std::string state = d.value("state", "");
        if (state == "succeeded" || state == "failed" || state == "rolled_back" || state == "aborted") break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return d;
  };
  pause(a);

  heading("4. The controller's config of record: pushed, versioned, authorised by its effect");
  {
    std::string o;
    int prc = capture({"config", "push", "-m", "crawler: int, uat, prod"}, &o);
    std::cout << o;
    expect(prc == 0 && o.find("in force") != std::string::npos,
           "ramp config push: ramp.yaml is config version 1, in force (deployments are rendered from it, "
           "never from a request)");
    // Someone tries to drop prod's approval: a policy change to a protected
    // environment waits for prod's approvers; nothing of it takes effect.
    std::ifstream in(work / "ramp.yaml");
    std::string original((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string relaxed = original;
    auto at = relaxed.find("      approvals: 1\n");
    if (at != std::string::npos) relaxed.replace(at, std::string("      approvals: 1\n").size(), "      approvals: 0\n");
    std::ofstream(work / "ramp.yaml") << relaxed;
    o.clear();
    prc = capture({"config", "push", "--dry-run"}, &o);
    std::cout << o;
    expect(prc == 0 && o.find("admin@prod") != std::string::npos && o.find("waits for 1 approval(s) in prod") != std::string::npos,
           "ramp config push --dry-run: dropping prod's approval needs admin@prod and prod's approver");
    o.clear();
    prc = capture({"config", "push", "-m", "no more approvals in prod"}, &o);
    std::cout << o;
    std::string cfg;
    if (auto c = o.find("cfg-"); c != std::string::npos) cfg = o.substr(c, o.find_first_not_of("0123456789", c + 4) - c);
    expect(prc == 4 && !cfg.empty(), "the push is " + cfg + ", PENDING: a policy change to prod waits for a second person");
    runRamp({"approvals"}, work, home);
    o.clear();
    expect(capture({"approve", cfg}, &o) != 0, "the pusher's own approval of " + cfg + " is refused (four-eyes)");
    expect(runRamp({"--token", rmToken, "reject", cfg, "--comment", "prod keeps its approval"}, work, home) == 0,
           "release-manager rejects " + cfg + ": prod's policy in force is unchanged");
    std::ofstream(work / "ramp.yaml") << original;
    // A request that brings its own policy is refused, naming the field.
    json forged{{"service", "crawler"},
                {"env", "prod"},
                {"version", "1.0.0"},
                {"rendered", {{"environment", {{"approval", {{"approvals", 0}}}}}, {"run", {{"command", "/bin/sh"}}}}}};
    auto refused = api->post("/api/v1/deployments", forged);
    expect(!refused && refused.error().where == "rendered",
           "a deployment that brings its own policy is refused: " +
               (refused ? std::string("accepted!") : refused.error().describe()));
    json autoPromote{{"service", "crawler"}, {"env", "int"}, {"version", "1.0.0"}, {"pipeline", json::array()}};
    refused = api->post("/api/v1/deployments", autoPromote);
    expect(!refused && refused.error().where == "pipeline",
           "so is one that brings its own pipeline: " + (refused ? std::string("accepted!") : refused.error().describe()));
  }
  pause(a);

  heading("5. Infrastructure as code: plan, apply, plan again, drift; prod's apply needs an approval");
  {
    std::string o;
    int prc = capture({"plan", "--env", "int", "--detailed-exitcode"}, &o);
    std::cout << o;
    expect(prc == 2, "ramp plan --env int --detailed-exitcode: exit 2, changes (the router's entry point)");
    expect(runRamp({"apply", "--env", "int", "--yes"}, work, home) == 0,
           "ramp apply --env int --yes: journaled, applied, recorded in the store");
    o.clear();
    prc = capture({"plan", "--env", "int", "--detailed-exitcode"}, &o);
    expect(prc == 0, "ramp plan --env int --detailed-exitcode: exit 0, " + firstLine(o.substr(o.rfind("\n", o.size() - 2) + 1)));
    o.clear();
    prc = capture({"drift", "--env", "int"}, &o);
    expect(prc == 0, "ramp drift --env int: " + firstLine(o));
    o.clear();
    expect(capture({"apply", "--env", "uat", "--yes"}, &o) == 0, "ramp apply --env uat --yes");
    // prod follows prod's approval policy: the apply is recorded, not made.
    o.clear();
    prc = capture({"apply", "--env", "prod", "--yes"}, &o);
    std::string change;
    if (auto at = o.find("infra-"); at != std::string::npos) {
      auto end = o.find_first_not_of("0123456789abcdef", at + 6);
      change = o.substr(at, end == std::string::npos ? std::string::npos : end - at);
    }
    expect(prc == 4 && !change.empty(), "ramp apply --env prod: exit 4, " + change + " awaits approval, nothing applied");
    o.clear();
    expect(capture({"approve", change}, &o) != 0, "the requester's own approval of " + change + " is refused");
    o.clear();
    prc = runRamp({"--token", rmToken, "approve", change, "--comment", "listener reviewed"}, work, home);
    expect(prc == 0, "release-manager approves " + change + ": exactly the approved plan is applied");
    o.clear();
    prc = capture({"plan", "--env", "prod", "--detailed-exitcode"}, &o);
    expect(prc == 0, "ramp plan --env prod --detailed-exitcode: exit 0 after the approved apply");
  }
  pause(a);

  heading("6. 1.0.0 goes int → uat → prod: the same digest, prod behind an approval");
  expect(runRamp({"deploy", "crawler", "--env", "int", "--version", "1.0.0"}, work, home) == 0,
         "ramp deploy crawler --env int --version 1.0.0 (the first stage is free)");
  expect(runRamp({"promote", "crawler", "--to", "uat"}, work, home) == 0,
         "ramp promote crawler --to uat: 1.0.0, which succeeded in int");
  auto promoteToProd = [&](const std::string& version) {
    std::string o;
    int prc = capture({"promote", "crawler", "--to", "prod", "--detach"}, &o);
    std::string id = firstLine(o);
    expect(prc == 0 && id.starts_with("d-"), "ramp promote crawler --to prod: " + version + " awaits approval (" + id + ")");
    runRamp({"approvals"}, work, home);
    return id;
  };
  std::string id = promoteToProd("1.0.0");
  out.clear();
  rc = capture({"approve", id}, &out);
  expect(rc != 0, "the requester's own approval is refused (four-eyes)");
  rc = runRamp({"--token", rmToken, "approve", id, "--comment", "looks good in uat"}, work, home);
  expect(rc == 0, "release-manager approves");
  auto d = follow(id, 180);
  expect(d.value("state", "") == "succeeded", "crawler 1.0.0 is live in prod");
  auto entrypoint = [&](const std::string& env) {
    auto st = api->get("/api/v1/status?service=crawler&env=" + env);
    return st && !st->empty() && (*st)[0]["entrypoint"].is_string() ? (*st)[0]["entrypoint"].get<std::string>()
                                                                      : std::string();
  };
  std::string uat = entrypoint("uat"), prod = entrypoint("prod");
  expect(!uat.empty() && !prod.empty(), "entry points: uat " + uat + ", prod " + prod);
  if (uat.empty() || prod.empty()) return reportError("no entry point; stopping the demo");
  pause(a);

  // The versions that answered `load` in the 700 ms after a switch, and whether one alone did.
  auto answersAfterSwitch = [](SyntheticLoad& load) {
    load.resetVersions();
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    return load.versions();
  };
  auto onlyFrom = [](const auto& versions, const std::string& version) {
    return versions.size() == 1 && versions.begin()->first == version;
  };
  // `ramp promote crawler --to uat` with `load` running into uat from half a second before.
  auto promoteToUatUnder = [&](SyntheticLoad& load) {
    load.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    return runRamp({"promote", "crawler", "--to", "uat"}, work, home);
  };

  heading("7. 2.0.0 into uat as a canary under load: the judge passes it, zero failed requests");
  expect(runRamp({"deploy", "crawler", "--env", "int", "--version", "2.0.0"}, work, home) == 0,
         "crawler 2.0.0 is live in int");
  SyntheticLoad load(uat, demoLoad());
  rc = promoteToUatUnder(load);
  expect(rc == 0, "crawler 2.0.0 passed its canary and is live in uat");
  auto v = answersAfterSwitch(load);
  expect(onlyFrom(v, "2.0.0"),
         fmt::format("every request after the switch is answered by 2.0.0 ({} answers)", v.empty() ? 0 : v.begin()->second));
  runRamp({"status", "crawler", "--env", "uat"}, work, home);
  pause(a);

  heading("8. Rollback in uat while 1.0.0 is still warm: one verified switch");
  rc = runRamp({"rollback", "crawler", "--env", "uat"}, work, home);
  expect(rc == 0, "rolled back to 1.0.0");
  v = answersAfterSwitch(load);
  expect(onlyFrom(v, "1.0.0"), "every request after the rollback is answered by 1.0.0");
  load.stop();
  expect(load.failed() == 0, fmt::format("{} requests sent during the switches, {} failed", load.sent(), load.failed()));
  pause(a);

  heading("9. A bad build (3.0.0) is caught by its canary in uat: the judge rolls it back by itself");
  expect(runRamp({"deploy", "crawler", "--env", "int", "--version", "3.0.0"}, work, home) == 0,
         "3.0.0 passes int (no traffic there: its bake's judge has nothing to judge)");
  {
    SyntheticLoad uatLoad(uat, demoLoad());
    out.clear();
    rc = promoteToUatUnder(uatLoad);
    expect(rc == 3, fmt::format("ramp promote crawler --to uat: exit {} (3: rolled back)", rc));
    auto st = api->get("/api/v1/status?service=crawler&env=uat");
    std::string why = st && !st->empty() ? (*st)[0]["deployment"].value("reason", "") : "";
    std::cout << "  why: " << why << std::endl;
    v = answersAfterSwitch(uatLoad);
    expect(onlyFrom(v, "1.0.0"), "uat is back on 1.0.0; prod never saw 3.0.0");
    expect(uatLoad.failed() < uatLoad.sent() / 10,
           fmt::format("{} of {} requests failed while the canary ran (bounded by its weight)", uatLoad.failed(),
                       uatLoad.sent()));
  }
  pause(a);

  heading("10. A security hotfix (3.0.1) straight to prod, with its reason");
  SyntheticLoad prodLoad(prod, demoLoad());
  prodLoad.start();
  out.clear();
  rc = capture({"deploy", "crawler", "--env", "prod", "--version", "3.0.1", "--hotfix", "--reason",
                "CVE-2026-0420: header parsing", "--detach"},
               &out);
  id = firstLine(out);
  expect(rc == 0 && id.starts_with("d-"), "ramp deploy --hotfix --reason: " + id + " (still needs prod's approval)");
  expect(runRamp({"--token", rmToken, "approve", id, "--comment", "hotfix"}, work, home) == 0,
         "release-manager approves the hotfix");
  d = follow(id, 240);
  prodLoad.stop();
  expect(d.value("state", "") == "succeeded", "3.0.1 is live in prod (hotfix steps: 50% → analysis → 100%)");
  auto debt = [&]() {
    auto st = api->get("/api/v1/status?service=crawler&env=prod");
    std::string missing;
    if (st && !st->empty() && (*st)[0].contains("hotfix_debt") && (*st)[0]["hotfix_debt"].is_array()) {
      for (auto& h : (*st)[0]["hotfix_debt"]) {
        for (auto& m : h.value("missing", json::array())) missing += (missing.empty() ? "" : ",") + m.get<std::string>();
      }
    }
    return missing;
  };
  std::string owed = debt();
  expect(!owed.empty(), "ramp status shows the hotfix debt: 3.0.1 has not been through " + owed);
  expect(runRamp({"deploy", "crawler", "--env", "int", "--version", "3.0.1"}, work, home) == 0,
         "back-promotion: 3.0.1 into int");
  {
    // uat is a canary: its judge needs requests to compare (with none it
    // waits for a person at the step's deadline, as it should).
    SyntheticLoad uatLoad(uat, demoLoad());
    uatLoad.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    expect(runRamp({"promote", "crawler", "--to", "uat"}, work, home) == 0, "back-promotion: 3.0.1 into uat, under load");
    uatLoad.stop();
  }
  owed = debt();
  expect(owed.empty(), "the hotfix debt is cleared");
  runRamp({"status"}, work, home);
  pause(a);

  heading("11. A new region for uat: one line of config, its infrastructure replicated, releases in waves");
  {
    std::ifstream in(work / "ramp.yaml");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string uatBlock = "  uat:\n    provider: local\n";
    auto at = text.find(uatBlock);
    if (at != std::string::npos) text.insert(at + uatBlock.size(), "    regions: [local, west]\n");
    std::ofstream(work / "ramp.yaml") << text;
    expect(at != std::string::npos && runRamp({"validate"}, work, home) == 0,
           "ramp.yaml: uat's regions are now [local, west]");
    expect(runRamp({"config", "push", "-m", "uat: a second region"}, work, home) == 0,
           "ramp config push: a change of uat's services (deployer@uat), in force at once");
  }
  {
    std::string o;
    int prc = capture({"plan", "--env", "uat", "--json"}, &o);
    auto p = json::parse(o, nullptr, false);
    bool onlyWest = prc == 0 && p.is_object() && p.contains("changes") && p["changes"].is_array() &&
                    !p["changes"].empty();
    std::string what;
    if (onlyWest) {
      for (const auto& c : p["changes"]) {
        onlyWest = onlyWest && c.value("action", "") == "create" && c.value("region", "") == "west";
        what += (what.empty() ? "" : ", ") + c.value("action", "") + " " + c.value("address", "");
      }
    }
    expect(onlyWest, "ramp plan --env uat: exactly the new region's copy (" + what + ")");
    expect(runRamp({"apply", "--env", "uat", "--yes"}, work, home) == 0, "ramp apply --env uat --yes");
  }
  expect(runRamp({"deploy", "crawler", "--env", "int", "--version", "3.1.0"}, work, home) == 0,
         "crawler 3.1.0 is live in int");
  {
    SyntheticLoad uatLoad(uat, demoLoad());
    uatLoad.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::string o;
    int prc = capture({"promote", "crawler", "--to", "uat", "--detach"}, &o);
    std::string wid = firstLine(o);
    expect(prc == 0 && wid.starts_with("d-"), "ramp promote crawler --to uat: one deployment, regions in waves (" + wid + ")");
    auto wd = follow(wid, 180);
    uatLoad.stop();
    std::string waves;
    bool all = wd.contains("waves") && wd["waves"].is_array() && wd["waves"].size() == 2;
    if (all) {
      for (const auto& w : wd["waves"]) {
        waves += (waves.empty() ? "" : " → ") + w.value("region", "") + " " + w.value("state", "");
        all = all && w.value("state", "") == "succeeded";
      }
    }
    expect(wd.value("state", "") == "succeeded" && all, "3.1.0 went region by region: " + waves);
    expect(uatLoad.failed() == 0,
           fmt::format("{} requests to uat/local during the waves, {} failed", uatLoad.sent(), uatLoad.failed()));
    auto st = api->get("/api/v1/status?service=crawler&env=uat");
    std::string west;
    if (st && !st->empty() && (*st)[0].contains("entrypoints") && (*st)[0]["entrypoints"].is_object())
      west = (*st)[0]["entrypoints"].value("west", "");
    std::string answer;
    if (!west.empty()) {
      CURL* c = curl_easy_init();
      std::string url = west + "/version";
      curl_easy_setopt(c, CURLOPT_URL, url.c_str());
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, +[](char* p, size_t sz, size_t n, void* u) {
        static_cast<std::string*>(u)->append(p, sz * n);
        return sz * n;
      });
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
      curl_easy_perform(c);
      curl_easy_cleanup(c);
    }
    expect(answer.find("3.1.0") != std::string::npos, "the west entry point " + west + " answers " +
                                                          (answer.empty() ? std::string("nothing") : firstLine(answer)));
  }
  runRamp({"status", "crawler", "--env", "uat"}, work, home);
  pause(a);

  heading("12. Delivery figures (DORA), the audit trail, the dashboard");
  runRamp({"stats"}, work, home);
  expect(runRamp({"audit", "verify"}, work, home) == 0, "ramp audit verify: the hash chain and its signed head are intact");
  // The dashboard lives as long as the controller: a URL is printed only
  // while someone can open it (step 12 stops the controller).
  if (!a.noWait && isatty(0)) {
    if (auto info = controllerInfo(home)) {
      std::cout << "  the dashboard: " << info->dashboardUrl() << "  (log in with the token in "
                << info->tokenFile.string() << ")\n  it stays up until you press Enter" << std::endl;
    }
    pause(a);
  } else {
    std::cout << "  the dashboard is served by the controller while it runs (`ramp status` prints its URL); this run "
                 "stops it in step 12 — run `ramp demo` on a terminal to browse it before"
              << std::endl;
  }

  heading("13. Clean up: ramp down leaves no process behind");
  expect(runRamp({"down"}, work, home) == 0, "fleets, router and controller stopped");

  std::cout << "\n";
  if (!problems.empty()) {
    std::cout << "demo: " << problems.size() << " step(s) did not end as expected" << std::endl;
    return kExitFailure;
  }
  std::cout << "demo: every step ended as expected" << std::endl;
  return kExitOk;
}

void addDemo(Cli& cli) {
  auto args = std::make_shared<DemoArgs>();
  auto* cmd = cli.app.add_subcommand("demo", "Run the whole story locally with the example crawler");
  cmd->add_flag("--no-wait", args->noWait, "Never pause for a person");
  cmd->add_option("--example", args->example, "Directory of the example service (default: the source tree's)");
  cmd->callback([&cli, args] {
    try {
      cli.exitCode = runDemo(cli, *args);
    } catch (const std::exception& e) {
      std::cerr << "demo: stopped by an error of its own: " << e.what() << std::endl;
      cli.exitCode = kExitFailure;
    }
  });
}

}  // namespace

RAMP_COMMAND(95, addDemo)

}  // namespace ramp::cli
