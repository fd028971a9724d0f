// CredentialsProvider.h — a source of AWS credentials (interface).
//
// credentials() returns usable credentials, kNotFound when this source has
// none configured (the chain then asks the next one), or another error when
// the source is configured but broken (malformed file at FILE:LINE, IMDS
// refused, AssumeRole denied); that error stops the chain. Providers of
// temporary credentials cache them and refresh before they expire.
// Error messages never contain secret keys or session tokens.
// Implementations are thread-safe.
#pragma once

#include <string>

#include "core/Result.h"
#include "providers/aws/AwsCredentials.h"

namespace ramp::providers::aws {

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  virtual Result<AwsCredentials> credentials() = 0;
  virtual std::string name() const = 0;
};

}  // namespace ramp::providers::aws
