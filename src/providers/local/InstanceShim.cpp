#include "providers/local/InstanceShim.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/Reference.h"
#include "core/Clock.h"
#include "providers/local/InstanceLaunch.h"
#include "providers/local/RotatingLog.h"
#include "providers/local/Sandbox.h"
#include "providers/local/ShimStatus.h"
#include "release/TreeDigest.h"

namespace ramp::providers {

namespace fs = std::filesystem;

namespace {

void say(const std::string& line) { std::cerr << "ramp-shim: " << line << std::endl; }

void signalReady(int& fd, const std::string& line) {
  if (fd < 0) return;
  std::string l = line + "\n";
  [[maybe_unused]] auto n = ::write(fd, l.data(), l.size());
  ::close(fd);
  fd = -1;
}

int64_t nowMs() { return toUnixMillis(SystemClock::instance().now()); }

// Finds the executable: relative to the release root, absolute, or (a bare
// name not present in the release) on the instance's PATH.
Result<fs::path> resolveCommand(const InstanceLaunch& l, const std::string& pathVar) {
  if (l.run.command.empty()) return invalid("run.command is empty", "run.command");
  fs::path cmd(l.run.command);
  fs::path candidate = cmd.is_absolute() ? cmd : fs::path(l.releasePath) / cmd;
  if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  if (!cmd.is_absolute() && l.run.command.find('/') == std::string::npos) {
    size_t start = 0;
    for (int guard = 0; guard < 256 && start <= pathVar.size(); ++guard) {
      size_t end = pathVar.find(':', start);
      std::string dir = pathVar.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (!dir.empty()) {
        fs::path p = fs::path(dir) / cmd;
        if (::access(p.c_str(), X_OK) == 0) return p;
      }
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  return invalid("command not found or not executable: " + candidate.string(), "run.command");
}

}  // namespace

InstanceShim::InstanceShim(fs::path instanceDir) : dir_(std::move(instanceDir)) {}

int InstanceShim::run(int readyFd) {
  ::signal(SIGPIPE, SIG_IGN);
  // The sandbox's outer process may die before the instance (SIGTERM):
  // the instance is then re-parented here and supervised to its end.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  ::signal(SIGHUP, SIG_IGN);
  // The ready fd must not leak into the instance (its reader waits for EOF).
  if (readyFd >= 0) ::fcntl(readyFd, F_SETFD, FD_CLOEXEC);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGCHLD);
  sigset_t oldMask;
  ::sigprocmask(SIG_BLOCK, &mask, &oldMask);
  int sigFd = ::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) {
    say("not started: no instance directory " + dir_.string());
    signalReady(readyFd, "error no instance directory " + dir_.string());
    return 1;
  }
  const fs::path statusFile = dir_ / "status.json";
  ShimStatus status;
  status.shim = ProcessIdentity::self();
  status.startedAtMs = nowMs();
  (void)status.save(statusFile);

  auto failStart = [&](const std::string& why) {
    status.state = "failed";
    status.error = why;
    status.endedAtMs = nowMs();
    (void)status.save(statusFile);
    say("not started: " + why);
    signalReady(readyFd, "error " + why);
    return 1;
  };
  if (sigFd < 0) return failStart(std::string("signalfd: ") + std::strerror(errno));

  auto launch = InstanceLaunch::load(dir_ / "launch.json");
  if (!launch) return failStart(launch.error().describe());
  const InstanceLaunch& l = *launch;

  // The release must be exactly the one that was promised.
  auto digest = release::treeDigest(l.releasePath);
  if (!digest) {
    return failStart("cannot verify release " + l.service + " " + l.releaseVersion + ": " +
                     digest.error().describe());
  }
  if (*digest != l.releaseDigest) {
    return failStart("release " + l.service + " " + l.releaseVersion + " changed on disk at " +
                     l.releasePath + ": expected " + l.releaseDigest + ", found " + *digest +
                     "; refused to start");
  }

  // The environment: a clean base, the service's (resolved now), then
  // ramp's. Nothing else of the controller's (no RAMP_TOKEN, no credentials).
  std::map<std::string, std::string> env;
  for (const char* name : {"PATH", "LANG", "LC_ALL", "TZ"}) {
    if (const char* v = std::getenv(name)) env[name] = v;
  }
  if (!env.count("PATH")) env["PATH"] = "/usr/local/bin:/usr/bin:/bin";
  env["HOME"] = "/tmp";
  env["TMPDIR"] = "/tmp";
  if (::geteuid() == 0) {
    env["USER"] = env["LOGNAME"] = l.sandboxUser;
  } else {
    for (const char* name : {"USER", "LOGNAME"}) {
      if (const char* v = std::getenv(name)) env[name] = v;
    }
  }
  for (const auto& [name, value] : l.run.env) {
    auto resolved = config::expandReferences(value, l.home);
    if (!resolved) return failStart("run.env." + name + ": " + resolved.error().describe());
    env[name] = *resolved;
  }
  env["PORT"] = std::to_string(l.port);
  env["RAMP_HOME"] = l.home;
  env["RAMP_SERVICE"] = l.service;
  env["RAMP_ENV"] = l.env;
  env["RAMP_REGION"] = l.region;
  env["RAMP_RELEASE_VERSION"] = l.releaseVersion;
  env["RAMP_RELEASE_DIGEST"] = l.releaseDigest;
  env["RAMP_FLEET_ID"] = l.fleetId;
  env["RAMP_INSTANCE_ID"] = l.instanceId;
  env.erase("RAMP_TOKEN");

