// LocalFleetProvider against real processes: shims, instances, health
// checks, replacement, digest and secret refusal, retirement, re-adoption.
#include "providers/local/LocalFleetProvider.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include <vector>
#include <nlohmann/json.hpp>

#include "config/SecretStore.h"
#include "core/Home.h"
#include "providers/local/ProcessIdentity.h"
#include "release/TreeDigest.h"

namespace ramp::providers {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string getenvOrEmpty(const char* n) {
  const char* v = std::getenv(n);
  return v ? v : "";
}

// A blocking GET to 127.0.0.1:port (bounded), returns the body or "".
std::string httpGet(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return "";
  }
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string resp;
  char buf[4096];
  for (int i = 0; i < 200; ++i) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    resp.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  auto body = resp.find("\r\n\r\n");
  return body == std::string::npos ? "" : resp.substr(body + 4);
}

std::map<std::string, std::string> parseEnv(const std::string& body) {
  std::map<std::string, std::string> m;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) m[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return m;
}

// Pids of live processes whose environment has RAMP_FLEET_ID=fleetId and
// RAMP_HOME=home (instances), or `instance-shim` processes of the home
// whose command line names the fleet's directory. The sandbox's own
// bubblewrap processes (providers/local/Sandbox.h) are not counted: they
// live and die with the instance (tests/isolated would name a leftover).
std::set<int64_t> fleetProcesses(const fs::path& home, const std::string& fleetId) {
  std::set<int64_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::string name = e.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    int64_t pid = std::stoll(name);
    if (!ProcessIdentity::of(pid)) continue;  // gone or zombie
    std::ifstream envf(e.path() / "environ");
    std::string env((std::istreambuf_iterator<char>(envf)), {});
    std::ifstream cmdf(e.path() / "cmdline");
    std::string cmd((std::istreambuf_iterator<char>(cmdf)), {});
    bool ourHome = env.find(std::string("RAMP_HOME=") + home.string() + '\0') != std::string::npos;
    if (!ourHome) continue;
    std::ifstream commf(e.path() / "comm");
    std::string comm;
    std::getline(commf, comm);
    if (comm == "bwrap") continue;
    if (env.find(std::string("RAMP_FLEET_ID=") + fleetId + '\0') != std::string::npos ||
        cmd.find((home / "fleets" / fleetId).string() + "/") != std::string::npos) {
      out.insert(pid);
    }
  }
  return out;
}

// The fleet's processes once its instances have got past the sandbox's
// set-up: bwrap (skipped above) execs setpriv, which execs the instance, so
// right after createFleet an instance may not be countable yet. Polls
// (bounded: 5 s) until there are `expected`; returns what it last saw.
std::set<int64_t> settledFleetProcesses(const fs::path& home, const std::string& fleetId, size_t expected) {
  auto seen = fleetProcesses(home, fleetId);
  for (int i = 0; i < 100 && seen.size() != expected; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    seen = fleetProcesses(home, fleetId);
  }
  return seen;
}

class LocalFleetProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = getenvOrEmpty("RAMP_HOME");
    bin_ = getenvOrEmpty("RAMP_BIN");
    server_ = getenvOrEmpty("RAMP_TEST_SERVER");
    ASSERT_FALSE(home_.empty()) << "RAMP_HOME must be set (tests/isolated)";
    ASSERT_TRUE(fs::exists(bin_)) << "RAMP_BIN: " << bin_;
    ASSERT_TRUE(fs::exists(server_)) << "RAMP_TEST_SERVER: " << server_;
    release_ = home_ / "test-release" / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(release_ / "bin");
    fs::copy_file(server_, release_ / "bin" / "server", fs::copy_options::overwrite_existing);
    {
      std::ofstream(release_ / "VERSION") << "1.0.0\n";
    }
    auto d = release::treeDigest(release_);
    ASSERT_TRUE(d) << d.error().describe();
    digest_ = *d;
  }

  void TearDown() override {
    // Safety net: whatever a failed test left running is retired here.
    LocalFleetProvider p(home_, bin_, clock_, fastOptions());
    auto ids = p.listFleets(std::nullopt, std::nullopt);
    if (ids) {
      for (const auto& id : *ids) (void)p.retireFleet(id, 0ms);
    }
  }

  static LocalFleetOptions fastOptions() {
    LocalFleetOptions o;
    o.stopGrace = 1000ms;
    o.startTimeout = 10000ms;
    return o;
  }

  FleetSpec spec(const std::string& id, int n) const {
    FleetSpec s;
    s.fleetId = id;
    s.service = "svc";
    s.env = "int";
    s.region = "local";
    s.releaseVersion = "1.0.0";
    s.releaseDigest = digest_;
    s.releasePath = release_.string();
    s.instanceType = "local";
    s.instances = n;
    s.run.command = "bin/server";
    s.run.env = {{"GREETING", "hello"}};
    s.health.path = "/healthz";
    s.health.interval = 100ms;
    s.health.timeout = 500ms;
    s.health.healthyThreshold = 1;
    s.health.unhealthyThreshold = 2;
    return s;
  }

  // Ticks (bounded) until `pred(status)` holds; returns the last status.
  template <class Pred>
  FleetStatus tickUntil(LocalFleetProvider& p, const std::string& id, Pred pred, int rounds = 150) {
    FleetStatus st;
    for (int i = 0; i < rounds; ++i) {
      (void)p.tick();
      auto s = p.fleetStatus(id);
      if (s) st = *s;
      if (s && pred(*s)) return st;
      std::this_thread::sleep_for(40ms);
    }
    return st;
  }

  static std::vector<InstanceStatus> live(const FleetStatus& st) {
    std::vector<InstanceStatus> out;
    for (const auto& i : st.instances) {
      if (i.state == "starting" || i.state == "healthy" || i.state == "unhealthy") out.push_back(i);
    }
    return out;
  }
  static int port(const InstanceStatus& i) { return std::stoi(i.address.substr(i.address.rfind(':') + 1)); }

  ManualClock clock_;
  fs::path home_, bin_, server_, release_;
  std::string digest_;
};

