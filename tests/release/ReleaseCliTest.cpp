// ReleaseCliTest.cpp — `ramp release create|list|verify` through the built
// binary ($RAMP_BIN) in this test's own RAMP_HOME: --from, the config's
// release.from and release.build, --json, and every refusal (exit 1, a clear
// message, nothing changed).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "TempDir.h"

namespace fs = std::filesystem;
using ramp::release::testing::TempDir;
using ramp::release::testing::writeFile;

namespace {

struct Run {
  int exit = -1;
  std::string out, err;
};

// Runs $RAMP_BIN with `args` in `cwd`, home `home`; bounded to 60 s.
Run runRamp(const std::vector<std::string>& args, const fs::path& home, const fs::path& cwd = ".") {
  Run r;
  int out[2], err[2];
  if (::pipe(out) != 0 || ::pipe(err) != 0) return r;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::close(out[0]);
    ::close(err[0]);
    if (::chdir(cwd.c_str()) != 0) _exit(126);
    ::setenv("RAMP_HOME", home.c_str(), 1);
    std::vector<std::string> all{std::getenv("RAMP_BIN")};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  // Read both pipes without deadlock: poll until both are closed.
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int open = 2;
  while (open > 0 && std::chrono::steady_clock::now() < deadline) {
    if (::poll(fds, 2, 1000) <= 0) continue;
    for (auto& f : fds) {
      if (f.fd >= 0 && (f.revents & (POLLIN | POLLHUP))) {
        char b[4096];
        ssize_t n = ::read(f.fd, b, sizeof b);
        if (n <= 0) {
          f.fd = -1;
          --open;
        } else {
          (f.fd == out[0] ? r.out : r.err).append(b, static_cast<size_t>(n));
        }
      }
    }
  }
  ::close(out[0]);
  ::close(err[0]);
  int status = 0;
  if (open > 0) ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  r.exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

void makeApp(const fs::path& dir, const std::string& body = "v1\n") {
  writeFile(dir / "bin/app", "#!/bin/sh\necho app\n");
  fs::permissions(dir / "bin/app", fs::perms(0755));
  writeFile(dir / "data.txt", body);
}

const char* kConfigHead = R"(version: 1
project: demo
environments:
  int:
    provider: local
pipeline: [int]
services:
)";

struct ReleaseCli : ::testing::Test {
  TempDir home, work;
};

}  // namespace

TEST_F(ReleaseCli, BinaryIsKnown) { ASSERT_NE(std::getenv("RAMP_BIN"), nullptr); }

