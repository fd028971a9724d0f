#include "config/AwsRegions.h"

#include <algorithm>

#include "config/NameSuggestion.h"

namespace ramp::config {

const std::vector<std::string>& awsRegions() {
  // The public (aws), China (aws-cn) and GovCloud (aws-us-gov) partitions'
  // regions as of 2025. Keep sorted.
  static const std::vector<std::string> kRegions = [] {
    std::vector<std::string> v{
        "af-south-1",     "ap-east-1",      "ap-east-2",      "ap-northeast-1", "ap-northeast-2",
        "ap-northeast-3", "ap-south-1",     "ap-south-2",     "ap-southeast-1", "ap-southeast-2",
        "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
        "ca-central-1",   "ca-west-1",      "cn-north-1",     "cn-northwest-1", "eu-central-1",
        "eu-central-2",   "eu-north-1",     "eu-south-1",     "eu-south-2",     "eu-west-1",
        "eu-west-2",      "eu-west-3",      "il-central-1",   "me-central-1",   "me-south-1",
        "mx-central-1",   "sa-east-1",      "us-east-1",      "us-east-2",      "us-gov-east-1",
        "us-gov-west-1",  "us-west-1",      "us-west-2"};
    std::sort(v.begin(), v.end());
    return v;
  }();
  return kRegions;
}

bool isAwsRegion(std::string_view name) {
  const auto& all = awsRegions();
  return std::binary_search(all.begin(), all.end(), std::string(name));
}

std::string unknownAwsRegion(std::string_view name) {
  return "unknown AWS region '" + std::string(name) + "'" + didYouMean(name, awsRegions());
}

}  // namespace ramp::config