TEST_F(LocalFleetProviderTest, CreatesHealthyInstancesWithTheirEnvironment) {
  ASSERT_TRUE(config::SecretStore(home_).set("API_TOKEN", "s3cr3t"));
  ::setenv("FLEET_TEST_FROM_ENV", "from-env", 1);
  ::setenv("RAMP_TOKEN", "the-controllers-token", 1);  // never reaches an instance
  LocalFleetProvider p(home_, bin_, clock_, fastOptions());
  auto s = spec("svc-int-a", 2);
  s.run.env["TOKEN"] = "${secret:API_TOKEN}";
  s.run.env["FROM_ENV"] = "${env:FLEET_TEST_FROM_ENV}";
  auto created = p.createFleet(s);
  ASSERT_TRUE(created) << created.error().describe();
  auto st = tickUntil(p, s.fleetId, [](const FleetStatus& f) { return f.healthy == 2; });
  ASSERT_EQ(st.healthy, 2) << (st.instances.empty() ? "" : st.instances[0].lastError);
  EXPECT_EQ(st.running, 2);
  EXPECT_EQ(st.desired, 2);
  ASSERT_EQ(st.instances.size(), 2u);
  EXPECT_NE(st.instances[0].address, st.instances[1].address);
  for (const auto& inst : st.instances) {
    auto env = parseEnv(httpGet(port(inst), "/env"));
    EXPECT_EQ(env["PORT"], std::to_string(port(inst)));
    EXPECT_EQ(env["RAMP_SERVICE"], "svc");
    EXPECT_EQ(env["RAMP_ENV"], "int");
    EXPECT_EQ(env["RAMP_REGION"], "local");
    EXPECT_EQ(env["RAMP_RELEASE_VERSION"], "1.0.0");
    EXPECT_EQ(env["RAMP_RELEASE_DIGEST"], digest_);
    EXPECT_EQ(env["RAMP_FLEET_ID"], "svc-int-a");
    EXPECT_EQ(env["RAMP_INSTANCE_ID"], inst.id);
    EXPECT_EQ(env["RAMP_HOME"], home_.string());
    EXPECT_EQ(env["GREETING"], "hello");
    EXPECT_EQ(env["TOKEN"], "s3cr3t");
    EXPECT_EQ(env["FROM_ENV"], "from-env");
    EXPECT_EQ(fs::path(env["CWD"]), release_);
    // Sandboxed (providers/local/Sandbox.h): its own /tmp as HOME, nothing
    // of the controller's environment.
    EXPECT_EQ(env["HOME"], "/tmp");
    EXPECT_EQ(env.count("RAMP_TOKEN"), 0u);
  }
  // Secrets are never written: the fleet record keeps the reference.
  auto rec = readFile(home_ / "fleets" / s.fleetId / "fleet.json");
  ASSERT_TRUE(rec);
  EXPECT_NE(rec->find("${secret:API_TOKEN}"), std::string::npos);
  EXPECT_EQ(rec->find("s3cr3t"), std::string::npos);
  EXPECT_EQ(settledFleetProcesses(home_, s.fleetId, 4).size(), 4u) << "two shims and two instances";
  // Prometheus' file_sd view of the fleet (PrometheusTargets): its live
  // instances, labelled with the fleet.
  auto targets = readFile(home_ / "prometheus" / "targets" / (s.fleetId + ".json"));
  ASSERT_TRUE(targets);
  auto tj = nlohmann::json::parse(*targets);
  ASSERT_EQ(tj.size(), 1u) << *targets;
  std::vector<std::string> addrs{st.instances[0].address, st.instances[1].address};
  auto listed = tj[0]["targets"].get<std::vector<std::string>>();
  std::sort(addrs.begin(), addrs.end());
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, addrs) << *targets;
  EXPECT_EQ(tj[0]["labels"]["ramp_fleet"], "svc-int-a");
  EXPECT_EQ(tj[0]["labels"]["ramp_release"], "1.0.0");
  EXPECT_EQ(tj[0]["labels"]["ramp_env"], "int");

  ASSERT_TRUE(p.retireFleet(s.fleetId, 200ms));
  EXPECT_TRUE(fleetProcesses(home_, s.fleetId).empty());
  EXPECT_FALSE(fs::exists(home_ / "prometheus" / "targets" / (s.fleetId + ".json"))) << "a retired fleet is no target";
}

TEST_F(LocalFleetProviderTest, CreateIsIdempotent) {
  LocalFleetProvider p(home_, bin_, clock_, fastOptions());
  auto s = spec("svc-int-idem", 2);
  ASSERT_TRUE(p.createFleet(s));
  auto first = p.fleetStatus(s.fleetId);
  ASSERT_TRUE(first);
  ASSERT_TRUE(p.createFleet(s));
  ASSERT_TRUE(p.createFleet(s));
  auto again = p.fleetStatus(s.fleetId);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->instances.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(again->instances[i].id, first->instances[i].id);
    EXPECT_EQ(again->instances[i].pid, first->instances[i].pid);
  }
  EXPECT_EQ(settledFleetProcesses(home_, s.fleetId, 4).size(), 4u);
  auto listed = p.listFleets(std::string("svc"), std::string("int"));
  ASSERT_TRUE(listed);
  EXPECT_EQ(*listed, std::vector<std::string>{"svc-int-idem"});
  auto other = p.listFleets(std::string("svc"), std::string("prod"));
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->empty());
  ASSERT_TRUE(p.retireFleet(s.fleetId, 0ms));
  ASSERT_TRUE(p.retireFleet(s.fleetId, 0ms)) << "retiring twice is fine";
  EXPECT_TRUE(fleetProcesses(home_, s.fleetId).empty());
}

