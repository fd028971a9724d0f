// InfraProviderConformance.h — the one suite every InfraProvider
// (src/infra/InfraProvider.h) must pass, instantiated once per provider.
//
// A provider takes part by giving a ConformanceWorld factory: the provider
// under test (fresh, nothing of the suite's project/env exists yet) and
// resources of every type it supports, as infra/DesiredGraph makes them
// (address, name, region, managed attributes, dependsOn, ramp's tags for
// project "shop" / env kEnv), in dependency order. The suite then checks the
// contract's promises on them:
//   readMany   — absent resources are absent, never an error (also when
//                nothing exists); exactly the existing ones are answered,
//                keyed by address, with the attributes create returned;
//   create     — returns the desired attributes and a non-empty id; read
//                back equals it; ramp's tags make it listed by listTagged;
//                again with the same client token → the same resource, no twin;
//   update     — in place (same id), changes exactly what it was asked to;
//                every other resource reads as before;
//   remove     — then read → absent; again → success;
//   listTagged — exactly what was created in that region ("" = global),
//                nothing of another environment;
//   errors     — values naming the resource's address (Error::where or message).
// Instantiate with
//   INSTANTIATE_TEST_SUITE_P(Name, InfraProviderConformance,
//                            ::testing::Values(ProviderFactory{"Name", [] { return ...; }}),
//                            conformanceName);
#pragma once

#include <functional>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "infra/InfraProvider.h"

namespace ramp::infra::conformance {

inline constexpr const char* kProject = "shop";
inline constexpr const char* kEnv = "prod";

class ConformanceWorld {
 public:
  virtual ~ConformanceWorld() = default;
  virtual InfraProvider& provider() = 0;
  // Every supported type at least once; a resource's dependsOn come before it.
  virtual std::vector<Resource> resources() = 0;
  // `r` with an attribute changed that its type can change in place, or
  // nullopt when the type has none.
  virtual std::optional<Resource> changed(const Resource& r) = 0;
  // A resource of r's type and region that does not exist (never created).
  virtual Resource absent(const Resource& r) = 0;
  // Resources the provider must refuse to create (bad or missing attributes,
  // a clash with what exists), given the states of everything resources()
  // made as dependencies.
  virtual std::vector<Resource> refused() = 0;
  // Whether some type of the provider has an attribute that changes in place.
  virtual bool updatesInPlace() const { return true; }
  // Whether resources of `type` carry tags (listTagged can find them).
  virtual bool tagged(const std::string& type) const {
    (void)type;
    return true;
  }
};

struct ProviderFactory {
  std::string name;
  // nullptr (after ADD_FAILURE) when the world cannot be set up.
  std::function<std::unique_ptr<ConformanceWorld>()> make;
};

inline std::string conformanceName(const ::testing::TestParamInfo<ProviderFactory>& info) {
  return info.param.name;
}

class InfraProviderConformance : public ::testing::TestWithParam<ProviderFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  InfraProvider& provider() { return world_->provider(); }
  // Creates every resource in order (dependencies: the states made so far).
  void createAll();
  // readMany of `wanted` grouped by (type, region); fails the test on an error.
  std::map<std::string, ResourceState> readAll(const std::vector<Resource>& wanted);
  // listTagged of every region the resources use ("" included), addresses.
  std::set<std::string> listedAddresses(const std::string& env = kEnv);
  std::set<std::string> regions() const;

  std::unique_ptr<ConformanceWorld> world_;
  std::vector<Resource> resources_;
  std::map<std::string, ResourceState> made_;  // by address
};

}  // namespace ramp::infra::conformance
