#include "infra/LocalInfraProvider.h"

#include <fmt/format.h>

#include "config/SecretStore.h"
#include "providers/local/RouterTrafficProvider.h"
#include "router/AdminClient.h"
#include "router/RouterProcess.h"

namespace ramp::infra {

namespace {

using json = nlohmann::json;

// {service, env} of a local_listener from its attributes and name "S-E".
Result<providers::EntrypointKey> keyOf(const std::string& address, const std::string& name,
                                       const json& attributes, const std::string& region) {
  std::string service = attributes.is_object() ? attributes.value("service", "") : "";
  if (service.empty() || name.size() <= service.size() + 1 || name.compare(0, service.size() + 1, service + "-") != 0) {
    return invalid(fmt::format("a local_listener needs attributes.service and a name '<service>-<env>' (got "
                               "service '{}', name '{}')",
                               service, name),
                   address);
  }
  return providers::EntrypointKey{service, name.substr(service.size() + 1), region};
}

std::string addressFor(const std::string& service, const std::string& region) {
  return "local_listener." + service + (region.empty() ? "" : "[" + region + "]");
}

}  // namespace

// ${secret:NAME} in the config ↔ HOME/secrets/NAME for the router, which
// reads the files itself (the secret never leaves the home).
Result<json> LocalInfraProvider::tlsForRouter(const json& tls, const std::string& address) const {
  json out = tls;
  for (size_t i = 0; i < out["certificates"].size(); ++i) {
    for (const char* k : {"cert_file", "key_file"}) {
      std::string v = out["certificates"][i].value(k, "");
      if (v.rfind("${secret:", 0) == 0 && v.back() == '}') {
        std::string secretName = v.substr(9, v.size() - 10);
        if (!config::SecretStore::validName(secretName))
          return invalid("not a valid secret name: '" + secretName + "'", address);
        out["certificates"][i][k] = (config::SecretStore(home_).directory() / secretName).string();
      }
    }
  }
  return out;
}

json LocalInfraProvider::tlsAsConfigured(const json& tls) const {
  if (!tls.is_object() || !tls.contains("certificates")) return tls;
  json out = tls;
  std::string dir = config::SecretStore(home_).directory().string() + "/";
  for (auto& c : out["certificates"])
    for (const char* k : {"cert_file", "key_file"}) {
      std::string v = c.value(k, "");
      if (v.rfind(dir, 0) == 0) c[k] = "${secret:" + v.substr(dir.size()) + "}";
    }
  return out;
}

Result<json> LocalInfraProvider::call(std::string_view method, const std::string& path,
                                      const std::optional<json>& body) {
  auto ep = router::ensureRouterRunning(home_, rampBinary_, timeout_);
  if (!ep) return std::unexpected(ep.error());
  ++calls_;
  router::AdminClient client(ep->adminAddress, ep->token, timeout_);
  return client.call(method, path, body);
}

Result<std::map<std::string, ResourceState>> LocalInfraProvider::readMany(const std::string& type,
                                                                          const std::string& region,
                                                                          const std::vector<Resource>& wanted) {
  std::map<std::string, ResourceState> out;
  if (type != "local_listener") return invalid("the local provider manages only local_listener", type);
  if (wanted.empty()) return out;
  auto list = call("GET", "/admin/v1/entrypoints");
  if (!list) return std::unexpected(list.error());
  std::map<std::string, json> byName;
  for (const auto& e : list->value("entrypoints", json::array())) byName[e.value("name", "")] = e;
  for (const auto& w : wanted) {
    auto key = keyOf(w.address, w.name, w.attributes, region);
    if (!key) return std::unexpected(key.error());
    const std::string name = providers::RouterTrafficProvider::entrypointName(*key);
    auto it = byName.find(name);
    if (it == byName.end()) continue;
    const json& e = it->second;
    json attrs{{"protocol", e.value("tls", json()).is_null() ? "http" : "https"}, {"service", key->service}};
    // The keys the desired resource names: a port it leaves open (absent or
    // null) is not compared.
    if (w.attributes.contains("port")) {
      attrs["port"] = w.attributes["port"].is_null() ? json() : e.value("port", json());
    }
    if (w.attributes.contains("limits")) attrs["limits"] = e.value("limits", json());
    if (w.attributes.contains("tls")) attrs["tls"] = tlsAsConfigured(e.value("tls", json()));
    out.emplace(w.address, ResourceState{w.address, type, w.name, region, name, std::move(attrs)});
  }
  return out;
}

Result<ResourceState> LocalInfraProvider::ensure(const Resource& desired) {
  auto key = keyOf(desired.address, desired.name, desired.attributes, desired.region);
  if (!key) return std::unexpected(key.error());
  const std::string name = providers::RouterTrafficProvider::entrypointName(*key);
  json port = desired.attributes.value("port", json());
  // The config is the truth: limits it leaves out are the router's
  // defaults (an empty object), no tls block is plain HTTP (null).
  json body{{"port", port.is_number_integer() ? port : json(0)},
            {"limits", desired.attributes.value("limits", json::object())},
            {"tls", nullptr}};
  if (desired.attributes.contains("tls")) {
    auto tls = tlsForRouter(desired.attributes["tls"], desired.address);
    if (!tls) return std::unexpected(tls.error());
    body["tls"] = *tls;
  }
  auto r = call("PUT", "/admin/v1/entrypoints/" + name, body);
  if (!r) return std::unexpected(r.error());
  json attrs{{"protocol", desired.attributes.value("protocol", "http")}, {"service", key->service}};
  if (desired.attributes.contains("port")) attrs["port"] = port;
  if (desired.attributes.contains("limits")) attrs["limits"] = desired.attributes["limits"];
  if (desired.attributes.contains("tls")) attrs["tls"] = desired.attributes["tls"];
  return ResourceState{desired, name, std::move(attrs)};
}

Result<ResourceState> LocalInfraProvider::create(const Resource& desired, const std::string&,
                                                 const std::map<std::string, ResourceState>&) {
  return ensure(desired);
}

Result<ResourceState> LocalInfraProvider::update(const Resource& desired, const ResourceState&,
                                                 const std::map<std::string, ResourceState>&) {
  return ensure(desired);
}

Status LocalInfraProvider::remove(const ResourceState& current) {
  std::string name = current.id;
  if (name.empty()) {
    auto key = keyOf(current.address, current.name, current.attributes, current.region);
    if (!key) return std::unexpected(key.error());
    name = providers::RouterTrafficProvider::entrypointName(*key);
  }
  auto r = call("DELETE", "/admin/v1/entrypoints/" + name);
  if (!r && r.error().code != ErrorCode::kNotFound) return std::unexpected(r.error());
  return ok();
}

Result<std::vector<ResourceState>> LocalInfraProvider::listTagged(const std::string&, const std::string& env,
                                                                  const std::string& region) {
  std::vector<ResourceState> out;
  if (region.empty()) return out;  // the local provider has no global resources
  auto list = call("GET", "/admin/v1/entrypoints");
  if (!list) return std::unexpected(list.error());
  const std::string suffix = "." + env + "." + region;
  for (const auto& e : list->value("entrypoints", json::array())) {
    std::string name = e.value("name", "");
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    std::string service = name.substr(0, name.size() - suffix.size());
    out.push_back(ResourceState{addressFor(service, region), "local_listener", service + "-" + env, region, name,
                                json{{"port", e.value("port", 0)}, {"protocol", "http"}, {"service", service},
                                     {"tags", json{{"ramp:managed-by", "infra"}}}}});
  }
  return out;
}

}  // namespace ramp::infra