TEST_F(LocalFleetProviderTest, DifferentSpecForSameIdIsAConflict) {
  LocalFleetProvider p(home_, bin_, clock_, fastOptions());
  auto s = spec("svc-int-conf", 1);
  s.epoch = 5;
  ASSERT_TRUE(p.createFleet(s));
  auto bigger = s;
  bigger.instances = 3;
  auto r = p.createFleet(bigger);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_NE(r.error().describe().find("instances"), std::string::npos) << r.error().describe();
  EXPECT_NE(r.error().describe().find("svc-int-conf"), std::string::npos) << r.error().describe();
  auto stale = s;
  stale.epoch = 4;
  auto r2 = p.createFleet(stale);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, ErrorCode::kConflict);
  EXPECT_NE(r2.error().message.find("epoch"), std::string::npos);
  auto st = p.fleetStatus(s.fleetId);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->instances.size(), 1u) << "the conflicting calls changed nothing";
  ASSERT_TRUE(p.retireFleet(s.fleetId, 0ms));
}

TEST_F(LocalFleetProviderTest, BadSpecIsRejectedNamingTheField) {
  LocalFleetProvider p(home_, bin_, clock_, fastOptions());
  auto s = spec("bad/id", 1);
  auto r = p.createFleet(s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalid);
  EXPECT_NE(r.error().where.find("spec.fleetId"), std::string::npos) << r.error().where;
  s = spec("svc-int-bad", 0);
  r = p.createFleet(s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().where.find("spec.instances"), std::string::npos);
  s = spec("svc-int-bad", 1);
  s.releaseDigest = "md5:abc";
  r = p.createFleet(s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().where.find("spec.releaseDigest"), std::string::npos);
  s = spec("svc-int-bad", 1);
  s.run.env["1BAD"] = "x";
  r = p.createFleet(s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().where.find("spec.run.env"), std::string::npos);
  EXPECT_NE(r.error().message.find("1BAD"), std::string::npos);
  EXPECT_FALSE(fs::exists(home_ / "fleets" / "svc-int-bad"));
}

TEST_F(LocalFleetProviderTest, CrashedInstanceIsReplacedByAFreshOne) {
  LocalFleetProvider p(home_, bin_, clock_, fastOptions());
  auto s = spec("svc-int-crash", 1);
  ASSERT_TRUE(p.createFleet(s));
  auto st = tickUntil(p, s.fleetId, [](const FleetStatus& f) { return f.healthy == 1; });
  ASSERT_EQ(st.healthy, 1);
  InstanceStatus old = st.instances.at(0);
  ASSERT_EQ(::kill(static_cast<pid_t>(old.pid), SIGKILL), 0);
  st = tickUntil(p, s.fleetId, [&](const FleetStatus& f) {
    auto l = live(f);
    return f.healthy == 1 && l.size() == 1 && l[0].id != old.id;
  });
  auto l = live(st);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_NE(l[0].id, old.id);
  EXPECT_NE(l[0].pid, old.pid);
  EXPECT_EQ(l[0].restarts, 1);
  EXPECT_EQ(st.healthy, 1);
  bool sawReplaced = false;
  for (const auto& i : st.instances) {
    if (i.id == old.id) {
      sawReplaced = true;
      EXPECT_EQ(i.state, "replaced");
      EXPECT_NE(i.lastError.find("signal 9"), std::string::npos) << i.lastError;
    }
  }
  EXPECT_TRUE(sawReplaced);
  EXPECT_EQ(st.instances.size(), 2u) << "never more than desired live; the old one is history";
  ASSERT_TRUE(p.retireFleet(s.fleetId, 0ms));
  EXPECT_TRUE(fleetProcesses(home_, s.fleetId).empty());
}

