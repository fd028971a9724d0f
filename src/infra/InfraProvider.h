// InfraProvider.h — the calls plan, apply and drift make on real
// infrastructure, one implementation per provider (aws: infra/aws/,
// local: the router's listeners; a fake with modelled latency and rate
// limits for tests and benchmarks).
//
// Contract (every implementation passes tests/infra's conformance suite):
// - readMany reads the current state of many resources of ONE type in ONE
//   region using as few API calls as the API allows (batched Describe calls
//   with many names/ids at once), each call within the provider's rate
//   budget for its API family. A resource that does not exist is simply
//   absent from the answer; an error means "unknown", never "absent".
// - create is idempotent: called again with the same clientToken (a retry,
//   or an apply resumed after kill -9) it finds and returns what the first
//   call made instead of making a twin. `dependencies` holds the states of
//   the resource's dependsOn (e.g. the load balancer's ARN for a listener).
// - update changes the updatable attributes in place.
// - remove deletes; a resource already gone is success.
// - listTagged lists every resource carrying ramp's tags for the project /
//   environment / region (leftovers: ramp knows nothing about them), used by
//   drift.
// - callsMade counts API calls made so far (benchmarks compare it with the
//   minimum number of batched calls).
// Implementations are thread-safe: apply walks independent resources in
// parallel.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/Result.h"
#include "infra/Resource.h"

namespace ramp::infra {

class InfraProvider {
 public:
  virtual ~InfraProvider() = default;

  // Keyed by address; only resources that exist.
  virtual Result<std::map<std::string, ResourceState>> readMany(
      const std::string& type, const std::string& region,
      const std::vector<Resource>& wanted) = 0;

  virtual Result<ResourceState> create(const Resource& desired, const std::string& clientToken,
                                       const std::map<std::string, ResourceState>& dependencies) = 0;

  virtual Result<ResourceState> update(const Resource& desired, const ResourceState& current,
                                       const std::map<std::string, ResourceState>& dependencies) = 0;

  virtual Status remove(const ResourceState& current) = 0;

  virtual Result<std::vector<ResourceState>> listTagged(const std::string& project,
                                                        const std::string& env,
                                                        const std::string& region) = 0;

  virtual uint64_t callsMade() const = 0;
};

}  // namespace ramp::infra
