#include "providers/local/LocalFleetProvider.h"

#include "providers/local/PrometheusTargets.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "config/Reference.h"
#include "core/Home.h"
#include "providers/local/HealthProbe.h"
#include "providers/local/InstanceLaunch.h"
#include "providers/local/LoopbackPort.h"
#include "providers/local/ShimStatus.h"
#include "release/TreeDigest.h"

extern char** environ;

namespace ramp::providers {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

constexpr int kRetiredKept = 20;

bool validFleetId(const std::string& id) {
  if (id.empty() || id.size() > 200 || id == "." || id == "..") return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

bool validEnvName(const std::string& n) {
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// The names the run spec references with ${env:NAME}.
std::set<std::string> referencedEnv(const RunSpec& run) {
  std::set<std::string> out;
  for (const auto& [name, value] : run.env) {
    for (const auto& r : config::findReferences(value)) {
      if (r.scheme == "env") out.insert(r.name);
    }
  }
  return out;
}

// Real time for waits on real processes (bounded by count as well).
void pause10ms() { ::usleep(10'000); }

// Spawns `ramp instance-shim --dir DIR --ready-fd 3` detached: fork, setsid,
// fork again (so the shim is nobody's child here and outlives us), exec.
// Returns the read end of the ready pipe.
// The shim gets a clean environment: the basics, RAMP_HOME, and the
// variables the service references with ${env:NAME} (never RAMP_TOKEN or
// anything else of the controller's).
Result<int> spawnShim(const fs::path& rampBin, const fs::path& instDir, const fs::path& home,
                      const std::set<std::string>& envNames) {
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return unavailable(std::string("pipe: ") + std::strerror(errno));
  fs::path logPath = instDir / "shim.log";
  int logFd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (logFd < 0 || devNull < 0) {
    int e = errno;
    ::close(ready[0]);
    ::close(ready[1]);
    if (logFd >= 0) ::close(logFd);
    if (devNull >= 0) ::close(devNull);
    return unavailable(std::string("cannot open shim log: ") + std::strerror(e), logPath.string());
  }
  std::vector<std::string> args{rampBin.string(), "instance-shim", "--dir", instDir.string(), "--ready-fd", "3"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> envs;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    std::string name = kv.substr(0, kv.find('='));
    static const std::set<std::string> kBasics{"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER", "LOGNAME"};
    if (kBasics.contains(name) || envNames.contains(name)) envs.push_back(std::move(kv));
  }
  envs.push_back("RAMP_HOME=" + home.string());
  std::vector<char*> envp;
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  static const char kExecFailed[] = "error cannot execute the ramp binary for the instance shim\n";

  pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here to execve.
    ::setsid();
    pid_t second = ::fork();
    if (second != 0) ::_exit(second < 0 ? 1 : 0);
    int r = ::fcntl(ready[1], F_DUPFD, 10);
    int l = ::fcntl(logFd, F_DUPFD, 10);
    int n = ::fcntl(devNull, F_DUPFD, 10);
    ::dup2(n, 0);
    ::dup2(l, 1);
    ::dup2(l, 2);
    ::dup2(r, 3);
    ::close_range(4, ~0U, 0);
    ::execve(argv[0], argv.data(), envp.data());
    [[maybe_unused]] auto w = ::write(3, kExecFailed, sizeof kExecFailed - 1);
    ::_exit(127);
  }
  int forkErr = errno;
  ::close(ready[1]);
  ::close(logFd);
  ::close(devNull);
  if (pid < 0) {
    ::close(ready[0]);
    return unavailable(std::string("fork: ") + std::strerror(forkErr));
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return ready[0];
}

// Reads the shim's one-line start report until EOF or the deadline.
std::string awaitReady(int fd, MonoTime deadline) {
  std::string text;
  char buf[4096];
  for (int guard = 0; guard < 100000; ++guard) {
    auto now = SystemClock::instance().monotonic();
    if (now >= deadline) return text.empty() ? "timeout" : text;
    int ms = static_cast<int>(std::chrono::duration_cast<milliseconds>(deadline - now).count()) + 1;
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, ms);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r > 0) {
      text.append(buf, static_cast<size_t>(r));
      if (text.find('\n') != std::string::npos) return text;  // the report is one line
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    break;  // EOF
  }
  return text.empty() ? "eof" : text;
}

bool anyAlive(const std::vector<ProcessIdentity>& ids) {
  return std::any_of(ids.begin(), ids.end(), [](const ProcessIdentity& p) { return p.alive(); });
}

// Waits (in 10 ms steps, at most `limit`) until none of `ids` is alive.
bool waitGone(const std::vector<ProcessIdentity>& ids, milliseconds limit) {
  int64_t steps = std::max<int64_t>(1, limit.count() / 10);
  for (int64_t i = 0; i < steps; ++i) {
    if (!anyAlive(ids)) return true;
    pause10ms();
  }
  return !anyAlive(ids);
}

milliseconds backoffFor(int streak) {
  if (streak <= 0) return milliseconds(0);
  int shift = std::min(streak - 1, 5);
  return std::min(milliseconds(1000LL << shift), milliseconds(30000));
}

}  // namespace

LocalFleetProvider::LocalFleetProvider(fs::path home, fs::path rampBinary, Clock& clock,
                                       LocalFleetOptions options)
    : home_(std::move(home)), rampBinary_(std::move(rampBinary)), clock_(clock), options_(options) {
  adoptAll();
}

LocalFleetProvider::~LocalFleetProvider() { stop(); }

fs::path LocalFleetProvider::fleetDir(const std::string& id) const { return home_ / "fleets" / id; }

Status LocalFleetProvider::save(const Fleet& f) {
  auto s = f.rec.save(fleetDir(f.rec.spec.fleetId) / "fleet.json");
  // Prometheus' view of the fleet follows its record (best effort).
  (void)PrometheusTargets::write(home_, f.rec);
  return s;
}

void LocalFleetProvider::adoptAll() {
  std::lock_guard lock(mu_);
  std::error_code ec;
  fs::path root = home_ / "fleets";
  if (!fs::is_directory(root, ec)) return;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    if (e.is_directory(ec)) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    if (!fs::exists(dir / "fleet.json", ec)) continue;
    auto rec = FleetRecord::load(dir / "fleet.json");
    if (!rec) {
      adoption_.push_back(dir.filename().string() + ": cannot read fleet record: " + rec.error().describe());
      continue;
    }
    Fleet f;
    f.rec = std::move(*rec);
    const std::string& fid = f.rec.spec.fleetId;
    for (auto& inst : f.rec.instances) {
      if (!inst.live()) continue;
      f.probes[inst.id].since = clock_.monotonic();
      if (!inst.child.valid()) continue;  // never reported; refresh() reads status.json
      if (inst.child.alive()) {
        adoption_.push_back(fid + "/" + inst.id + ": adopted pid " + std::to_string(inst.child.pid));
      } else {
        // Gone, or the pid now belongs to another process: nothing is signalled.
        inst.state = "exited";
        inst.lastError = "not adopted after restart: process " + std::to_string(inst.child.pid) +
                         " is gone or is a different process (start time differs)";
        adoption_.push_back(fid + "/" + inst.id + ": " + inst.lastError);
      }
    }
    refresh(f);
    (void)save(f);
    fleets_.emplace(fid, std::move(f));
  }
}

std::vector<std::string> LocalFleetProvider::adoptionReport() const {
  std::lock_guard lock(mu_);
  return adoption_;
}

bool LocalFleetProvider::refresh(Fleet& f) {
  bool changed = false;
  auto markDead = [&](InstanceRecord& inst, const std::string& why) {
    inst.state = "exited";
    inst.lastError = why;
    int& streak = f.crashStreak[inst.slot];
    f.notBefore[inst.slot] = clock_.monotonic() + backoffFor(streak);
    ++streak;
    changed = true;
  };
  for (auto& inst : f.rec.instances) {
    if (!inst.live()) continue;
    fs::path statusFile = fleetDir(f.rec.spec.fleetId) / inst.id / "status.json";
    if (!inst.child.valid()) {
      auto s = ShimStatus::load(statusFile);
      if (!s) {
        markDead(inst, "the instance shim never reported (see " +
                           (fleetDir(f.rec.spec.fleetId) / inst.id / "shim.log").string() + ")");
        continue;
      }
      inst.shim = s->shim;
      if (s->state == "failed") {
        f.rec.error = s->error;
        markDead(inst, s->error);
        continue;
      }
      if (s->child.valid()) {
        inst.child = s->child;
        changed = true;
      } else if (s->state == "exited") {
        markDead(inst, "instance exited: " + s->describeEnd());
        continue;
      } else {
        if (!inst.shim.alive()) markDead(inst, "the instance shim exited before starting the instance");
        continue;  // still starting
      }
    }
    if (inst.child.alive()) {
      if (!inst.shim.alive()) {
        // Unsupervised (its output pipes are gone): stop it, a fresh one replaces it.
        inst.child.signalGroup(SIGKILL);
        markDead(inst, "the instance shim died; instance stopped");
      }
      continue;
    }
    auto s = ShimStatus::load(statusFile);
    // The shim records the exit right after reaping; give it a moment.
    for (int i = 0; i < 30 && s && s->state == "running" && inst.shim.alive(); ++i) {
      pause10ms();
      s = ShimStatus::load(statusFile);
    }
    if (s && s->state == "exited" && s->child == inst.child) {
      markDead(inst, "instance exited: " + s->describeEnd());
    } else {
      markDead(inst, "instance process " + std::to_string(inst.child.pid) + " is gone");
    }
  }
  return changed;
}

std::string LocalFleetProvider::preflight(const FleetSpec& spec) {
  auto digest = release::treeDigest(spec.releasePath);
  if (!digest) {
    return "cannot verify release " + spec.service + " " + spec.releaseVersion + ": " +
           digest.error().describe() + "; refused to start";
  }
  if (*digest != spec.releaseDigest) {
    return "release " + spec.service + " " + spec.releaseVersion + " changed on disk at " +
           spec.releasePath + ": expected " + spec.releaseDigest + ", found " + *digest +
           "; refused to start";
  }
  for (const auto& [name, value] : spec.run.env) {
    auto r = config::expandReferences(value, home_);
    if (!r) return "run.env." + name + ": " + r.error().describe() + "; refused to start";
  }
  return {};
}

Status LocalFleetProvider::converge(Fleet& f, bool respectBackoff) {
  const FleetSpec& spec = f.rec.spec;
  std::set<int> liveSlots;
  for (const auto& inst : f.rec.instances) {
    if (inst.live()) liveSlots.insert(inst.slot);
  }
  std::vector<int> missing;
  auto now = clock_.monotonic();
  for (int slot = 0; slot < spec.instances; ++slot) {
    if (liveSlots.count(slot)) continue;
    if (respectBackoff && f.notBefore.count(slot) && f.notBefore[slot] > now) continue;
    missing.push_back(slot);
  }
  if (missing.empty()) return ok();

  // Before every start: the release must be unchanged and the env resolvable.
  if (std::string why = preflight(spec); !why.empty()) {
    f.rec.error = why;
    (void)save(f);
    return failedPrecondition(why, "fleet " + spec.fleetId);
  }
  f.rec.error.clear();

  std::vector<size_t> started;  // indexes into f.rec.instances
  Status firstError = ok();
  for (int slot : missing) {
    int restarts = 0;
    for (auto& old : f.rec.instances) {
      if (old.slot != slot || old.live()) continue;
      restarts = std::max(restarts, old.restarts + 1);
      if (old.state == "exited") old.state = "replaced";
    }
    auto port = pickLoopbackPort();
    if (!port) {
      if (firstError) firstError = std::unexpected(port.error());
      continue;
    }
    InstanceRecord inst;
    inst.slot = slot;
    inst.id = "i" + std::to_string(slot) + "-" + std::to_string(f.rec.nextGeneration++);
    inst.port = *port;
    inst.state = "starting";
    inst.restarts = restarts;
    inst.startedAtMs = toUnixMillis(clock_.now());
    fs::path dir = fleetDir(spec.fleetId) / inst.id;
    std::error_code ec;
    fs::create_directories(dir, ec);
    InstanceLaunch launch;
    launch.home = home_.string();
    launch.fleetId = spec.fleetId;
    launch.instanceId = inst.id;
    launch.service = spec.service;
    launch.env = spec.env;
    launch.region = spec.region;
    launch.releaseVersion = spec.releaseVersion;
    launch.releaseDigest = spec.releaseDigest;
    launch.releasePath = spec.releasePath;
    launch.port = inst.port;
    launch.run = spec.run;
    launch.sandboxUser = options_.instanceUser;
    launch.logMaxBytes = options_.logMaxBytes;
    launch.logKeep = options_.logKeep;
    if (auto s = writeFileAtomic(dir / "launch.json", launch.toJson().dump(2)); !s) {
      if (firstError) firstError = s;
      continue;
    }
    f.probes[inst.id] = Probe{0, 0, false, now};
    f.rec.instances.push_back(std::move(inst));
    started.push_back(f.rec.instances.size() - 1);
  }
  // Recorded before the side effect.
  if (auto s = save(f); !s) return s;

  std::vector<std::pair<size_t, int>> pending;
  for (size_t idx : started) {
    auto& inst = f.rec.instances[idx];
    auto fd = spawnShim(rampBinary_, fleetDir(spec.fleetId) / inst.id, home_, referencedEnv(spec.run));
    if (!fd) {
      inst.state = "exited";
      inst.lastError = fd.error().describe();
      if (firstError) firstError = std::unexpected(fd.error());
      continue;
    }
    pending.emplace_back(idx, *fd);
  }
  auto deadline = SystemClock::instance().monotonic() + options_.startTimeout;
  int startedOk = 0;
  for (auto& [idx, fd] : pending) {
    std::string report = awaitReady(fd, deadline);
    ::close(fd);
    auto& inst = f.rec.instances[idx];
    auto s = ShimStatus::load(fleetDir(spec.fleetId) / inst.id / "status.json");
    if (s) {
      inst.shim = s->shim;
      inst.child = s->child;
    }
    if (s && s->state == "failed") {
      inst.state = "exited";
      inst.lastError = s->error;
      f.rec.error = s->error;
      if (firstError) firstError = failedPrecondition(s->error, "fleet " + spec.fleetId + " instance " + inst.id);
    } else if (report.rfind("ok", 0) == 0 && s && s->child.valid()) {
      ++startedOk;
    } else if (report.rfind("error ", 0) == 0) {
      std::string why = report.substr(6);
      while (!why.empty() && why.back() == '\n') why.pop_back();
      inst.state = "exited";
      inst.lastError = why + " (" + rampBinary_.string() + ")";
      if (firstError) firstError = unavailable(inst.lastError, "fleet " + spec.fleetId + " instance " + inst.id);
    } else {
      // Slow start: stays "starting"; supervision reads status.json later.
      inst.lastError = "the instance shim did not report its start within " +
                       std::to_string(options_.startTimeout.count()) + " ms";
    }
  }
  // Keep the newest replaced records only.
  int replaced = 0;
  for (auto it = f.rec.instances.rbegin(); it != f.rec.instances.rend(); ++it) {
    if (it->state == "replaced") ++replaced;
  }
  for (auto it = f.rec.instances.begin(); replaced > options_.keepReplaced && it != f.rec.instances.end();) {
    if (it->state == "replaced") {
      f.probes.erase(it->id);
      it = f.rec.instances.erase(it);
      --replaced;
    } else {
      ++it;
    }
  }
  if (auto s = save(f); !s) return s;
  (void)startedOk;
  return firstError;
}

Status LocalFleetProvider::createFleet(const FleetSpec& spec) {
  auto bad = [&](const std::string& field, const std::string& why) {
    return invalid(why, "spec." + field + (spec.fleetId.empty() ? "" : " (fleet " + spec.fleetId + ")"));
  };
  if (!validFleetId(spec.fleetId)) return bad("fleetId", "must be 1-200 characters of [A-Za-z0-9._-], got '" + spec.fleetId + "'");
  if (spec.service.empty()) return bad("service", "is empty");
  if (spec.instances < 1 || spec.instances > 1000) return bad("instances", "must be 1..1000, got " + std::to_string(spec.instances));
  if (spec.releasePath.empty() || !fs::path(spec.releasePath).is_absolute()) return bad("releasePath", "must be an absolute path, got '" + spec.releasePath + "'");
  std::error_code ec;
  if (!fs::is_directory(spec.releasePath, ec)) return bad("releasePath", "is not a directory: " + spec.releasePath);
  if (spec.releaseDigest.rfind("sha256:", 0) != 0) return bad("releaseDigest", "must be sha256:<hex>, got '" + spec.releaseDigest + "'");
  if (spec.run.command.empty()) return bad("run.command", "is empty");
  for (const auto& [name, value] : spec.run.env) {
    if (!validEnvName(name)) return bad("run.env", "'" + name + "' is not a valid environment variable name");
    for (const auto& r : config::findReferences(value)) {
      if (r.scheme == "env" && r.name.rfind("RAMP_", 0) == 0) {
        return bad("run.env." + name, "references ${env:" + r.name +
                                          "}: the controller's own RAMP_ variables are never passed to instances");
      }
    }
  }
  if (spec.health.interval.count() <= 0) return bad("health.interval", "must be positive");
  if (spec.health.timeout.count() <= 0) return bad("health.timeout", "must be positive");
  if (spec.health.healthyThreshold < 1) return bad("health.healthyThreshold", "must be at least 1");
  if (spec.health.unhealthyThreshold < 1) return bad("health.unhealthyThreshold", "must be at least 1");

  std::lock_guard lock(mu_);
  auto it = fleets_.find(spec.fleetId);
  if (it == fleets_.end()) {
    Fleet f;
    f.rec.spec = spec;
    f.rec.epoch = spec.epoch;
    if (auto s = save(f); !s) return s;
    it = fleets_.emplace(spec.fleetId, std::move(f)).first;
  } else {
    Fleet& f = it->second;
    if (f.rec.retiring) {
      return failedPrecondition("fleet is being retired; retire it fully before creating it again",
                                "fleet " + spec.fleetId);
    }
    if (spec.epoch < f.rec.epoch) {
      return conflict("stale controller epoch " + std::to_string(spec.epoch) + " < " +
                          std::to_string(f.rec.epoch),
                      "fleet " + spec.fleetId);
    }
    auto have = FleetRecord::specJson(f.rec.spec);
    auto want = FleetRecord::specJson(spec);
    if (have != want) {
      std::string fields;
      for (auto& [k, v] : want.items()) {
        if (have.value(k, nlohmann::json()) != v) fields += (fields.empty() ? "" : ", ") + k;
      }
      return conflict("a fleet with this id exists with a different spec (differs in: " + fields +
                          "); fleets are never changed in place",
                      "fleet " + spec.fleetId);
    }
    if (spec.epoch > f.rec.epoch) {
      f.rec.epoch = spec.epoch;
      f.rec.spec.epoch = spec.epoch;
    }
    if (refresh(f)) (void)save(f);
  }
  return converge(it->second, false);
}

void LocalFleetProvider::applyCheck(Fleet& f, InstanceRecord& inst, const Status& result) {
  Probe& p = f.probes[inst.id];
  p.checked = true;
  const auto& h = f.rec.spec.health;
  if (result) {
    ++p.successes;
    p.failures = 0;
    if (inst.state != "healthy" && p.successes >= h.healthyThreshold) {
      inst.state = "healthy";
      inst.lastError.clear();
      f.crashStreak[inst.slot] = 0;
    }
  } else {
    ++p.failures;
    p.successes = 0;
    inst.lastError = result.error().describe();
    if (inst.state == "healthy" && p.failures >= h.unhealthyThreshold) inst.state = "unhealthy";
  }
}

void LocalFleetProvider::stopInstance(InstanceRecord& inst, milliseconds wait) {
  if (inst.shim.alive()) {
    inst.shim.signal(SIGTERM);  // the shim forwards it to the instance's group
  } else {
    inst.child.signalGroup(SIGTERM);
  }
  if (!waitGone({inst.child}, wait)) inst.child.signalGroup(SIGKILL);
  if (!waitGone({inst.child, inst.shim}, milliseconds(2000))) {
    inst.child.signalGroup(SIGKILL);
    inst.shim.signal(SIGKILL);
    waitGone({inst.child, inst.shim}, milliseconds(1000));
  }
}

Status LocalFleetProvider::tick() {
  struct Target {
    std::string fleetId, instanceId;
    int port;
    std::string path;
    milliseconds timeout;
  };
  std::vector<Target> targets;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, f] : fleets_) {
      if (f.rec.retiring) continue;
      if (refresh(f)) (void)save(f);
      for (const auto& inst : f.rec.instances) {
        if (inst.live() && inst.child.valid()) {
          targets.push_back({id, inst.id, inst.port, f.rec.spec.health.path, f.rec.spec.health.timeout});
        }
      }
    }
  }
  std::vector<Status> results;
  results.reserve(targets.size());
  for (const auto& t : targets) results.push_back(HealthProbe::check(t.port, t.path, t.timeout));

  std::lock_guard lock(mu_);
  Status first = ok();
  for (size_t i = 0; i < targets.size(); ++i) {
    auto fit = fleets_.find(targets[i].fleetId);
    if (fit == fleets_.end() || fit->second.rec.retiring) continue;
    for (auto& inst : fit->second.rec.instances) {
      if (inst.id == targets[i].instanceId && inst.live()) applyCheck(fit->second, inst, results[i]);
    }
  }
  auto now = clock_.monotonic();
  for (auto& [id, f] : fleets_) {
    if (f.rec.retiring) continue;
    for (auto& inst : f.rec.instances) {
      if (!inst.live()) continue;
      const Probe& p = f.probes[inst.id];
      bool unhealthy = inst.state == "unhealthy";
      bool neverHealthy = inst.state == "starting" && p.failures >= f.rec.spec.health.unhealthyThreshold &&
                          now - p.since >= options_.startupGrace;
      if (!unhealthy && !neverHealthy) continue;
      std::string why = unhealthy ? "replaced: unhealthy (" + inst.lastError + ")"
                                  : "replaced: not healthy within " +
                                        std::to_string(options_.startupGrace.count()) + " ms (" +
                                        inst.lastError + ")";
      stopInstance(inst, options_.stopGrace);
      inst.state = "exited";
      inst.lastError = why;
      int& streak = f.crashStreak[inst.slot];
      f.notBefore[inst.slot] = now + backoffFor(streak);
      ++streak;
    }
    auto s = converge(f, true);
    if (!s && first) first = s;
    (void)save(f);
  }
  return first;
}