TEST_F(LocalFleetProviderTest, InstanceExitingOnItsOwnIsReplacedWithBackoff) {
  LocalFleetProvider p(home_, bin_, clock_, fastOptions());
  auto s = spec("svc-int-exit", 1);
  s.run.env["TEST_EXIT_AFTER_MS"] = "100";
  s.run.env["TEST_FAIL_HEALTH"] = "1";  // never healthy, so the crash streak is not reset
  ASSERT_TRUE(p.createFleet(s));
  // First exit: replaced at once.
  auto st = tickUntil(p, s.fleetId, [](const FleetStatus& f) { return live(f).size() == 1 && live(f)[0].restarts == 1; });
  ASSERT_EQ(live(st).size(), 1u);
  EXPECT_EQ(live(st)[0].restarts, 1);
  // Second exit: the slot waits 1 s on the (manual) clock.
  st = tickUntil(p, s.fleetId, [](const FleetStatus& f) { return live(f).empty(); });
  ASSERT_TRUE(live(st).empty());
  for (int i = 0; i < 5; ++i) (void)p.tick();
  auto now = p.fleetStatus(s.fleetId);
  ASSERT_TRUE(now);
  EXPECT_TRUE(live(*now).empty()) << "backing off: no restart before the clock moves";
  bool exitCodeSeen = false;
  for (const auto& i : now->instances) exitCodeSeen |= i.lastError.find("exit code 3") != std::string::npos;
  EXPECT_TRUE(exitCodeSeen);
  clock_.advance(1100ms);
  (void)p.tick();
  now = p.fleetStatus(s.fleetId);
  ASSERT_TRUE(now);
  ASSERT_EQ(live(*now).size(), 1u);
  EXPECT_EQ(live(*now)[0].restarts, 2);
  ASSERT_TRUE(p.retireFleet(s.fleetId, 0ms));
  EXPECT_TRUE(fleetProcesses(home_, s.fleetId).empty());
}

TEST_F(LocalFleetProviderTest, ReleaseChangedOnDiskIsRefused) {
  LocalFleetProvider p(home_, bin_, clock_, fastOptions());
  auto s = spec("svc-int-digest", 1);
  ASSERT_TRUE(p.createFleet(s));
  auto st = tickUntil(p, s.fleetId, [](const FleetStatus& f) { return f.healthy == 1; });
  ASSERT_EQ(st.healthy, 1);
  // Tamper with the release, then crash the instance: the replacement is refused.
  {
    std::ofstream(release_ / "VERSION", std::ios::app) << "tampered\n";
  }
  auto changed = release::treeDigest(release_);
  ASSERT_TRUE(changed);
  ::kill(static_cast<pid_t>(st.instances[0].pid), SIGKILL);
  st = tickUntil(p, s.fleetId, [](const FleetStatus& f) { return !f.error.empty(); });
  EXPECT_EQ(st.running, 0);
  EXPECT_NE(st.error.find("changed on disk"), std::string::npos) << st.error;
  EXPECT_NE(st.error.find("1.0.0"), std::string::npos) << st.error;
  EXPECT_NE(st.error.find(digest_), std::string::npos) << st.error;
  EXPECT_NE(st.error.find(*changed), std::string::npos) << st.error;
  EXPECT_TRUE(live(st).empty());

  // A new fleet of the changed release is refused outright.
  auto s2 = spec("svc-int-digest2", 1);
  auto r = p.createFleet(s2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find("changed on disk"), std::string::npos) << r.error().describe();
  EXPECT_NE(r.error().where.find("svc-int-digest2"), std::string::npos);
  auto st2 = p.fleetStatus(s2.fleetId);
  ASSERT_TRUE(st2);
  EXPECT_EQ(st2->running, 0);
  EXPECT_TRUE(st2->instances.empty());
  EXPECT_TRUE(fleetProcesses(home_, s2.fleetId).empty());
  ASSERT_TRUE(p.retireFleet(s.fleetId, 0ms));
  ASSERT_TRUE(p.retireFleet(s2.fleetId, 0ms));
}