  auto exe = resolveCommand(l, env["PATH"]);
  if (!exe) return failStart(exe.error().describe());

  RotatingLog out(dir_ / "stdout.log", l.logMaxBytes, l.logKeep);
  RotatingLog err(dir_ / "stderr.log", l.logMaxBytes, l.logKeep);
  if (auto s = out.open(); !s) return failStart(s.error().describe());
  if (auto s = err.open(); !s) return failStart(s.error().describe());

  // Everything the child needs is prepared before fork.
  std::vector<std::string> envStrings;
  for (const auto& [k, v] : env) envStrings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : envStrings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string exeStr = exe->string();
  std::vector<std::string> command{exeStr};
  for (const auto& a : l.run.args) command.push_back(a);
  // The instance runs sandboxed (Sandbox.h); fd 3 carries bwrap's report of
  // the sandbox's init pid (the instance's lifetime).
  SandboxSpec sandbox;
  sandbox.hidden = Sandbox::worldSecrets(l.home);
  sandbox.visible = {fs::path(l.releasePath)};
  sandbox.workdir = l.releasePath;
  sandbox.user = l.sandboxUser;
  sandbox.infoFd = 3;
  auto wrapped = Sandbox::wrap(sandbox, command);
  if (!wrapped) return failStart(wrapped.error().describe());
  std::vector<std::string> argStrings = std::move(*wrapped);
  const std::string launcher = argStrings.front();
  std::vector<char*> argv;
  for (auto& s : argStrings) argv.push_back(s.data());
  argv.push_back(nullptr);

  int outPipe[2], errPipe[2], execPipe[2], infoPipe[2];
  if (::pipe2(outPipe, O_CLOEXEC) != 0 || ::pipe2(errPipe, O_CLOEXEC) != 0 ||
      ::pipe2(execPipe, O_CLOEXEC) != 0 || ::pipe2(infoPipe, O_CLOEXEC) != 0) {
    return failStart(std::string("pipe: ") + std::strerror(errno));
  }
  int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);

  pid_t pid = ::fork();
  if (pid < 0) return failStart(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Child: only async-signal-safe calls until execve.
    ::setpgid(0, 0);
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGHUP, SIG_DFL);
    ::sigprocmask(SIG_SETMASK, &oldMask, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (devNull >= 0) ::dup2(devNull, 0);
    ::dup2(outPipe[1], 1);
    ::dup2(errPipe[1], 2);
    // fd 3 = the info pipe (dup2 clears close-on-exec); above 3 the pipes
    // stay close-on-exec. execPipe[1] may itself be 3: move it first.
    int execFd = execPipe[1] == 3 ? ::fcntl(execPipe[1], F_DUPFD_CLOEXEC, 10) : execPipe[1];
    if (infoPipe[1] == 3) {
      ::fcntl(3, F_SETFD, 0);
    } else {
      ::dup2(infoPipe[1], 3);
    }
    int e = 0;
    if (::chdir(l.releasePath.c_str()) != 0) {
      e = errno;
    } else {
      ::execve(launcher.c_str(), argv.data(), envp.data());
      e = errno;
    }
    [[maybe_unused]] auto w = ::write(execFd, &e, sizeof e);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from this side: no race with signals below
  ::close(outPipe[1]);
  ::close(errPipe[1]);
  ::close(execPipe[1]);
  ::close(infoPipe[1]);
  if (devNull >= 0) ::close(devNull);
  int execErr = 0;
  ssize_t got;
  do {
    got = ::read(execPipe[0], &execErr, sizeof execErr);
  } while (got < 0 && errno == EINTR);
  ::close(execPipe[0]);
  if (got == static_cast<ssize_t>(sizeof execErr)) {
    int ws = 0;
    ::waitpid(pid, &ws, 0);
    ::close(outPipe[0]);
    ::close(errPipe[0]);
    ::close(infoPipe[0]);
    return failStart("cannot execute " + launcher + " in " + l.releasePath + ": " + std::strerror(execErr));
  }
  // The sandbox reports its init's pid once it is set up (bounded: 10 s);
  // nothing = it could not be set up: its own message is on stderr.
  std::string info;
  {
    auto infoDeadline = SystemClock::instance().monotonic() + std::chrono::seconds(10);
    char ib[4096];
    while (SystemClock::instance().monotonic() < infoDeadline && info.size() < 65536) {
      pollfd p{infoPipe[0], POLLIN, 0};
      int n = ::poll(&p, 1, 100);
      if (n < 0 && errno != EINTR) break;
      if (n <= 0) continue;
      ssize_t r = ::read(infoPipe[0], ib, sizeof ib);
      if (r <= 0) break;
      info.append(ib, static_cast<size_t>(r));
      if (info.find('}') != std::string::npos) break;
    }
    ::close(infoPipe[0]);
  }
  int64_t instancePid = 0;
  {
    auto j = nlohmann::json::parse(info, nullptr, false);
    if (j.is_object() && j.contains("child-pid") && j["child-pid"].is_number_integer()) instancePid = j["child-pid"];
  }
  if (instancePid <= 0) {
    ::kill(-pid, SIGKILL);
    int ws = 0;
    ::waitpid(pid, &ws, 0);
    std::string why;
    char eb[4096];
    ::fcntl(errPipe[0], F_SETFL, O_NONBLOCK);
    ssize_t r = ::read(errPipe[0], eb, sizeof eb);
    if (r > 0) why.assign(eb, static_cast<size_t>(r));
    while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) why.pop_back();
    ::close(outPipe[0]);
    ::close(errPipe[0]);
    return failStart("the sandbox could not be set up (bubblewrap): " + (why.empty() ? std::string("no report") : why));
  }

