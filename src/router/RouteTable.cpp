#include "router/RouteTable.h"

#include <arpa/inet.h>

#include <set>

#include "core/Clock.h"
#include "router/HttpSyntax.h"

namespace ramp::router {

using nlohmann::json;

namespace {

bool validFleetId(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
  return true;
}

bool validBackend(const std::string& s) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string host = s.substr(0, colon);
  std::string port = s.substr(colon + 1);
  auto p = http::parseDecimal(port);
  if (!p || *p == 0 || *p > 65535) return false;
  if (host == "localhost") return true;
  in_addr a{};
  return ::inet_pton(AF_INET, host.c_str(), &a) == 1;
}

Result<int64_t> intField(const json& obj, const char* key, const std::string& where, bool required) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) return invalid("is required", where);
    return int64_t{0};
  }
  if (!it->is_number_integer()) return invalid("must be an integer", where);
  return it->get<int64_t>();
}

}  // namespace

Status RouteTable::validateName(const std::string& name) {
  if (name.empty() || name.size() > 200) return invalid("entry point name must be 1..200 characters", "name");
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return invalid("entry point name may contain only letters, digits, '.', '_' and '-'", "name");
  if (name.front() == '.' || name.back() == '.' || name.find("..") != std::string::npos)
    return invalid("entry point name has an empty label", "name");
  return ok();
}

Result<SplitRoute> RouteTable::parseSplit(const json& body) {
  if (!body.is_object()) return invalid("body must be a JSON object", "body");
  for (auto& [k, v] : body.items())
    if (k != "epoch" && k != "fleets" && k != "pin" && k != "stable" && k != "lease_ms") return invalid("unknown field", k);
  SplitRoute split;
  auto epoch = intField(body, "epoch", "epoch", true);
  if (!epoch) return std::unexpected(epoch.error());
  if (*epoch < 0) return invalid("must be >= 0", "epoch");
  split.epoch = *epoch;
  auto fit = body.find("fleets");
  if (fit == body.end()) return invalid("is required", "fleets");
  if (!fit->is_array()) return invalid("must be an array", "fleets");
  std::set<std::string> ids;
  int sum = 0;
  for (size_t i = 0; i < fit->size(); ++i) {
    const json& f = (*fit)[i];
    std::string w = "fleets[" + std::to_string(i) + "]";
    if (!f.is_object()) return invalid("must be an object", w);
    for (auto& [k, v] : f.items())
      if (k != "id" && k != "weight" && k != "backends") return invalid("unknown field", w + "." + k);
    FleetRoute fr;
    auto id = f.find("id");
    if (id == f.end() || !id->is_string()) return invalid("must be a string", w + ".id");
    fr.id = id->get<std::string>();
    if (!validFleetId(fr.id)) return invalid("must match [A-Za-z0-9._-]{1,128}", w + ".id");
    if (!ids.insert(fr.id).second) return invalid("duplicate fleet id '" + fr.id + "'", w + ".id");
    auto weight = intField(f, "weight", w + ".weight", true);
    if (!weight) return std::unexpected(weight.error());
    if (*weight < 0 || *weight > 100) return invalid("must be between 0 and 100", w + ".weight");
    fr.weight = static_cast<int>(*weight);
    sum += fr.weight;
    auto b = f.find("backends");
    if (b != f.end()) {
      if (!b->is_array()) return invalid("must be an array of \"host:port\"", w + ".backends");
      for (size_t j = 0; j < b->size(); ++j) {
        std::string bw = w + ".backends[" + std::to_string(j) + "]";
        if (!(*b)[j].is_string()) return invalid("must be a string \"host:port\"", bw);
        std::string addr = (*b)[j].get<std::string>();
        if (!validBackend(addr)) return invalid("must be \"IPv4:port\" or \"localhost:port\"", bw);
        fr.backends.push_back(addr);
      }
    }
    if (fr.weight > 0 && fr.backends.empty())
      return invalid("a fleet with weight > 0 needs at least one backend", w + ".backends");
    split.fleets.push_back(std::move(fr));
  }
  if (!split.fleets.empty() && sum != 100)
    return invalid("weights must sum to 100 (they sum to " + std::to_string(sum) + ")", "fleets");
  auto pit = body.find("pin");
  if (pit != body.end() && !pit->is_null()) {
    if (!pit->is_object()) return invalid("must be an object or null", "pin");
    PinRoute pin;
    for (auto& [k, v] : pit->items()) {
      if (k != "header" && k != "cookie" && k != "fleet") return invalid("unknown field", "pin." + k);
      if (!v.is_string()) return invalid("must be a string", "pin." + k);
    }
    pin.header = pit->value("header", "");
    pin.cookie = pit->value("cookie", "");
    pin.fleet = pit->value("fleet", "");
    if (!pin.header.empty() && !http::isToken(pin.header)) return invalid("must be a header name (token)", "pin.header");
    if (!pin.cookie.empty() && !http::isToken(pin.cookie)) return invalid("must be a cookie name (token)", "pin.cookie");
    if (pin.header.empty() && pin.cookie.empty()) return invalid("needs a header or a cookie", "pin");
    if (!ids.contains(pin.fleet)) return invalid("must name one of the listed fleets", "pin.fleet");
    split.pin = pin;
  }
  auto sit = body.find("stable");
  if (sit != body.end() && !sit->is_null()) {
    if (!sit->is_string()) return invalid("must be a fleet id or null", "stable");
    split.stable = sit->get<std::string>();
    int i = split.indexOf(split.stable);
    if (i < 0) return invalid("must name one of the listed fleets", "stable");
    if (split.fleets[static_cast<size_t>(i)].backends.empty())
      return invalid("the stable fleet needs at least one backend (traffic falls back to it)", "stable");
  }
  auto lit = body.find("lease_ms");
  if (lit != body.end() && !lit->is_null()) {
    if (!lit->is_number_integer()) return invalid("must be an integer (milliseconds) or null", "lease_ms");
    int64_t ms = lit->get<int64_t>();
    if (ms < kMinLeaseMs || ms > kMaxLeaseMs)
      return invalid("must be between " + std::to_string(kMinLeaseMs) + " and " + std::to_string(kMaxLeaseMs) + " ms",
                     "lease_ms");
    if (split.stable.empty()) return invalid("a lease needs \"stable\": the fleet traffic returns to", "lease_ms");
    split.leaseMs = ms;
  }
  return split;
}