TEST_F(LocalFleetProviderTest, MissingSecretIsRefusedAndNothingStarts) {
  LocalFleetProvider p(home_, bin_, clock_, fastOptions());
  auto s = spec("svc-int-secret", 2);
  s.run.env["DB_PASSWORD"] = "${secret:DB_PASSWORD_MISSING}";
  auto r = p.createFleet(s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find("run.env.DB_PASSWORD"), std::string::npos) << r.error().describe();
  EXPECT_NE(r.error().message.find("DB_PASSWORD_MISSING"), std::string::npos) << r.error().describe();
  auto st = p.fleetStatus(s.fleetId);
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->exists);
  EXPECT_EQ(st->running, 0);
  EXPECT_TRUE(st->instances.empty());
  EXPECT_NE(st->error.find("DB_PASSWORD_MISSING"), std::string::npos);
  EXPECT_TRUE(fleetProcesses(home_, s.fleetId).empty());
  // Once the secret exists, the same call converges.
  ASSERT_TRUE(config::SecretStore(home_).set("DB_PASSWORD_MISSING", "pw"));
  ASSERT_TRUE(p.createFleet(s));
  st = p.fleetStatus(s.fleetId);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->running, 2);
  EXPECT_TRUE(st->error.empty());
  ASSERT_TRUE(p.retireFleet(s.fleetId, 0ms));
}

TEST_F(LocalFleetProviderTest, RetireStopsEverythingEvenAnInstanceIgnoringSigterm) {
  LocalFleetProvider p(home_, bin_, clock_, fastOptions());
  auto s = spec("svc-int-retire", 2);
  s.run.env["TEST_IGNORE_TERM"] = "1";
  ASSERT_TRUE(p.createFleet(s));
  auto graceful = spec("svc-int-retire-graceful", 1);
  ASSERT_TRUE(p.createFleet(graceful));
  ASSERT_EQ(settledFleetProcesses(home_, s.fleetId, 4).size(), 4u);
  // A graceful stop is owed to an instance that is up (has installed its
  // SIGTERM handler); one still starting (under the sandbox: bwrap, then
  // setpriv, then exec) dies of the signal's default action like any
  // process. So wait until it answers its health check.
  ASSERT_EQ(tickUntil(p, graceful.fleetId, [](const FleetStatus& f) { return f.healthy == 1; }).healthy, 1);
  ASSERT_TRUE(p.retireFleet(graceful.fleetId, 2000ms));
  EXPECT_TRUE(fleetProcesses(home_, graceful.fleetId).empty());
  // Its log says it stopped on SIGTERM (graceful), not killed.
  bool sawGraceful = false;
  for (const auto& e : fs::recursive_directory_iterator(home_ / "fleets-retired")) {
    if (e.path().filename() == "stderr.log" &&
        e.path().string().find(graceful.fleetId) != std::string::npos) {
      auto text = readFile(e.path());
      sawGraceful |= text && text->find("stopping on SIGTERM") != std::string::npos;
    }
  }
  EXPECT_TRUE(sawGraceful) << "logs are kept under fleets-retired/";

  ASSERT_TRUE(p.retireFleet(s.fleetId, 100ms));
  EXPECT_TRUE(fleetProcesses(home_, s.fleetId).empty());
  EXPECT_FALSE(fs::exists(home_ / "fleets" / s.fleetId));
  auto listed = p.listFleets(std::nullopt, std::nullopt);
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
  auto st = p.fleetStatus(s.fleetId);
  ASSERT_TRUE(st);
  EXPECT_FALSE(st->exists);
}

