// LaunchUserData.h — the user data script of a fleet's launch template.
//
// For a release shipped as a bundle (environment.aws.bundle_bucket set), the
// script fetches s3://<bucket>/releases/<service>/<sha256 hex>.tar.gz (a
// content-addressed key), checks its sha256 against the release digest and
// refuses to start on a mismatch (exit 1, logged to the console), unpacks it
// read-only and starts the run command with the fleet's environment on
// PORT=<instance port>. References in the environment (${secret:NAME},
// ${env:NAME}) are never resolved here: the script reads secrets from SSM
// Parameter Store (/ramp/<project>/<NAME>) through the instance role at
// start. With an AMI that carries the release (no bucket) it only writes
// /etc/ramp/fleet.env. The script is plain POSIX sh; moto never runs it.
#pragma once

#include <string>

#include "providers/Provider.h"
#include "providers/aws/AwsEnvironment.h"

namespace ramp::providers::aws {

class LaunchUserData {
 public:
  static std::string script(const FleetSpec& spec, const AwsEnvironment& env);
  // Single-quoted for sh.
  static std::string shellQuote(const std::string& s);
};

}  // namespace ramp::providers::aws
