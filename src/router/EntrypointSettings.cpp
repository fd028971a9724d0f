#include "router/EntrypointSettings.h"

#include <string_view>

namespace ramp::router {

using nlohmann::json;

namespace {

constexpr int64_t kMaxTimeoutMs = 7LL * 24 * 3600 * 1000;

struct TimeoutKey {
  const char* name;
  Millis EntrypointLimits::*field;
  bool zeroAllowed;  // 0 = none
};

const TimeoutKey kTimeouts[] = {
    {"head_timeout_ms", &EntrypointLimits::headTimeout, false},
    {"idle_timeout_ms", &EntrypointLimits::idleTimeout, false},
    {"client_timeout_ms", &EntrypointLimits::clientTimeout, false},
    {"request_timeout_ms", &EntrypointLimits::requestTimeout, true},
    {"response_timeout_ms", &EntrypointLimits::responseTimeout, false},
    {"connect_timeout_ms", &EntrypointLimits::connectTimeout, false},
    {"tunnel_idle_timeout_ms", &EntrypointLimits::tunnelIdleTimeout, true},
    {"upgrade_drain_timeout_ms", &EntrypointLimits::upgradeDrainTimeout, true},
};

}  // namespace

Result<EntrypointLimits> EntrypointSettings::parseLimits(const json& j, const std::string& where) {
  EntrypointLimits l;
  if (j.is_null()) return l;
  if (!j.is_object()) return invalid("must be an object", where);
  for (auto& [k, v] : j.items()) {
    std::string w = where + "." + k;
    bool known = false;
    for (const auto& t : kTimeouts) {
      if (k != t.name) continue;
      known = true;
      if (!v.is_number_integer()) return invalid("must be an integer (milliseconds)", w);
      int64_t ms = v.get<int64_t>();
      if (ms < (t.zeroAllowed ? 0 : 1) || ms > kMaxTimeoutMs)
        return invalid(std::string("must be between ") + (t.zeroAllowed ? "0 (none)" : "1") + " and " +
                           std::to_string(kMaxTimeoutMs) + " ms",
                       w);
      l.*(t.field) = Millis(ms);
    }
    if (known) continue;
    if (k == "max_connections") {
      if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 10'000'000)
        return invalid("must be an integer between 1 and 10000000", w);
      l.maxConnections = v.get<uint64_t>();
    } else if (k == "max_request_body") {
      if (!v.is_number_integer() || v.get<int64_t>() < 0) return invalid("must be a number of bytes (0 = no cap)", w);
      l.maxRequestBody = v.get<uint64_t>();
    } else {
      return invalid("unknown field", w);
    }
  }
  return l;
}

json EntrypointSettings::limitsToJson(const EntrypointLimits& l) {
  json j = json::object();
  for (const auto& t : kTimeouts) j[t.name] = (l.*(t.field)).count();
  j["max_connections"] = l.maxConnections;
  j["max_request_body"] = l.maxRequestBody;
  return j;
}

Result<std::optional<TlsSettings>> EntrypointSettings::parseTls(const json& j, const std::string& where) {
  if (j.is_null()) return std::optional<TlsSettings>{};
  if (!j.is_object()) return invalid("must be an object or null", where);
  for (auto& [k, v] : j.items())
    if (k != "certificates") return invalid("unknown field", where + "." + k);
  auto c = j.find("certificates");
  if (c == j.end() || !c->is_array() || c->empty())
    return invalid("must be a non-empty array of {cert_file, key_file}", where + ".certificates");
  TlsSettings t;
  for (size_t i = 0; i < c->size(); ++i) {
    const json& e = (*c)[i];
    std::string w = where + ".certificates[" + std::to_string(i) + "]";
    if (!e.is_object()) return invalid("must be an object {cert_file, key_file}", w);
    for (auto& [k, v] : e.items())
      if (k != "cert_file" && k != "key_file") return invalid("unknown field", w + "." + k);
    TlsCertificateFiles f;
    for (const char* key : {"cert_file", "key_file"}) {
      auto it = e.find(key);
      if (it == e.end() || !it->is_string() || it->get<std::string>().empty())
        return invalid("is required (an absolute path)", w + "." + key);
      std::string path = it->get<std::string>();
      if (path.front() != '/') return invalid("must be an absolute path", w + "." + key);
      (std::string_view(key) == "cert_file" ? f.certFile : f.keyFile) = path;
    }
    t.certificates.push_back(std::move(f));
  }
  return std::optional<TlsSettings>(std::move(t));
}

json EntrypointSettings::tlsToJson(const std::optional<TlsSettings>& t) {
  if (!t) return nullptr;
  json certs = json::array();
  for (const auto& c : t->certificates) certs.push_back({{"cert_file", c.certFile}, {"key_file", c.keyFile}});
  return {{"certificates", certs}};
}

}  // namespace ramp::router
