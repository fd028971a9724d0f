// ReadScope.h — the service and environment a read command names (`ramp
// status crawlr`, `--env staging`), checked before the command reads, so a
// typo is an error instead of an empty answer.
//
// The names known are those of the configuration in the working directory
// (./ramp.yaml, when there is one and it loads) and those the controller
// has deployments of (GET /api/v1/status, when the caller may read it
// whole). A name neither knows is refused, naming the argument as the
// person typed it (SERVICE, --service, --env) with "did you mean" and the
// names there are. A dimension nothing is known about (no config, nothing
// deployed, or the caller may not list it) is not checked.
#pragma once

#include <set>
#include <string>

#include "cli/ApiClient.h"
#include "core/Result.h"

namespace ramp::cli {

struct KnownNames {
  std::set<std::string> services;
  std::set<std::string> envs;
};

// From ./ramp.yaml and, when `api` is given, the controller's status.
KnownNames knownNames(ApiClient* api);

// kNotFound naming `serviceArg` / `envArg` for a name not known; empty
// names are not checked.
Status checkReadScope(const KnownNames& known, const std::string& service, const std::string& serviceArg,
                      const std::string& env, const std::string& envArg);

// The query of a read scoped to SERVICE and ENV, either may be empty:
// "service=S&env=E", "service=S&", "env=E" or "".
std::string scopeQuery(const std::string& service, const std::string& env);

// An API error about the request's "service" / "env" field, named as the
// person typed it (e.g. SERVICE and --to for `ramp promote`); any other
// error is returned as it is.
Error asTyped(Error e, const std::string& serviceArg, const std::string& envArg);

}  // namespace ramp::cli
