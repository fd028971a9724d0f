#include "providers/local/ProcessIdentity.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace ramp::providers {

namespace {

struct StatFields {
  char state = '?';
  uint64_t startTime = 0;
};

// Parses /proc/PID/stat. The command name (field 2) is in parentheses and
// may itself contain spaces and ')', so fields are counted after the LAST ')'.
std::optional<StatFields> readStat(int64_t pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);
  auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  StatFields f;
  rest >> f.state;  // field 3
  std::string field;
  // Fields 4..21 are skipped; field 22 is the start time.
  for (int i = 4; i <= 21; ++i) {
    if (!(rest >> field)) return std::nullopt;
  }
  if (!(rest >> f.startTime)) return std::nullopt;
  return f;
}

}  // namespace

std::optional<ProcessIdentity> ProcessIdentity::of(int64_t pid) {
  auto f = readStat(pid);
  if (!f || f->state == 'Z' || f->state == 'X') return std::nullopt;
  return ProcessIdentity{pid, f->startTime};
}

ProcessIdentity ProcessIdentity::self() {
  auto id = of(::getpid());
  return id ? *id : ProcessIdentity{::getpid(), 0};
}

bool ProcessIdentity::alive() const {
  if (!valid()) return false;
  auto f = readStat(pid);
  return f && f->state != 'Z' && f->state != 'X' && f->startTime == startTime;
}

bool ProcessIdentity::signal(int sig) const {
  if (!alive()) return false;
  return ::kill(static_cast<pid_t>(pid), sig) == 0;
}

bool ProcessIdentity::signalGroup(int sig) const {
  if (!alive()) return false;
  // The process's own group: a sandboxed instance (providers/local/Sandbox.h)
  // is in the group of the sandbox's outer process, not a group leader.
  pid_t group = ::getpgid(static_cast<pid_t>(pid));
  if (group <= 0) group = static_cast<pid_t>(pid);
  return ::kill(-group, sig) == 0;
}

}  // namespace ramp::providers
