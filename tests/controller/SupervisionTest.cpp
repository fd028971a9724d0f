// Supervision of the embedded default (docs/controller.md "Supervision"):
// the controller the CLI starts is supervised, so
//  - `kill -9` of it brings it back within seconds without any command
//    (the router watches it);
//  - `kill -9` of the router brings that back (the controller watches it);
//  - with both dead, any command — `deploy` included, and a `deploy`
//    following its deployment — starts one controller, however many
//    commands start at once;
//  - stops on purpose stay stopped: SIGTERM leaves the controller down, and
//    `ramp down` leaves no process of the home behind (none comes back).
// Real processes: the `ramp` binary, its router, crawler instances. Times are
// printed, not asserted beyond generous bounds (bench/ has the timings).
#include <dirent.h>

#include <gtest/gtest.h>

#include "ControllerWorld.h"

using namespace ctl;

namespace {

// Pids of live processes whose command line is `ramp ... WORD ... --home HOME ...`
// (or `ramp WORD` with RAMP_HOME=HOME in the environment).
std::vector<pid_t> processesOf(const fs::path& home, const std::string& word) {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::string cmd = slurp(fs::path("/proc") / e->d_name / "cmdline");
    std::string stat = slurp(fs::path("/proc") / e->d_name / "stat");
    auto rp = stat.rfind(')');
    if (rp != std::string::npos && rp + 2 < stat.size() && stat[rp + 2] == 'Z') continue;  // a zombie
    std::vector<std::string> args;
    size_t i = 0;
    while (i < cmd.size()) {
      size_t z = cmd.find('\0', i);
      if (z == std::string::npos) z = cmd.size();
      args.push_back(cmd.substr(i, z - i));
      i = z + 1;
    }
    if (args.size() < 2 || args[1] != word) continue;
    bool ours = false;
    for (size_t k = 0; k + 1 < args.size(); ++k) ours = ours || (args[k] == "--home" && args[k + 1] == home.string());
    if (!ours) {
      std::string environ = slurp(fs::path("/proc") / e->d_name / "environ");
      ours = environ.find(std::string("RAMP_HOME=") + home.string() + '\0') != std::string::npos;
    }
    if (ours) out.push_back(pid);
  }
  closedir(d);
  return out;
}

pid_t routerPid(const World& w) {
  auto j = json::parse(slurp(w.home() / "router" / "admin.json"), nullptr, false);
  return j.is_object() ? j.value("pid", 0) : 0;
}

