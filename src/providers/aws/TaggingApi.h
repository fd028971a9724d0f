// TaggingApi.h — the Resource Groups Tagging API (JSON 1.1, signing name
// "tagging", target ResourceGroupsTaggingAPI_20170126): every resource of a
// region carrying given tags, across services, in pages of up to 100.
//
// ramp uses it to find leftovers (resources with ramp's tags that ramp's
// state does not know) and a region's load balancer by its ramp:address
// (AwsTrafficProvider: found even after a rename). It covers load balancers,
// CloudWatch alarms and SNS topics (on AWS and on moto); listeners, rules
// and IAM instance profiles are listed by their own services (see
// infra/aws/AwsInfraProvider::listTagged).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "providers/aws/AwsClient.h"

namespace ramp::providers::aws {

struct TaggedResource {
  std::string arn;
  std::map<std::string, std::string> tags;
};

class TaggingApi {
 public:
  explicit TaggingApi(AwsClient& client) : client_(client) {}

  // Resources having every key in `filters` with one of its values;
  // resourceTypes like "elasticloadbalancing:loadbalancer", "cloudwatch:alarm", "sns" (empty = all).
  Result<std::vector<TaggedResource>> getResources(const std::map<std::string, std::vector<std::string>>& filters,
                                                   const std::vector<std::string>& resourceTypes);

 private:
  AwsClient& client_;
};

}  // namespace ramp::providers::aws
