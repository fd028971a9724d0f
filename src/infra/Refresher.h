// Refresher.h — reads the real state of a plan's resources from a provider
// in as few calls as the API allows, several regions at once.
//
// refresh(provider, desired, state, options): the resources to read are the
// desired ones plus every one recorded in `state` (by region) that is not
// desired (so a plan can tell "already gone" deletes). They are grouped by
// (type, region) and each group is read with ONE readMany call (the provider
// batches inside, e.g. 20 names per DescribeLoadBalancers). For a recorded
// resource the read uses its recorded name. The answer is keyed by address
// and holds only resources that exist.
//
// Regions in parallel: the groups of one region ("" = global is a region of
// its own) are read one after another, in type order, by one worker, so a
// region's calls stay serial within its rate budgets (AWS's buckets are per
// account × region × API family) and the call count stays the batched
// minimum. Up to `options.maxParallelRegions` regions are read at once
// (regions are handed out in sorted order; 1 = the serial refresh). The
// result does not depend on the parallelism: the same map, and on failure
// the same error the serial refresh returns — the failing group that comes
// first in (type, region) order (so a failing region stops only its own
// later groups; the other regions are still read, and the smallest failing
// group is reported). Any failed group fails the refresh (an error means
// "unknown", never "absent"), naming the type and region. The workers are
// joined before refresh returns; the provider must be thread-safe
// (InfraProvider.h).
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

struct RefreshOptions {
  size_t maxParallelRegions = 4;  // regions read at once; 0 or 1 = one after another
};

Result<std::map<std::string, ResourceState>> refresh(InfraProvider& provider, const std::vector<Resource>& desired,
                                                     const std::map<std::string, InfraState>& state,
                                                     RefreshOptions options = {});

// The (type, region) groups refresh reads, with their resources.
std::map<std::pair<std::string, std::string>, std::vector<Resource>> refreshGroups(
    const std::vector<Resource>& desired, const std::map<std::string, InfraState>& state);

uint64_t minimumCalls(const std::vector<Resource>& desired, const std::map<std::string, InfraState>& state,
                      const std::function<size_t(const std::string& type)>& maxBatch);

}  // namespace ramp::infra
