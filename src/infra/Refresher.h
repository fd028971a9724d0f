// Refresher.h — reads the real state of a plan's resources from a provider
// in as few calls as the API allows.
//
// refresh(provider, desired, state): the resources to read are the desired
// ones plus every one recorded in `state` (by region) that is not desired
// (so a plan can tell "already gone" deletes). They are grouped by
// (type, region) and each group is read with ONE readMany call (the provider
// batches inside, e.g. 20 names per DescribeLoadBalancers), groups in a
// fixed order (type, region). For a recorded resource the read uses its
// recorded name. The answer is keyed by address and holds only resources
// that exist. Any failed group fails the refresh (an error means
// "unknown", never "absent"), naming the type and region.
//
// minimumCalls(desired-and-recorded counts, batch sizes) is the lower bound
// the benchmark compares the provider's callsMade() with:
// Σ over groups of ceil(n / maxBatch(type)).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/Result.h"
#include "infra/InfraProvider.h"
#include "infra/InfraState.h"

namespace ramp::infra {

Result<std::map<std::string, ResourceState>> refresh(InfraProvider& provider, const std::vector<Resource>& desired,
                                                     const std::map<std::string, InfraState>& state);

// The (type, region) groups refresh reads, with their resources.
std::map<std::pair<std::string, std::string>, std::vector<Resource>> refreshGroups(
    const std::vector<Resource>& desired, const std::map<std::string, InfraState>& state);

uint64_t minimumCalls(const std::vector<Resource>& desired, const std::map<std::string, InfraState>& state,
                      const std::function<size_t(const std::string& type)>& maxBatch);

}  // namespace ramp::infra
