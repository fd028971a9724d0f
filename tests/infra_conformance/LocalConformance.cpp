// The conformance suite on LocalInfraProvider: local_listener resources (the
// router's entry points) in two regions of the world in the test's
// RAMP_HOME; the router is started on demand by the provider (RAMP_BIN) and
// stopped when each case ends.
#include <cstdlib>

#include "InfraProviderConformance.h"
#include "infra/LocalInfraProvider.h"
#include "router/RouterProcess.h"

namespace ramp::infra::conformance {
namespace {

using nlohmann::json;

class LocalWorld final : public ConformanceWorld {
 public:
  LocalWorld(std::filesystem::path home, std::filesystem::path bin)
      : home_(std::move(home)), provider_(home_, std::move(bin), Millis(10000)) {}
  ~LocalWorld() override {
    auto s = router::stopRouter(home_, Millis(5000));
    if (!s) ADD_FAILURE() << "stopping the router: " << s.error().describe();
  }
  InfraProvider& provider() override { return provider_; }

  std::vector<Resource> resources() override {
    return {listener("web", "local"), listener("api", "local"), listener("web", "other")};
  }
  // A local_listener's only attributes (port, protocol) force a new entry
  // point (DesiredGraph's forceNew; the router refuses to move a listening
  // entry point to another port): nothing changes in place.
  std::optional<Resource> changed(const Resource&) override { return std::nullopt; }
  bool updatesInPlace() const override { return false; }
  Resource absent(const Resource& r) override { return listener("ghost", r.region); }
  std::vector<Resource> refused() override {
    Resource noService = listener("broken", "local");
    noService.attributes.erase("service");
    Resource badName = listener("odd", "local");
    badName.name = "odd";  // not "<service>-<env>"
    return {noService, badName};
  }

 private:
  static Resource listener(const std::string& service, const std::string& region) {
    Resource r;
    r.type = "local_listener";
    r.name = service + "-" + kEnv;
    r.region = region;
    r.address = "local_listener." + service + "[" + region + "]";
    r.attributes = {{"service", service}, {"protocol", "http"}};
    r.forceNew = {"port", "protocol"};
    r.tags = {{"ramp:project", kProject}, {"ramp:env", kEnv}, {"ramp:region", region}, {"ramp:address", r.address}};
    return r;
  }

  std::filesystem::path home_;
  LocalInfraProvider provider_;
};

std::unique_ptr<ConformanceWorld> makeLocal() {
  const char* home = std::getenv("RAMP_HOME");
  const char* bin = std::getenv("RAMP_BIN");
  if (!home || !bin) {
    ADD_FAILURE() << "RAMP_HOME and RAMP_BIN must be set (run through ctest: tests/isolated)";
    return nullptr;
  }
  return std::make_unique<LocalWorld>(home, bin);
}

INSTANTIATE_TEST_SUITE_P(Local, InfraProviderConformance, ::testing::Values(ProviderFactory{"Local", makeLocal}),
                         conformanceName);

}  // namespace
}  // namespace ramp::infra::conformance
