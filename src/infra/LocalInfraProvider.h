// LocalInfraProvider.h — InfraProvider of the `local` provider: the
// router's entry points ("local_listener" resources), through the world's
// `ramp router` admin API (started on demand, like deployments do).
//
// A local_listener for service S in environment E and region R is the
// router entry point "S.E.R" — the same one deployments send traffic
// through (RouterTrafficProvider::entrypointName). Its managed attributes
// are {service, protocol: "http"|"https", port} and, when the environment's
// router block sets them, limits (the router's whole limits object) and tls
// ({certificates:[{cert_file,key_file}]}, ${secret:NAME} standing for
// HOME/secrets/NAME, which the router reads itself); port null means "any
// free port" (then the real port is not compared). Changing them is an
// in-place update (PUT), only the port forces a new entry point. The environment is read from the
// resource name "S-E" (DesiredGraph's naming) so a Resource rebuilt from
// state needs no tags.
// - readMany: one GET /admin/v1/entrypoints for the whole group.
// - create/update: PUT /admin/v1/entrypoints/{name} {"port","limits","tls"}
//   (idempotent: the router keeps an existing entry point, so a resumed
//   create finds it); limits the config leaves out are sent as the
//   defaults ({}), no tls block as null (plain HTTP): the config is the truth.
// - remove: DELETE; an entry point already gone is success.
// - listTagged: the entry points of E/R (local entry points carry no tags:
//   every one of them is ramp's).
#pragma once

#include <atomic>
#include <filesystem>

#include "core/Clock.h"
#include "infra/InfraProvider.h"

namespace ramp::infra {

class LocalInfraProvider final : public InfraProvider {
 public:
  LocalInfraProvider(std::filesystem::path home, std::filesystem::path rampBinary, Millis timeout = Millis(10000))
      : home_(std::move(home)), rampBinary_(std::move(rampBinary)), timeout_(timeout) {}

  Result<std::map<std::string, ResourceState>> readMany(const std::string& type, const std::string& region,
                                                        const std::vector<Resource>& wanted) override;
  Result<ResourceState> create(const Resource& desired, const std::string& clientToken,
                               const std::map<std::string, ResourceState>& dependencies) override;
  Result<ResourceState> update(const Resource& desired, const ResourceState& current,
                               const std::map<std::string, ResourceState>& dependencies) override;
  Status remove(const ResourceState& current) override;
  Result<std::vector<ResourceState>> listTagged(const std::string& project, const std::string& env,
                                                const std::string& region) override;
  uint64_t callsMade() const override { return calls_.load(); }

 private:
  Result<nlohmann::json> call(std::string_view method, const std::string& path,
                              const std::optional<nlohmann::json>& body = std::nullopt);
  Result<ResourceState> ensure(const Resource& desired);
  Result<nlohmann::json> tlsForRouter(const nlohmann::json& tls, const std::string& address) const;
  nlohmann::json tlsAsConfigured(const nlohmann::json& tls) const;

  std::filesystem::path home_;
  std::filesystem::path rampBinary_;
  Millis timeout_;
  std::atomic<uint64_t> calls_{0};
};

}  // namespace ramp::infra
