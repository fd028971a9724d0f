// IamApi.h — IAM instance profiles (Query protocol, "iam", a global service
// signed for us-east-1 whatever the client's region).
//
// createInstanceProfile tags in the same call; a profile that already
// exists comes back as kConflict (EntityAlreadyExists) and callers converge
// by reading it (getInstanceProfile). listInstanceProfiles pages (1000 per
// page) under a path prefix; IAM's list calls do not return tags on AWS
// (moto does), so `tagsKnown` says whether `tags` can be trusted, and
// getInstanceProfile reads them. Deleting a profile that is gone succeeds;
// roles are detached first (AWS refuses to delete a profile with a role).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "infra/aws/LoadBalancerApi.h"

namespace ramp::infra::aws {

struct InstanceProfile {
  std::string name, arn, path;
  std::vector<std::string> roles;
  Tags tags;
  bool tagsKnown = false;
};

class IamApi {
 public:
  explicit IamApi(AwsClient& client) : client_(client) {}

  Result<InstanceProfile> createInstanceProfile(const std::string& name, const std::string& path, const Tags& tags);
  // nullopt: no such profile.
  Result<std::optional<InstanceProfile>> getInstanceProfile(const std::string& name);
  Result<std::vector<InstanceProfile>> listInstanceProfiles(const std::string& pathPrefix = "/");
  Status addRole(const std::string& profile, const std::string& role);
  Status removeRole(const std::string& profile, const std::string& role);
  Status tagInstanceProfile(const std::string& name, const Tags& tags);
  Status deleteInstanceProfile(const std::string& name);

 private:
  AwsClient& client_;
};

}  // namespace ramp::infra::aws