TEST_F(LocalFleetProviderTest, ARestartedProviderReadoptsRunningInstances) {
  auto s = spec("svc-int-adopt", 2);
  std::vector<int64_t> pids;
  std::vector<std::string> ids;
  {
    LocalFleetProvider first(home_, bin_, clock_, fastOptions());
    ASSERT_TRUE(first.createFleet(s));
    auto st = tickUntil(first, s.fleetId, [](const FleetStatus& f) { return f.healthy == 2; });
    ASSERT_EQ(st.healthy, 2);
    for (const auto& i : st.instances) {
      pids.push_back(i.pid);
      ids.push_back(i.id);
    }
  }  // the "controller" is gone; instances keep running
  for (auto pid : pids) EXPECT_TRUE(ProcessIdentity::of(pid).has_value());
  LocalFleetProvider second(home_, bin_, clock_, fastOptions());
  auto report = second.adoptionReport();
  ASSERT_EQ(report.size(), 2u);
  for (const auto& line : report) EXPECT_NE(line.find("adopted pid"), std::string::npos) << line;
  auto listed = second.listFleets(std::string("svc"), std::nullopt);
  ASSERT_TRUE(listed);
  EXPECT_EQ(*listed, std::vector<std::string>{s.fleetId});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(second.tick());
  ASSERT_TRUE(second.createFleet(s)) << "converging an adopted fleet starts nothing";
  auto st = second.fleetStatus(s.fleetId);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->healthy, 2);
  ASSERT_EQ(st->instances.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(st->instances[i].pid, pids[i]);
    EXPECT_EQ(st->instances[i].id, ids[i]);
  }
  EXPECT_EQ(settledFleetProcesses(home_, s.fleetId, 4).size(), 4u);
  ASSERT_TRUE(second.retireFleet(s.fleetId, 0ms));
  EXPECT_TRUE(fleetProcesses(home_, s.fleetId).empty());
}

