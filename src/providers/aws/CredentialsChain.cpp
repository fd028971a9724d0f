#include "providers/aws/CredentialsChain.h"

#include "providers/aws/EnvCredentialsProvider.h"
#include "providers/aws/ImdsCredentialsProvider.h"
#include "providers/aws/ProfileCredentialsProvider.h"

namespace ramp::providers::aws {

CredentialsChain::CredentialsChain(std::vector<std::shared_ptr<CredentialsProvider>> providers)
    : providers_(std::move(providers)) {}

std::shared_ptr<CredentialsChain> CredentialsChain::standard(HttpTransport& http, Clock& clock, std::string profile) {
  bool explicitProfile = !profile.empty();
  std::vector<std::shared_ptr<CredentialsProvider>> v;
  if (!explicitProfile) v.push_back(std::make_shared<EnvCredentialsProvider>());
  v.push_back(std::make_shared<ProfileCredentialsProvider>(http, clock, profile));
  v.push_back(std::make_shared<ImdsCredentialsProvider>(http, clock));
  return std::make_shared<CredentialsChain>(std::move(v));
}

Result<AwsCredentials> CredentialsChain::credentials() {
  std::string tried;
  for (auto& p : providers_) {
    auto c = p->credentials();
    if (c) return c;
    if (c.error().code != ErrorCode::kNotFound) return c;
    tried += (tried.empty() ? "" : "; ") + p->name() + ": " + c.error().message;
  }
  return fail(ErrorCode::kUnauthenticated, "no AWS credentials found (" + tried + ")", "aws credentials");
}

}  // namespace ramp::providers::aws
