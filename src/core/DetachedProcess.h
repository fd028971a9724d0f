// DetachedProcess.h — starting a process that is nobody's child.
//
// startDetached() double-forks: the started process is re-parented to init
// (or the nearest subreaper), runs in a session of its own (setsid, so a
// terminal's hangup or the starter's process group signals never reach it),
// with stdin on /dev/null, stdout and stderr appended to `log`, every other
// descriptor closed (a long-lived starter such as the router must not hand
// its listening sockets to what it starts), and the starter's environment
// changed by `env` (NAME -> value sets it, NAME -> nullopt removes it). It returns once the intermediate
// child has exited, i.e. once the process is started, not once it is ready
// (readiness is the caller's to check). Everything the child needs is
// prepared before fork(), so it is safe from a multi-threaded process.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/Result.h"

namespace ramp {

// argv[0] is the executable's path.
Status startDetached(const std::vector<std::string>& argv, const std::filesystem::path& log,
                     const std::map<std::string, std::optional<std::string>>& env = {});

}  // namespace ramp