TEST_F(LocalFleetProviderTest, APidWithADifferentStartTimeIsNotAdopted) {
  auto s = spec("svc-int-reuse", 1);
  ProcessIdentity child, shim;
  {
    LocalFleetProvider first(home_, bin_, clock_, fastOptions());
    ASSERT_TRUE(first.createFleet(s));
  }
  // Pretend the recorded processes were replaced by strangers with the same pids.
  auto file = home_ / "fleets" / s.fleetId / "fleet.json";
  auto j = nlohmann::json::parse(*readFile(file));
  auto& inst = j["instances"][0];
  child = {inst["childPid"].get<int64_t>(), inst["childStart"].get<uint64_t>()};
  shim = {inst["shimPid"].get<int64_t>(), inst["shimStart"].get<uint64_t>()};
  ASSERT_TRUE(child.alive());
  ASSERT_TRUE(shim.alive());
  inst["childStart"] = child.startTime + 1;
  inst["shimStart"] = shim.startTime + 1;
  ASSERT_TRUE(writeFileAtomic(file, j.dump()));

  LocalFleetProvider second(home_, bin_, clock_, fastOptions());
  auto st = second.fleetStatus(s.fleetId);
  ASSERT_TRUE(st);
  ASSERT_EQ(st->instances.size(), 1u);
  EXPECT_EQ(st->instances[0].state, "exited");
  EXPECT_NE(st->instances[0].lastError.find("not adopted"), std::string::npos) << st->instances[0].lastError;
  EXPECT_EQ(st->running, 0);
  // The "strangers" were not signalled.
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(child.alive());
  EXPECT_TRUE(shim.alive());
  // Supervision starts a fresh instance in the slot.
  auto after = tickUntil(second, s.fleetId, [](const FleetStatus& f) { return f.healthy == 1; });
  EXPECT_EQ(after.healthy, 1);
  EXPECT_NE(live(after).at(0).pid, child.pid);
  // Clean up the processes the provider (rightly) refused to touch.
  shim.signal(SIGTERM);
  for (int i = 0; i < 200 && (child.alive() || shim.alive()); ++i) std::this_thread::sleep_for(10ms);
  child.signalGroup(SIGKILL);
  shim.signal(SIGKILL);
  ASSERT_TRUE(second.retireFleet(s.fleetId, 0ms));
  for (int i = 0; i < 200 && !fleetProcesses(home_, s.fleetId).empty(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(fleetProcesses(home_, s.fleetId).empty());
}

TEST_F(LocalFleetProviderTest, LogsRotateAtTheSizeLimit) {
  auto o = fastOptions();
  o.logMaxBytes = 4096;
  o.logKeep = 2;
  LocalFleetProvider p(home_, bin_, clock_, o);
  auto s = spec("svc-int-logs", 1);
  s.run.env["TEST_LOG_BYTES"] = "40000";
  ASSERT_TRUE(p.createFleet(s));
  auto st = tickUntil(p, s.fleetId, [](const FleetStatus& f) { return f.healthy == 1; });
  ASSERT_EQ(st.healthy, 1);
  fs::path dir = home_ / "fleets" / s.fleetId / st.instances[0].id;
  // The shim writes asynchronously: wait (bounded) for the rotation.
  for (int i = 0; i < 200 && !fs::exists(dir / "stdout.log.2"); ++i) std::this_thread::sleep_for(10ms);
  // Then until the files stop changing (a rotation renames them in turn).
  auto sizes = [&] {
    std::vector<uintmax_t> v;
    for (const char* f : {"stdout.log", "stdout.log.1", "stdout.log.2"}) {
      std::error_code ec;
      auto n = fs::file_size(dir / f, ec);
      v.push_back(ec ? static_cast<uintmax_t>(-1) : n);
    }
    return v;
  };
  for (int i = 0; i < 100; ++i) {
    auto a = sizes();
    std::this_thread::sleep_for(20ms);
    if (sizes() == a) break;
  }
  EXPECT_TRUE(fs::exists(dir / "stdout.log"));
  EXPECT_TRUE(fs::exists(dir / "stdout.log.1"));
  EXPECT_TRUE(fs::exists(dir / "stdout.log.2"));
  EXPECT_FALSE(fs::exists(dir / "stdout.log.3")) << "only `keep` rotated files";
  for (const char* f : {"stdout.log", "stdout.log.1", "stdout.log.2"}) {
    std::error_code ec;
    auto n = fs::file_size(dir / f, ec);
    if (!ec) EXPECT_LE(n, 4096u) << f;
  }
  auto err = readFile(dir / "stderr.log");
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("test server starting"), std::string::npos);
  ASSERT_TRUE(p.retireFleet(s.fleetId, 0ms));
}

TEST_F(LocalFleetProviderTest, SupervisionThreadKeepsTheFleetAlive) {
  LocalFleetProvider p(home_, bin_, SystemClock::instance(), fastOptions());
  auto s = spec("svc-int-thread", 1);
  ASSERT_TRUE(p.createFleet(s));
  p.start();
  p.start();  // idempotent
  FleetStatus st;
  for (int i = 0; i < 200; ++i) {
    auto r = p.fleetStatus(s.fleetId);
    if (r && r->healthy == 1) {
      st = *r;
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(st.healthy, 1);
  auto old = st.instances[0];
  ::kill(static_cast<pid_t>(old.pid), SIGKILL);
  bool replaced = false;
  for (int i = 0; i < 300 && !replaced; ++i) {
    auto r = p.fleetStatus(s.fleetId);
    if (r) {
      auto l = live(*r);
      replaced = r->healthy == 1 && l.size() == 1 && l[0].id != old.id;
    }
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(replaced);
  p.stop();
  ASSERT_TRUE(p.retireFleet(s.fleetId, 0ms));
  EXPECT_TRUE(fleetProcesses(home_, s.fleetId).empty());
}

}  // namespace
}  // namespace ramp::providers