// Waits (bounded) until a controller other than `old` answers; its pid, or 0.
pid_t waitNewController(const World& w, pid_t old, std::chrono::milliseconds limit, double* took) {
  auto start = SteadyClock::now();
  while (SteadyClock::now() - start < limit) {
    auto j = w.controllerJson();
    pid_t pid = j.is_object() ? j.value("pid", 0) : 0;
    if (pid > 0 && pid != old && processAlive(pid)) {
      auto r = http("GET", w.apiBase() + "/api/v1/health", "", std::nullopt, 500);
      if (r.ok && r.status == 200) {
        *took = std::chrono::duration<double>(SteadyClock::now() - start).count();
        return pid;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

// The deployment's state, "" when the controller cannot say.
std::string stateOf(const World& w, const std::string& id) {
  auto r = w.api("GET", "/api/v1/deployments/" + id);
  auto j = r.ok && r.status == 200 ? r.parsed() : json();
  return j.is_object() ? j.value("state", "") : "";
}

TEST(Supervision, EitherDeathHealsWithoutACommand) {
  World w("heal");
  ASSERT_TRUE(w.createReleases());
  ASSERT_TRUE(w.pushConfig());
  ASSERT_EQ(w.run({"deploy", "crawler", "--env", "int", "--version", "1.0.0"}), 0);
  ASSERT_TRUE(fs::exists(w.home() / "controller.supervised")) << "the CLI starts a supervised controller";

  // kill -9 of the controller: the router brings it back, no command run.
  pid_t first = w.controllerJson().value("pid", 0);
  ASSERT_GT(first, 0);
  ASSERT_EQ(kill(first, SIGKILL), 0);
  double took = 0;
  pid_t second = waitNewController(w, first, std::chrono::seconds(20), &took);
  ASSERT_GT(second, 0) << "no controller came back; controller.log:\n" << slurp(w.home() / "controller.log")
                       << "\nrouter.log:\n" << slurp(w.home() / "router" / "router.log");
  std::cout << "controller back " << took << " s after kill -9 (pid " << first << " -> " << second << ")\n";
  EXPECT_EQ(processesOf(w.home(), "serve").size(), 1u);

  // kill -9 of the router: the controller brings it back, no command run.
  pid_t router = routerPid(w);
  ASSERT_GT(router, 0);
  ASSERT_EQ(kill(router, SIGKILL), 0);
  auto start = SteadyClock::now();
  pid_t router2 = 0;
  while (SteadyClock::now() - start < std::chrono::seconds(20)) {
    router2 = routerPid(w);
    if (router2 > 0 && router2 != router && processAlive(router2)) break;
    router2 = 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GT(router2, 0) << "no router came back; controller.log:\n" << slurp(w.home() / "controller.log");
  std::cout << "router back " << std::chrono::duration<double>(SteadyClock::now() - start).count()
            << " s after kill -9\n";

  // A CLI following a deployment rides out the death of controller and
  // router together — nobody is left to restart the other: the CLI does
  // (exit 0, not "cannot reach the controller").
  std::atomic<int> rc{-1};
  std::string out;
  std::thread deploy([&] { rc = w.run({"deploy", "crawler", "--env", "int", "--version", "2.0.0"}, &out); });
  std::string id;
  for (int i = 0; i < 300 && id.empty(); ++i) {
    auto list = w.api("GET", "/api/v1/deployments?limit=1").parsed();
    if (list.is_array() && !list.empty() && list[0].value("version", "") == "2.0.0") id = list[0].value("id", "");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(kill(routerPid(w), SIGKILL), 0);
  ASSERT_EQ(kill(second, SIGKILL), 0);
  deploy.join();
  EXPECT_EQ(rc, 0) << out << "\ncontroller.log:\n" << slurp(w.home() / "controller.log");
  EXPECT_EQ(stateOf(w, id), "succeeded");

  EXPECT_EQ(w.run({"down"}), 0);
}

TEST(Supervision, AnyCommandStartsADeadControllerAndOnlyOne) {
  World w("start");
  ASSERT_TRUE(w.createReleases());
  ASSERT_TRUE(w.pushConfig());
  ASSERT_EQ(w.run({"deploy", "crawler", "--env", "int", "--version", "1.0.0"}), 0);
  // Both dead at once: nobody is left to bring the other back.
  pid_t controller = w.controllerJson().value("pid", 0), router = routerPid(w);
  ASSERT_GT(controller, 0);
  ASSERT_GT(router, 0);
  kill(router, SIGKILL);
  kill(controller, SIGKILL);
  for (int i = 0; i < 100 && (processAlive(router) || processAlive(controller)); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // `ramp deploy` finds it dead and starts it (it used to exit 1).
  std::string out;
  EXPECT_EQ(w.run({"deploy", "crawler", "--env", "int", "--version", "2.0.0"}, &out), 0) << out;
  EXPECT_EQ(processesOf(w.home(), "serve").size(), 1u);

  // Again, with eight commands at once: one controller.
  controller = w.controllerJson().value("pid", 0);
  router = routerPid(w);
  kill(router, SIGKILL);
  kill(controller, SIGKILL);
  for (int i = 0; i < 100 && (processAlive(router) || processAlive(controller)); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::vector<std::thread> clis;
  std::atomic<int> failures{0};
  for (int i = 0; i < 8; ++i) {
    clis.emplace_back([&] {
      if (w.run({"status", "crawler", "--env", "int", "--json"}, nullptr) != 0) ++failures;
    });
  }
  for (auto& t : clis) t.join();
  EXPECT_EQ(failures, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a second starter would be up by now
  EXPECT_EQ(processesOf(w.home(), "serve").size(), 1u) << slurp(w.home() / "controller.log");
  EXPECT_EQ(processesOf(w.home(), "router").size(), 1u);

  EXPECT_EQ(w.run({"down"}), 0);
}

TEST(Supervision, AControllerComesBackWithTheCommandItWasStartedWith) {
  World w("argv");
  ASSERT_TRUE(w.createReleases());
  pid_t serve = startServe({"serve", "--home", w.home().string(), "--supervised", "--lease-ttl", "7s"},
                           w.home() / "serve.log");
  ASSERT_TRUE(w.waitController(serve, std::chrono::seconds(20))) << slurp(w.home() / "serve.log");
  ASSERT_TRUE(w.pushConfig());
  ASSERT_EQ(w.run({"deploy", "crawler", "--env", "int", "--version", "1.0.0"}), 0);
  pid_t router = routerPid(w);
  ASSERT_GT(router, 0);
  kill(router, SIGKILL);
  kill(serve, SIGKILL);
  ASSERT_TRUE(waitChild(serve, std::chrono::seconds(10)));
  for (int i = 0; i < 100 && processAlive(router); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Nobody is left to restart it: the CLI does, with the recorded command.
  EXPECT_EQ(w.run({"status", "crawler", "--env", "int", "--json"}, nullptr), 0);
  auto pids = processesOf(w.home(), "serve");
  ASSERT_EQ(pids.size(), 1u);
  std::string cmd = slurp(fs::path("/proc") / std::to_string(pids[0]) / "cmdline");
  for (auto& c : cmd) c = c == '\0' ? ' ' : c;
  EXPECT_NE(cmd.find("--lease-ttl 7s --supervised"), std::string::npos) << cmd;
  EXPECT_EQ(w.run({"down"}), 0);
}

TEST(Supervision, StopsOnPurposeStayStopped) {
  World w("stop");
  ASSERT_TRUE(w.createReleases());
  ASSERT_TRUE(w.pushConfig());
  ASSERT_EQ(w.run({"deploy", "crawler", "--env", "int", "--version", "1.0.0"}), 0);
  // SIGTERM is a stop, not a death: the router leaves it stopped.
  pid_t controller = w.controllerJson().value("pid", 0);
  ASSERT_GT(controller, 0);
  ASSERT_EQ(kill(controller, SIGTERM), 0);
  for (int i = 0; i < 300 && processAlive(controller); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_FALSE(processAlive(controller));
  EXPECT_FALSE(fs::exists(w.home() / "controller.supervised"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(processesOf(w.home(), "serve").empty()) << "a controller stopped with SIGTERM came back";
  EXPECT_EQ(processesOf(w.home(), "router").size(), 1u) << "the router keeps serving";

  // `ramp down` (which starts the controller to ask it) stops everything,
  // and nothing comes back.
  EXPECT_EQ(w.run({"down"}), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  for (const char* word : {"serve", "router", "instance-shim"}) {
    EXPECT_TRUE(processesOf(w.home(), word).empty()) << word << " outlived ramp down";
  }
}

}  // namespace