FleetStatus LocalFleetProvider::statusOf(const Fleet& f) const {
  FleetStatus st;
  st.fleetId = f.rec.spec.fleetId;
  st.exists = true;
  st.desired = f.rec.spec.instances;
  st.error = f.rec.error;
  for (const auto& inst : f.rec.instances) {
    InstanceStatus is;
    is.id = inst.id;
    is.address = "127.0.0.1:" + std::to_string(inst.port);
    is.pid = inst.child.pid;
    is.state = inst.state;
    is.restarts = inst.restarts;
    is.lastError = inst.lastError;
    bool running = inst.live() && inst.child.alive();
    if (running) ++st.running;
    if (running && inst.state == "healthy") ++st.healthy;
    st.instances.push_back(std::move(is));
  }
  return st;
}

Result<FleetStatus> LocalFleetProvider::fleetStatus(const std::string& fleetId) {
  std::lock_guard lock(mu_);
  auto it = fleets_.find(fleetId);
  if (it == fleets_.end()) {
    FleetStatus st;
    st.fleetId = fleetId;
    return st;
  }
  Fleet& f = it->second;
  bool changed = refresh(f);
  if (!f.rec.retiring) {
    for (auto& inst : f.rec.instances) {
      if (inst.live() && inst.child.valid() && !f.probes[inst.id].checked) {
        applyCheck(f, inst, HealthProbe::check(inst.port, f.rec.spec.health.path, f.rec.spec.health.timeout));
        changed = true;
      }
    }
  }
  if (changed) (void)save(f);
  return statusOf(f);
}

