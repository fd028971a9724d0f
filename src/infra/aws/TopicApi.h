// TopicApi.h — SNS topics as infrastructure (Query protocol, "sns").
//
// createTopic is idempotent by name (AWS returns the existing topic's ARN)
// and tags the topic in the same call. listTopics pages through every topic
// of the region (100 per page, AWS's page size): that is how many topics are
// read at once, since SNS has no describe-by-names call. deleteTopic of a
// topic that is gone succeeds (AWS's DeleteTopic is idempotent too).
#pragma once

#include <string>
#include <vector>

#include "infra/aws/LoadBalancerApi.h"

namespace ramp::infra::aws {

class TopicApi {
 public:
  explicit TopicApi(AwsClient& client) : client_(client) {}

  Result<std::string> createTopic(const std::string& name, const Tags& tags);
  Result<std::vector<std::string>> listTopics();  // ARNs
  Status deleteTopic(const std::string& arn);
  Status tagResource(const std::string& arn, const Tags& tags);
  Result<Tags> listTags(const std::string& arn);

  // The topic name of an ARN (its last ':' field).
  static std::string nameOf(const std::string& arn);

 private:
  AwsClient& client_;
};

}  // namespace ramp::infra::aws
