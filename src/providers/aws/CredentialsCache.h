// CredentialsCache.h — temporary credentials held until shortly before they
// expire, for the providers that fetch them over the network (IMDS,
// AssumeRole).
//
//   Result<AwsCredentials> credentials() override {
//     return cache_.get([&] { return fetchFromSts(); });
//   }
//
// get() answers with the held credentials while they have more than 5
// minutes left (credentials without an expiration are held for good);
// otherwise it calls fetch, holds what it returns when usable and returns
// its answer either way (an error is not held: the next call fetches
// again). Thread-safe: one fetch at a time, callers wait for it.
#pragma once

#include <functional>
#include <mutex>
#include <optional>

#include "core/Clock.h"
#include "core/Result.h"
#include "providers/aws/AwsCredentials.h"

namespace ramp::providers::aws {

class CredentialsCache {
 public:
  explicit CredentialsCache(Clock& clock) : clock_(clock) {}

  Result<AwsCredentials> get(const std::function<Result<AwsCredentials>()>& fetch);

 private:
  Clock& clock_;
  std::mutex mu_;
  std::optional<AwsCredentials> held_;
};

}  // namespace ramp::providers::aws
