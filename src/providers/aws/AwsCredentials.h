// AwsCredentials.h — one set of AWS credentials, and how to show it safely.
//
// Contract: the secret key and the session token are never printed; use
// describe() (access key id masked down to its last 4 characters, plus the
// source) in logs and error messages. expiration is set for temporary
// credentials (IMDS, AssumeRole); static keys never expire.
#pragma once

#include <optional>
#include <string>

#include "core/Clock.h"

namespace ramp::providers::aws {

struct AwsCredentials {
  std::string accessKeyId;
  std::string secretAccessKey;
  std::string sessionToken;          // empty for long-term keys
  std::optional<WallTime> expiration;
  std::string source;                // "env", "profile dev (~/.aws/credentials)", "imds", ...

  // "****WXYZ from env": safe to log.
  std::string describe() const {
    std::string tail = accessKeyId.size() > 4 ? accessKeyId.substr(accessKeyId.size() - 4) : "";
    return "****" + tail + " from " + (source.empty() ? "unknown source" : source);
  }
  // True when the credentials expire within `margin` of `now`.
  bool expiresWithin(WallTime now, std::chrono::seconds margin) const {
    return expiration && *expiration - margin <= now;
  }
};

}  // namespace ramp::providers::aws