  auto childId = ProcessIdentity::of(static_cast<pid_t>(instancePid));
  status.child = childId ? *childId : ProcessIdentity{instancePid, 0};
  status.state = "running";
  (void)status.save(statusFile);
  say("started " + l.fleetId + "/" + l.instanceId + " pid " + std::to_string(instancePid) + " (sandboxed) port " +
      std::to_string(l.port));
  signalReady(readyFd, "ok " + std::to_string(instancePid));

  int fdOut = outPipe[0], fdErr = errPipe[0];
  bool exited = false, monitorDone = false;
  MonoTime drainDeadline{};
  char buf[65536];
  // Runs for the life of the instance; after it has exited, at most ~1 s more
  // to drain output still buffered in the pipes.
  while (true) {
    if (exited && ((fdOut < 0 && fdErr < 0) || SystemClock::instance().monotonic() > drainDeadline)) break;
    pollfd fds[3] = {{fdOut, POLLIN, 0}, {fdErr, POLLIN, 0}, {sigFd, POLLIN, 0}};
    int n = ::poll(fds, 3, exited ? 100 : 1000);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      int& fd = i == 0 ? fdOut : fdErr;
      if (fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t r = ::read(fd, buf, sizeof buf);
      if (r > 0) {
        (void)(i == 0 ? out : err).write(std::string_view(buf, static_cast<size_t>(r)));
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        ::close(fd);
        fd = -1;
      }
    }
    if (fds[2].revents & POLLIN) {
      signalfd_siginfo si;
      while (::read(sigFd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        if ((si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) && !exited) {
          say("forwarding signal " + std::to_string(si.ssi_signo) + " to process group " + std::to_string(pid));
          ::kill(-pid, static_cast<int>(si.ssi_signo));
        }
      }
    }
    if (!exited && !monitorDone) {
      siginfo_t si{};
      // WNOWAIT: the sandbox's outer process stays a zombie, so its pid (=
      // the group id) cannot be reused while what is left of the group is
      // killed.
      if (::waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) {
        monitorDone = true;
      }
    }
    if (!exited && monitorDone) {
      // The instance (the sandbox's init) ended with it, or was adopted
      // here when the outer process died first (SIGTERM): wait for it.
      int iws = 0;
      pid_t got = ::waitpid(static_cast<pid_t>(instancePid), &iws, WNOHANG);
      bool instanceGone = got == static_cast<pid_t>(instancePid) || (got < 0 && errno == ECHILD);
      if (instanceGone) {
        ::kill(-pid, SIGKILL);
        int ws = 0;
        ::waitpid(pid, &ws, 0);
        while (::waitpid(-1, nullptr, WNOHANG) > 0) {
        }
        exited = true;
        if (got == static_cast<pid_t>(instancePid)) ws = iws;
        if (WIFSIGNALED(ws)) status.signal = WTERMSIG(ws);
        if (WIFEXITED(ws)) {
          // Bubblewrap reports an instance killed by signal N as exit code
          // 128 + N (as a shell does): shown as the signal.
          int code = WEXITSTATUS(ws);
          if (got != static_cast<pid_t>(instancePid) && code > 128 && code <= 128 + 64) {
            status.signal = code - 128;
          } else {
            status.exitCode = code;
          }
        }
        drainDeadline = SystemClock::instance().monotonic() + std::chrono::seconds(1);
        // Recorded at once (the provider is waiting for it), again after draining.
        status.state = "exited";
        status.endedAtMs = nowMs();
        (void)status.save(statusFile);
      }
    }
  }
  if (fdOut >= 0) ::close(fdOut);
  if (fdErr >= 0) ::close(fdErr);
  status.state = "exited";
  status.endedAtMs = nowMs();
  (void)status.save(statusFile);
  say(l.fleetId + "/" + l.instanceId + " ended: " + status.describeEnd());
  return 0;
}

}  // namespace ramp::providers