TEST_F(ReleaseCli, CreateFromDirThenSameThenConflict) {
  makeApp(work.path() / "app");
  auto r = runRamp({"release", "create", "crawler", "--version", "1.4.0", "--from", (work.path() / "app").string()},
                home.path());
  ASSERT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(r.out.rfind("created release crawler 1.4.0 sha256:", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("(2 files, "), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(home.path() / "releases/crawler/1.4.0/tree/bin/app"));

  auto again = runRamp({"release", "create", "crawler", "--version", "1.4.0", "--from", "app"}, home.path(), work.path());
  ASSERT_EQ(again.exit, 0) << again.err;
  EXPECT_NE(again.out.find("already exists with the same content"), std::string::npos) << again.out;

  writeFile(work.path() / "app/data.txt", "v2\n");
  auto conflict = runRamp({"release", "create", "crawler", "--version", "1.4.0", "--from", "app", "--json"},
                       home.path(), work.path());
  EXPECT_EQ(conflict.exit, 1);
  EXPECT_TRUE(conflict.out.empty()) << conflict.out;
  EXPECT_NE(conflict.err.find("already exists with sha256:"), std::string::npos) << conflict.err;
  EXPECT_NE(conflict.err.find("the new content has sha256:"), std::string::npos) << conflict.err;

  auto list = runRamp({"release", "list", "--json"}, home.path());
  ASSERT_EQ(list.exit, 0) << list.err;
  auto j = nlohmann::json::parse(list.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["service"], "crawler");
  EXPECT_EQ(j[0]["version"], "1.4.0");
  EXPECT_EQ(j[0]["files"], 2);
  EXPECT_EQ(j[0]["path"], (home.path() / "releases/crawler/1.4.0/tree").string());
  EXPECT_EQ(j[0]["digest"].get<std::string>().substr(0, 7), "sha256:");
  EXPECT_TRUE(j[0].contains("created_at"));
  EXPECT_TRUE(j[0].contains("created_by"));

  auto people = runRamp({"release", "list", "crawler"}, home.path());
  ASSERT_EQ(people.exit, 0);
  EXPECT_NE(people.out.find("1.4.0"), std::string::npos) << people.out;
  auto none = runRamp({"release", "list", "other", "--json"}, home.path());
  ASSERT_EQ(none.exit, 0);
  EXPECT_EQ(nlohmann::json::parse(none.out).size(), 0u);
}

TEST_F(ReleaseCli, CreateJsonOutput) {
  makeApp(work.path() / "app");
  auto r = runRamp({"release", "create", "crawler", "--version", "2.0.0", "--from", "app", "--json"}, home.path(),
                work.path());
  ASSERT_EQ(r.exit, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["created"], true);
  EXPECT_EQ(j["version"], "2.0.0");
  EXPECT_EQ(j["source"], "dir:" + (work.path() / "app").string());
}

TEST_F(ReleaseCli, RefusalsExitOneAndChangeNothing) {
  makeApp(work.path() / "app");
  auto badVersion = runRamp({"release", "create", "crawler", "--version", "../1", "--from", "app"}, home.path(), work.path());
  EXPECT_EQ(badVersion.exit, 1);
  EXPECT_NE(badVersion.err.find("--version"), std::string::npos) << badVersion.err;

  auto badService = runRamp({"release", "create", "Crawler!", "--version", "1", "--from", "app"}, home.path(), work.path());
  EXPECT_EQ(badService.exit, 1);
  EXPECT_NE(badService.err.find("SERVICE"), std::string::npos) << badService.err;

  auto missing = runRamp({"release", "create", "crawler", "--version", "1", "--from", "nope"}, home.path(), work.path());
  EXPECT_EQ(missing.exit, 1);
  EXPECT_NE(missing.err.find("nope"), std::string::npos) << missing.err;

  auto noVersion = runRamp({"release", "create", "crawler", "--from", "app"}, home.path(), work.path());
  EXPECT_EQ(noVersion.exit, 1);
  EXPECT_NE(noVersion.err.find("--version"), std::string::npos) << noVersion.err;

  auto noConfig = runRamp({"release", "create", "crawler", "--version", "1"}, home.path(), work.path());
  EXPECT_EQ(noConfig.exit, 1);
  EXPECT_NE(noConfig.err.find("ramp.yaml"), std::string::npos) << noConfig.err;

  EXPECT_FALSE(fs::exists(home.path() / "releases/crawler"));
}

TEST_F(ReleaseCli, VerifyDetectsTampering) {
  makeApp(work.path() / "app");
  ASSERT_EQ(runRamp({"release", "create", "crawler", "--version", "1.0.0", "--from", "app"}, home.path(), work.path()).exit, 0);
  auto ok = runRamp({"release", "verify", "crawler", "--version", "1.0.0"}, home.path());
  EXPECT_EQ(ok.exit, 0) << ok.err;
  fs::path f = home.path() / "releases/crawler/1.0.0/tree/data.txt";
  fs::permissions(f, fs::perms(0644));
  writeFile(f, "tampered\n");
  auto bad = runRamp({"release", "verify", "crawler", "--version", "1.0.0"}, home.path());
  EXPECT_EQ(bad.exit, 1);
  EXPECT_NE(bad.err.find("release crawler 1.0.0 changed on disk: expected sha256:"), std::string::npos) << bad.err;
  auto unknown = runRamp({"release", "verify", "crawler", "--version", "9.9.9"}, home.path());
  EXPECT_EQ(unknown.exit, 1);
  EXPECT_NE(unknown.err.find("9.9.9"), std::string::npos);
}

TEST_F(ReleaseCli, CreateFromConfigReleaseFrom) {
  makeApp(work.path() / "sub/app");
  writeFile(work.path() / "sub/ramp.yaml", std::string(kConfigHead) +
                                               "  web:\n    release:\n      from: app\n"
                                               "    run:\n      command: bin/app\n");
  // -f from elsewhere: paths are relative to the config's directory.
  auto r = runRamp({"release", "create", "web", "--version", "1.0.0", "-f", "sub/ramp.yaml"}, home.path(), work.path());
  ASSERT_EQ(r.exit, 0) << r.err << r.out;
  EXPECT_TRUE(fs::exists(home.path() / "releases/web/1.0.0/tree/data.txt"));

  auto unknown = runRamp({"release", "create", "nosuch", "--version", "1.0.0"}, home.path(), work.path() / "sub");
  EXPECT_EQ(unknown.exit, 1);
  EXPECT_NE(unknown.err.find("unknown service \"nosuch\""), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("web"), std::string::npos) << unknown.err;
}

TEST_F(ReleaseCli, CreateFromConfigBuildAndBuildFailure) {
  writeFile(work.path() / "build.sh",
            "#!/bin/sh\nset -e\nrm -rf out\nmkdir -p out/bin\necho \"$RAMP_RELEASE_VERSION\" > out/VERSION\n"
            "echo building-to-stdout\n");
  fs::permissions(work.path() / "build.sh", fs::perms(0755));
  writeFile(work.path() / "ramp.yaml", std::string(kConfigHead) +
                                           "  web:\n    release:\n      build: ./build.sh\n      output: out\n"
                                           "    run:\n      command: bin/app\n");
  auto r = runRamp({"release", "create", "web", "--version", "3.0.0", "--json"}, home.path(), work.path());
  ASSERT_EQ(r.exit, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);  // the build's stdout went to stderr
  EXPECT_EQ(j["created"], true);
  EXPECT_NE(j["source"].get<std::string>().find("build:./build.sh"), std::string::npos);
  EXPECT_NE(r.err.find("building-to-stdout"), std::string::npos);
  std::string text;
  {
    std::ifstream in(home.path() / "releases/web/3.0.0/tree/VERSION");
    std::getline(in, text);
  }
  EXPECT_EQ(text, "3.0.0");

  writeFile(work.path() / "build.sh", "#!/bin/sh\necho failing >&2\nexit 3\n");
  fs::permissions(work.path() / "build.sh", fs::perms(0755));
  auto f = runRamp({"release", "create", "web", "--version", "3.0.1"}, home.path(), work.path());
  EXPECT_EQ(f.exit, 1);
  EXPECT_NE(f.err.find("exit code 3"), std::string::npos) << f.err;
  EXPECT_FALSE(fs::exists(home.path() / "releases/web/3.0.1"));
}

// A version that exists is refused before its build runs (a build may take
// minutes; versions are immutable): the build script would leave a marker.
TEST_F(ReleaseCli, ExistingVersionIsRefusedBeforeBuilding) {
  writeFile(work.path() / "build.sh",
            "#!/bin/sh\nset -e\necho ran >> build-ran\nrm -rf out\nmkdir -p out\necho \"$RAMP_RELEASE_VERSION\" > out/VERSION\n");
  fs::permissions(work.path() / "build.sh", fs::perms(0755));
  writeFile(work.path() / "ramp.yaml", std::string(kConfigHead) +
                                           "  web:\n    release:\n      build: ./build.sh\n      output: out\n"
                                           "    run:\n      command: bin/app\n");
  ASSERT_EQ(runRamp({"release", "create", "web", "--version", "1.0.0"}, home.path(), work.path()).exit, 0);
  ASSERT_TRUE(fs::exists(work.path() / "build-ran"));
  fs::remove(work.path() / "build-ran");
  auto again = runRamp({"release", "create", "web", "--version", "1.0.0"}, home.path(), work.path());
  EXPECT_EQ(again.exit, 1);
  EXPECT_NE(again.err.find("--version: web 1.0.0 already exists (sha256:"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("nothing was built"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("ramp release list web"), std::string::npos) << again.err;
  EXPECT_FALSE(fs::exists(work.path() / "build-ran")) << "the build ran before the refusal";
  // Another version builds as before.
  EXPECT_EQ(runRamp({"release", "create", "web", "--version", "1.0.1"}, home.path(), work.path()).exit, 0);
  EXPECT_TRUE(fs::exists(work.path() / "build-ran"));
}
