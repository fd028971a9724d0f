// SandboxE2ETest — a release is arbitrary code; on the local provider it
// cannot reach the controller's secrets (issue 15; docs/providers.md
// "Isolation"). End to end: a real `ramp serve` (started with RAMP_TOKEN and
// another secret in its environment), a release whose start script tries to
// read $RAMP_HOME/admin.token, the store (ramp.db), the audit key and the
// secrets directory, looks for the controller's process and for the
// controller's environment, and then runs the crawler; and a smoke test that
// passes only if it cannot read the admin token. The deployment succeeds and
// the instance's own log shows every attempt failed (and, as root, that it
// ran as the unprivileged ramp-instance user).
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "RampProcess.h"

namespace fs = std::filesystem;
using nlohmann::json;
using ramp::e2e::env;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `ramp ARGS` in `cwd` with extra environment; stdout (and stderr) in *out.
int rampAs(const std::vector<std::string>& args, const fs::path& cwd, const std::map<std::string, std::string>& extra,
         std::string* out = nullptr) {
  std::string text;
  int rc = ::ramp::testsupport::runRamp(args, {.cwd = cwd, .env = extra, .out = &text, .stderrToOut = true});
  if (out) *out = text;
  return rc;
}

}  // namespace

TEST(SandboxE2E, AReleaseCannotReadTheControllersSecrets) {
  const fs::path home = env("RAMP_HOME");
  ASSERT_FALSE(home.empty());
  const fs::path work = home / "work";
  fs::create_directories(work / "release" / "bin");

  // The controller, started by hand with secrets in its environment.
  pid_t serve = fork();
  if (serve == 0) {
    int fd = ::open((home / "serve.log").c_str(), O_CREAT | O_WRONLY | O_APPEND, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    setenv("RAMP_TOKEN", "controller-env-token-value", 1);
    setenv("CONTROLLER_SECRET", "controller-secret-value", 1);
    std::string bin = env("RAMP_BIN");
    execl(bin.c_str(), "ramp", "serve", "--home", home.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  struct Down {
    fs::path work;
    pid_t serve;
    ~Down() {
      rampAs({"down"}, work, {});
      for (int i = 0; i < 100 && waitpid(serve, nullptr, WNOHANG) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      kill(serve, SIGKILL);
      waitpid(serve, nullptr, 0);
    }
  } down{work, serve};
  for (int i = 0; i < 200 && !fs::exists(home / "controller.json"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(fs::exists(home / "admin.token")) << slurp(home / "serve.log");
  std::string token = slurp(home / "admin.token");
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  ASSERT_FALSE(token.empty());

  // The release: a start script that tries, then the crawler.
  fs::copy_file(env("RAMP_CRAWLER_BIN"), work / "release" / "bin" / "crawler-bin");
  std::ofstream(work / "release" / "bin" / "crawler")
      << "#!/bin/sh\n"
      << "H='" << home.string() << "'\n"
      << "for f in admin.token ramp.db audit.key secrets controller.json; do\n"
      << "  if cat \"$H/$f\" >/dev/null 2>&1 || ls \"$H/$f\" >/dev/null 2>&1; then echo \"READ $f\"; "
      << "else echo \"cannot read $f\"; fi\n"
      << "done\n"
      << "if [ -e /proc/" << serve << "/environ ]; then echo 'SEES the controller'; else echo 'controller not visible'; fi\n"
      << "if [ -n \"$RAMP_TOKEN$CONTROLLER_SECRET\" ]; then echo 'HAS the controller environment'; "
      << "else echo 'no controller environment'; fi\n"
      << "echo \"uid $(id -u)\"\n"
      << "exec \"$(dirname \"$0\")/crawler-bin\" --quiet \"$@\"\n";
  fs::permissions(work / "release" / "bin" / "crawler", fs::perms::owner_all | fs::perms::group_read |
                                                            fs::perms::group_exec | fs::perms::others_read |
                                                            fs::perms::others_exec);
  // One instance, and a smoke test that passes only when it cannot read the token.
  std::string yaml = slurp(env("RAMP_E2E_DIR") + "/ramp.yaml");
  yaml.replace(yaml.find("    instances: 2\n"), std::string("    instances: 2\n").size(), "    instances: 1\n");
  yaml.replace(yaml.find("      bake: 5m\n"), std::string("      bake: 5m\n").size(),
               "      bake: 0s\n      smoke_test: \"! cat " + (home / "admin.token").string() + " && ! test -e " +
                   (home / "ramp.db").string() + " && test -z \\\"$RAMP_TOKEN$CONTROLLER_SECRET\\\"\"\n");
  std::ofstream(work / "ramp.yaml") << yaml;

  const std::map<std::string, std::string> asAdmin{{"RAMP_TOKEN", token}};
  std::string out;
  ASSERT_EQ(rampAs({"--home", home.string(), "release", "create", "crawler", "--version", "1.0.0"}, work, asAdmin, &out), 0)
      << out;
  ASSERT_EQ(rampAs({"--home", home.string(), "config", "push"}, work, asAdmin, &out), 0) << out;
  int rc = rampAs({"--home", home.string(), "deploy", "crawler", "--env", "int", "--version", "1.0.0"}, work, asAdmin, &out);
  ASSERT_EQ(rc, 0) << out << slurp(home / "serve.log");

  // The instance's own log: every attempt failed.
  std::string log;
  for (const auto& e : fs::recursive_directory_iterator(home / "fleets")) {
    if (e.path().filename() == "stdout.log") log += slurp(e.path());
  }
  ASSERT_NE(log.find("cannot read admin.token"), std::string::npos) << log;
  for (std::string f : {"admin.token", "ramp.db", "audit.key", "secrets", "controller.json"}) {
    EXPECT_NE(log.find("cannot read " + f), std::string::npos) << f << "\n" << log;
    EXPECT_EQ(log.find("READ " + f), std::string::npos) << f << "\n" << log;
  }
  EXPECT_NE(log.find("controller not visible"), std::string::npos) << log;
  EXPECT_NE(log.find("no controller environment"), std::string::npos) << log;
  EXPECT_EQ(log.find(token), std::string::npos) << "the admin token leaked into the instance's log";
  if (geteuid() == 0) {
    struct passwd* pw = getpwnam("ramp-instance");
    ASSERT_NE(pw, nullptr) << "scripts/install-deps.sh creates the ramp-instance user";
    EXPECT_NE(log.find("uid " + std::to_string(pw->pw_uid)), std::string::npos) << log;
  }
}
