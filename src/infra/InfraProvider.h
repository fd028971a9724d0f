// InfraProvider.h — the calls plan, apply and drift make on real
// infrastructure, one implementation per provider (aws: infra/aws/,
// local: the router's listeners; a fake with modelled latency and rate
// limits for tests and benchmarks).
//
// Contract (every implementation passes the conformance suite,
// tests/infra_conformance/InfraProviderConformance.h, instantiated for Fake,
// Local and Aws-on-moto):
// - readMany reads the current state of many resources of ONE type in ONE
//   region using as few API calls as the API allows (batched Describe calls
//   with many names/ids at once), each call within the provider's rate
//   budget for its API family. A resource that does not exist is simply
//   absent from the answer — also when nothing of the type exists yet, and
//   when a resource it depends on (its load balancer, listener) is gone; an
//   error means "unknown", never "absent". The answer holds only addresses
//   it was asked for; an empty `wanted` is an empty answer.
// - A ResourceState (from readMany, create or update) carries the address,
//   type, name and region of the Resource, a non-empty id, and attributes
//   holding exactly the keys the desired resource names (a desired null
//   stays null: not managed), valued from the real resource, so that right
//   after create/update a read equals the desired attributes and the plan
//   is empty. References to other resources are reported as addresses.
// - create is idempotent: called again with the same clientToken (a retry,
//   or an apply resumed after kill -9) it finds and returns what the first
//   call made (same id) instead of making a twin. `dependencies` holds the
//   states of the resource's dependsOn (e.g. the load balancer's ARN for a
//   listener); a dependency that does not exist is an error naming the
//   resource, never a half-made resource.
// - update changes the updatable attributes in place: the id stays, the
//   answer holds the desired attributes, and no other resource changes.
//   (Attributes in the Resource's forceNew are never updated: the plan
//   replaces.)
// - remove deletes; a resource already gone is success.
// - listTagged lists every resource carrying ramp's tags for the project /
//   environment / region (leftovers: ramp knows nothing about them), used by
//   drift: each with its address (its ramp:address tag), type, region and a
//   non-empty id; region "" (or "global") lists the global resources only.
//   Resources of deployments (tagged ramp:fleet, or ramp:managed-by other
//   than infra) are never listed, or are listed with attributes.tags saying
//   so. Types that cannot carry tags (Route 53 record sets) are never listed.
// - Errors are values (never exceptions) and name the resource: Error::where
//   is its address (or address.attribute), or the message contains it.
// - callsMade counts API calls made so far (benchmarks compare it with the
//   minimum number of batched calls).
// Implementations are thread-safe: apply walks independent resources in
// parallel and refresh reads several regions at once (infra/Refresher.h).
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