Status LocalFleetProvider::retireFleet(const std::string& fleetId, milliseconds drain) {
  std::vector<ProcessIdentity> shims, children;
  {
    std::lock_guard lock(mu_);
    auto it = fleets_.find(fleetId);
    if (it == fleets_.end()) return ok();
    Fleet& f = it->second;
    if (!f.rec.retiring) {
      f.rec.retiring = true;
      if (auto s = save(f); !s) return s;  // recorded before any signal
    }
    for (const auto& inst : f.rec.instances) {
      // Every record, not only live ones: a shim may still be finishing.
      if (inst.shim.valid()) shims.push_back(inst.shim);
      if (inst.child.valid()) children.push_back(inst.child);
    }
  }
  // SIGTERM first: the shim forwards it to the instance's process group.
  for (size_t i = 0; i < shims.size(); ++i) shims[i].signal(SIGTERM);
  for (const auto& c : children) c.signalGroup(SIGTERM);
  std::vector<ProcessIdentity> all = shims;
  all.insert(all.end(), children.begin(), children.end());
  if (!waitGone(all, drain + options_.stopGrace)) {
    for (const auto& c : children) c.signalGroup(SIGKILL);
    for (const auto& s : shims) s.signal(SIGKILL);
    waitGone(all, milliseconds(2000));
  }
  std::string left;
  for (const auto& p : all) {
    if (p.alive()) left += (left.empty() ? "" : ", ") + std::to_string(p.pid);
  }
  if (!left.empty()) {
    return internal("processes still alive after SIGKILL: " + left + "; retry", "fleet " + fleetId);
  }

  std::lock_guard lock(mu_);
  std::error_code ec;
  fs::path retired = home_ / "fleets-retired";
  fs::create_directories(retired, ec);
  fs::path dest = retired / (fleetId + "." + std::to_string(toUnixMillis(clock_.now())));
  fs::remove(fleetDir(fleetId) / "fleet.json", ec);
  PrometheusTargets::remove(home_, fleetId);
  fs::rename(fleetDir(fleetId), dest, ec);
  if (ec) fs::remove_all(fleetDir(fleetId), ec);
  // Keep the newest retirements' logs only.
  std::vector<std::pair<fs::file_time_type, fs::path>> old;
  for (const auto& e : fs::directory_iterator(retired, ec)) old.emplace_back(e.last_write_time(ec), e.path());
  std::sort(old.begin(), old.end());
  for (size_t i = 0; i + kRetiredKept < old.size(); ++i) fs::remove_all(old[i].second, ec);
  fleets_.erase(fleetId);
  return ok();
}

