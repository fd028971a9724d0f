// LaunchUserData.h — the user data script of a fleet's launch template.
//
// For a release shipped as a bundle (environment.aws.bundle_bucket set), the
// script fetches s3://<bucket>/bundles/<service>/<bundle sha256>.tar (the
// content-addressed key of release::ReleaseBundle, the same bytes `ramp
// release push` uploads), checks its sha256 and refuses to start on a
// mismatch (exit 1, logged to the console, nothing unpacked), unpacks it
// read-only and starts the run command with the fleet's environment on
// PORT=<instance port>. script(spec, env) computes the bundle's sha256 from
// spec.releasePath (the release's tree); if it cannot, the script only
// reports why and exits 1. References in the environment (${secret:NAME},
// ${env:NAME}) are never resolved here: the script reads secrets from SSM
// Parameter Store (/ramp/<project>/<NAME>) through the instance role at
// start. With an AMI that carries the release (no bucket) it only writes
// /etc/ramp/fleet.env. The script is plain POSIX sh; moto never runs it.
// Every path is below $RAMP_INSTANCE_ROOT (unset on instances: "/"), so
// tests can run it as an ordinary user.
#pragma once

#include <string>

#include "providers/Provider.h"
#include "providers/aws/AwsEnvironment.h"

namespace ramp::providers::aws {

class LaunchUserData {
 public:
  static std::string script(const FleetSpec& spec, const AwsEnvironment& env);
  // The same with the bundle's sha256 (lower-case hex) given.
  static std::string script(const FleetSpec& spec, const AwsEnvironment& env, const std::string& bundleSha256);
  // Single-quoted for sh.
  static std::string shellQuote(const std::string& s);
};

}  // namespace ramp::providers::aws