int SplitRoute::indexOf(const std::string& fleet) const {
  for (size_t i = 0; i < fleets.size(); ++i)
    if (fleets[i].id == fleet) return static_cast<int>(i);
  return -1;
}

SplitRoute RouteTable::fallbackSplit(const SplitRoute& held) {
  SplitRoute s = held;
  for (auto& f : s.fleets) f.weight = f.id == held.stable ? 100 : 0;
  s.pin.reset();
  s.leaseMs = 0;
  return s;
}

json RouteTable::leaseToJson(const LeaseRecord& l) {
  json j{{"state", l.state}, {"lease_ms", l.leaseMs}};
  if (l.state == "held") {
    j["expires_at_ms"] = l.expiresAtMs;
    j["expires_at"] = formatTime(fromUnixMillis(l.expiresAtMs));
    j["renewed_at_ms"] = l.renewedAtMs;
  } else {
    j["expired_at_ms"] = l.expiredAtMs;
    j["expired_at"] = formatTime(fromUnixMillis(l.expiredAtMs));
    j["before"] = l.before ? splitToJson(*l.before) : json();
  }
  return j;
}

json RouteTable::splitToJson(const SplitRoute& s) {
  json fleets = json::array();
  for (const auto& f : s.fleets) fleets.push_back({{"id", f.id}, {"weight", f.weight}, {"backends", f.backends}});
  json pin = nullptr;
  if (s.pin) pin = {{"header", s.pin->header}, {"cookie", s.pin->cookie}, {"fleet", s.pin->fleet}};
  return {{"epoch", s.epoch},
          {"fleets", fleets},
          {"pin", pin},
          {"stable", s.stable.empty() ? json() : json(s.stable)},
          {"lease_ms", s.leaseMs > 0 ? json(s.leaseMs) : json()}};
}

