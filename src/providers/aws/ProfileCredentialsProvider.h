// ProfileCredentialsProvider.h — credentials from the shared AWS files.
//
// Profile: the constructor's, else AWS_PROFILE, else "default". Files:
// AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials, sections "[name]")
// and AWS_CONFIG_FILE (default ~/.aws/config, sections "[profile name]" and
// "[default]"); the credentials file wins for keys present in both.
// A profile gives either static keys (aws_access_key_id,
// aws_secret_access_key, optional aws_session_token) or a role to assume:
// role_arn + source_profile (static keys of another profile, chains up to 5
// deep, cycles refused) or role_arn + credential_source (Environment |
// Ec2InstanceMetadata), with optional external_id, role_session_name,
// duration_seconds and the profile's region for STS. Assumed credentials
// are cached until shortly before they expire.
// kNotFound when the profile is in neither file and was not asked for
// explicitly; kInvalid at FILE:LINE for malformed files or half-configured
// profiles.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "core/Clock.h"
#include "providers/aws/CredentialsProvider.h"
#include "providers/aws/HttpTransport.h"

namespace ramp::providers::aws {

class ProfileCredentialsProvider final : public CredentialsProvider {
 public:
  // profile "" = AWS_PROFILE or "default".
  ProfileCredentialsProvider(HttpTransport& http, Clock& clock, std::string profile = {});
  Result<AwsCredentials> credentials() override;
  std::string name() const override { return "profile " + profile_; }

  // The region configured for a profile (config file "region"), "" if none.
  static std::string profileRegion(const std::string& profile);
  static std::string credentialsFilePath();
  static std::string configFilePath();

 private:
  Result<AwsCredentials> resolve(const std::string& profile, int depth);

  HttpTransport& http_;
  Clock& clock_;
  std::string profile_;
  bool explicit_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<CredentialsProvider>> roles_;  // by role_arn + source
};

}  // namespace ramp::providers::aws