Result<std::vector<std::string>> LocalFleetProvider::listFleets(const std::optional<std::string>& service,
                                                                const std::optional<std::string>& env) {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, f] : fleets_) {
    if (service && f.rec.spec.service != *service) continue;
    if (env && f.rec.spec.env != *env) continue;
    out.push_back(id);
  }
  return out;
}

void LocalFleetProvider::runLoop() {
  std::unique_lock lock(loopMu_);
  // Runs until stop(); each round is bounded (health checks have timeouts).
  while (!loopStop_) {
    lock.unlock();
    if (!actGate_ || actGate_()) (void)tick();
    milliseconds interval(1000);
    {
      std::lock_guard g(mu_);
      bool any = false;
      for (const auto& [id, f] : fleets_) {
        interval = any ? std::min(interval, f.rec.spec.health.interval) : f.rec.spec.health.interval;
        any = true;
      }
    }
    interval = std::clamp(interval, milliseconds(50), milliseconds(60000));
    lock.lock();
    loopCv_.wait_for(lock, interval, [this] { return loopStop_; });
  }
}

void LocalFleetProvider::start() {
  std::lock_guard lock(loopMu_);
  if (loop_.joinable()) return;
  loopStop_ = false;
  loop_ = std::thread([this] { runLoop(); });
}

void LocalFleetProvider::stop() {
  {
    std::lock_guard lock(loopMu_);
    if (!loop_.joinable()) return;
    loopStop_ = true;
  }
  loopCv_.notify_all();
  loop_.join();
}

}  // namespace ramp::providers