json RouteTable::entrypointToJson(const EntrypointRoute& ep) {
  json j = splitToJson(ep.split);
  j["name"] = ep.name;
  j["port"] = ep.port;
  j["fixed_port"] = ep.fixedPort;
  j["generation"] = ep.generation;
  j["url"] = std::string(ep.settings.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(ep.port);
  j["lease"] = ep.lease ? leaseToJson(*ep.lease) : json();
  j["limits"] = EntrypointSettings::limitsToJson(ep.settings.limits);
  j["tls"] = EntrypointSettings::tlsToJson(ep.settings.tls);
  return j;
}

json RouteTable::toJson() const {
  json eps = json::array();
  for (const auto& [name, ep] : entrypoints) eps.push_back(entrypointToJson(ep));
  return {{"version", 1}, {"highest_epoch", highestEpoch}, {"entrypoints", eps}};
}

Result<RouteTable> RouteTable::fromJson(const std::string& text, const std::string& where) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    return invalid(std::string("not valid JSON: ") + e.what(), where);
  }
  if (!j.is_object() || j.value("version", 0) != 1) return invalid("expected {\"version\":1,...}", where);
  RouteTable t;
  try {
    t.highestEpoch = j.value("highest_epoch", int64_t{0});
    const json& eps = j.at("entrypoints");
    for (size_t i = 0; i < eps.size(); ++i) {
      const json& e = eps[i];
      std::string w = where + ": entrypoints[" + std::to_string(i) + "]";
      EntrypointRoute ep;
      ep.name = e.at("name").get<std::string>();
      if (auto st = validateName(ep.name); !st) return invalid(st.error().message, w + ".name");
      ep.port = e.at("port").get<int>();
      if (ep.port <= 0 || ep.port > 65535) return invalid("port out of range", w + ".port");
      ep.fixedPort = e.value("fixed_port", false);
      ep.generation = e.value("generation", uint64_t{0});
      json body = {{"epoch", e.value("epoch", int64_t{0})}, {"fleets", e.at("fleets")}, {"pin", e.value("pin", json())},
                   {"stable", e.value("stable", json())}, {"lease_ms", e.value("lease_ms", json())}};
      auto split = parseSplit(body);
      if (!split) return invalid(split.error().message, w + "." + split.error().where);
      ep.split = std::move(*split);
      auto limits = EntrypointSettings::parseLimits(e.value("limits", json()), w + ".limits");
      if (!limits) return std::unexpected(limits.error());
      ep.settings.limits = *limits;
      auto tls = EntrypointSettings::parseTls(e.value("tls", json()), w + ".tls");
      if (!tls) return std::unexpected(tls.error());
      ep.settings.tls = *tls;
      if (auto l = e.find("lease"); l != e.end() && !l->is_null()) {
        LeaseRecord lease;
        lease.state = l->at("state").get<std::string>();
        if (lease.state != "held" && lease.state != "expired") return invalid("unknown lease state", w + ".lease.state");
        lease.leaseMs = l->at("lease_ms").get<int64_t>();
        if (lease.state == "held") {
          lease.expiresAtMs = l->at("expires_at_ms").get<int64_t>();
          lease.renewedAtMs = l->value("renewed_at_ms", int64_t{0});
        } else {
          lease.expiredAtMs = l->at("expired_at_ms").get<int64_t>();
          if (auto b = l->find("before"); b != l->end() && !b->is_null()) {
            auto before = parseSplit(*b);
            if (!before) return invalid(before.error().message, w + ".lease.before." + before.error().where);
            lease.before = std::move(*before);
          }
        }
        ep.lease = std::move(lease);
      }
      t.entrypoints[ep.name] = std::move(ep);
    }
  } catch (const std::exception& e) {
    return invalid(std::string("malformed routes: ") + e.what(), where);
  }
  return t;
}

}  // namespace ramp::router
