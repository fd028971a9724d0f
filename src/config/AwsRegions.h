// AwsRegions.h — the AWS regions ramp knows, by name.
//
// One list, in the code (AwsRegions.cpp), used by `ramp validate` (an aws
// environment's regions, with "did you mean") and by the AWS client, which
// refuses to call a region that is not in it (a permanent error: retrying
// cannot make `us-east-9` exist). When AWS opens a region, add its name to
// the list (docs/aws.md, "Regions").
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ramp::config {

// Every region name ramp knows, sorted.
const std::vector<std::string>& awsRegions();

bool isAwsRegion(std::string_view name);

// "unknown AWS region 'us-east-9' (did you mean 'us-east-1'?)": for errors.
std::string unknownAwsRegion(std::string_view name);

}  // namespace ramp::config
