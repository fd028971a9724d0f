#include "providers/ProviderSet.h"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace ramp::providers {

using nlohmann::json;

namespace {

std::string keyOf(const std::string& service, const std::string& env) { return service + "/" + env; }

std::unique_ptr<aws::AwsRegionClients> productionClients() {
  aws::AwsClientOptions o;
  for (const char* var : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (const char* r = std::getenv(var); r && *r) {
      o.region = r;
      break;
    }
  }
  return std::make_unique<aws::AwsRegionClients>(o);
}

Result<json> readJson(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) return json::object();
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid("not a JSON object", p.string());
  return j;
}

}  // namespace

ProviderSet::ProviderSet(store::ProviderStore& routing, Site site, std::filesystem::path home,
                         FleetProvider& localFleets, TrafficProvider& localTraffic, MetricsProvider& localMetrics,
                         Clock& clock, std::unique_ptr<aws::AwsRegionClients> clients)
    : routing_(routing),
      site_(std::move(site)),
      clock_(clock),
      dir_(std::move(home) / "providers"),
      localFleets_(localFleets),
      localTraffic_(localTraffic),
      localMetrics_(localMetrics),
      clients_(clients ? std::move(clients) : productionClients()) {
  awsFleets_ = std::make_unique<aws::AwsFleetProvider>(*clients_, *this);
  awsTraffic_ = std::make_unique<aws::AwsTrafficProvider>(*clients_, *this);
  awsMetrics_ = std::make_unique<aws::AwsMetricsProvider>(*clients_, *this, clock);
  importLegacyFiles();
  load();
}

void ProviderSet::importLegacyFiles() {
  // What an older ramp kept in the home: recorded in the store (this site
  // ran those local environments), then renamed so it is read once.
  int64_t now = toUnixMillis(clock_.now());
  std::error_code ec;
  for (const char* name : {"environments.json", "fleets.json"}) {
    auto path = dir_ / name;
    if (!std::filesystem::exists(path, ec)) continue;
    auto j = readJson(path);
    if (!j) continue;
    bool all = true;
    for (auto& [k, v] : j->items()) {
      if (std::string(name) == "environments.json") {
        auto slash = k.rfind('/');
        if (slash == std::string::npos || !v.is_object()) continue;
        store::ProviderEnvironmentRecord r;
        r.service = k.substr(0, slash);
        r.env = k.substr(slash + 1);
        r.provider = v.value("provider", "local");
        if (r.provider == "local") {
          r.site = site_.id;
          r.siteLabel = site_.label();
        }
        if (v.contains("rendered")) r.settings["rendered"] = v["rendered"];
        if (v.contains("networks")) r.settings["networks"] = v["networks"];
        r.updatedAt = now;
        if (!routing_.putProviderEnvironment(r)) all = false;
      } else if (v.is_string()) {
        std::string provider = v.get<std::string>();
        store::FleetPlacementRecord f{k, provider, provider == "local" ? site_.id : "", now};
        if (!routing_.putFleetPlacement(f)) all = false;
      }
    }
    if (all) std::filesystem::rename(path, path.string() + ".imported", ec);
  }
}

void ProviderSet::load() {
  std::lock_guard lock(mu_);
  if (auto envs = routing_.listProviderEnvironments()) {
    for (auto& r : *envs) {
      envProvider_[r.env] = r.provider;
      environments_[keyOf(r.service, r.env)] = std::move(r);
    }
  }
  if (auto fleets = routing_.listFleetPlacements()) {
    for (auto& f : *fleets) fleets_[f.fleetId] = std::move(f);
  }
}

Status ProviderSet::refusal(const std::string& what, const std::string& site, const std::string& label) const {
  return failedPrecondition(what + " runs at " + (label.empty() ? "site " + site : label + " (site " + site + ")") +
                                ": its fleets and router are processes there, and this controller (" + site_.label() +
                                ", site " + site_.id +
                                ") does not act on them; a controller of that home does (docs/controller.md)",
                            "env");
}

Status ProviderSet::learn(const std::string& service, const std::string& env, const json& rendered) {
  std::string provider = "local";
  if (rendered.is_object() && rendered.contains("environment") && rendered["environment"].is_object()) {
    provider = rendered["environment"].value("provider", "local");
  }
  if (provider != "local" && provider != "aws") {
    return invalid("unknown provider '" + provider + "'", "rendered.environment.provider");
  }
  store::ProviderEnvironmentRecord entry;
  entry.service = service;
  entry.env = env;
  entry.provider = provider;
  entry.updatedAt = toUnixMillis(clock_.now());
  if (provider == "aws") {
    auto e = aws::AwsEnvironment::fromRendered(rendered);
    if (!e) {
      auto err = e.error();
      err.where = "rendered." + err.where;
      return std::unexpected(err);
    }
    entry.settings["rendered"] = rendered;
  } else {
    entry.site = site_.id;
    entry.siteLabel = site_.label();
  }
  std::lock_guard lock(mu_);
  auto known = environments_.find(keyOf(service, env));
  if (provider == "local" && known != environments_.end() && known->second.provider == "local" &&
      known->second.site != site_.id) {
    return refusal("local environment " + env + " of " + service, known->second.site, known->second.siteLabel);
  }
  if (provider == "aws") {
    // Every region's network, as each region's rendered config is learned
    // (a deployment across regions learns each of them).
    json networks = known != environments_.end() ? known->second.settings.value("networks", json::object())
                                                 : json::object();
    const json& aws = rendered["environment"].value("aws", json::object());
    std::string region = rendered.value("region", "");
    if (!region.empty()) {
      networks[region] = {{"vpc", aws.value("vpc", json(nullptr))},
                          {"subnets", aws.value("subnets", json::array())},
                          {"security_groups", aws.value("security_groups", json::array())}};
    }
    entry.settings["networks"] = networks;
  }
  if (known != environments_.end() && known->second.provider == entry.provider && known->second.site == entry.site &&
      known->second.settings == entry.settings) {
    return ok();
  }
  if (auto p = routing_.putProviderEnvironment(entry); !p) {
    if (p.error().code == ErrorCode::kConflict) return failedPrecondition(p.error().message, "env");
    return p;
  }
  envProvider_[env] = provider;
  environments_[keyOf(service, env)] = std::move(entry);
  return ok();
}

std::string ProviderSet::providerOf(const std::string& service, const std::string& env) {
  std::lock_guard lock(mu_);
  auto k = keyOf(service, env);
  if (auto it = environments_.find(k); it != environments_.end()) return it->second.provider;
  auto it = envProvider_.find(env);
  return it == envProvider_.end() ? "local" : it->second;
}

Status ProviderSet::canAct(const std::string& service, const std::string& env) {
  std::lock_guard lock(mu_);
  auto it = environments_.find(keyOf(service, env));
  if (it == environments_.end() || it->second.provider != "local" || it->second.site == site_.id) return ok();
  return refusal("local environment " + env + " of " + service, it->second.site, it->second.siteLabel);
}

Status ProviderSet::canActOnFleet(const std::string& fleetId) {
  std::lock_guard lock(mu_);
  auto it = fleets_.find(fleetId);
  if (it == fleets_.end() || it->second.provider != "local" || it->second.site == site_.id) return ok();
  std::string label;
  for (const auto& [k, e] : environments_) {
    if (e.site == it->second.site) label = e.siteLabel;
  }
  return refusal("local fleet " + fleetId, it->second.site, label);
}

bool ProviderSet::hasLocalEnvironmentsHere() {
  std::lock_guard lock(mu_);
  for (const auto& [k, e] : environments_) {
    if (e.provider == "local" && e.site == site_.id) return true;
  }
  return false;
}

bool ProviderSet::anyAws() {
  std::lock_guard lock(mu_);
  for (auto& [env, p] : envProvider_) {
    if (p == "aws") return true;
  }
  return false;
}

Status ProviderSet::recordFleet(const std::string& fleetId, const std::string& provider) {
  store::FleetPlacementRecord f{fleetId, provider, provider == "local" ? site_.id : "", toUnixMillis(clock_.now())};
  {
    std::lock_guard lock(mu_);
    if (auto it = fleets_.find(fleetId);
        it != fleets_.end() && it->second.provider == f.provider && it->second.site == f.site) {
      return ok();
    }
  }
  if (auto p = routing_.putFleetPlacement(f); !p) return p;
  std::lock_guard lock(mu_);
  fleets_[fleetId] = f;
  return ok();
}

Result<aws::AwsEnvironment> ProviderSet::awsEnvironment(const std::string& service, const std::string& env) {
  json rendered;
  json networks = json::object();
  {
    std::lock_guard lock(mu_);
    auto k = keyOf(service, env);
    auto it = environments_.find(k);
    if (it != environments_.end()) networks = it->second.settings.value("networks", json::object());
    if (it == environments_.end() || !it->second.settings.contains("rendered")) {
      // Another service of the same aws environment shares its settings.
      for (auto& [key, v] : environments_) {
        if (key.ends_with("/" + env) && v.settings.contains("rendered")) rendered = v.settings["rendered"];
      }
      if (rendered.is_null()) {
        return failedPrecondition("no aws settings known for " + service + " in " + env + " (deploy it first)", "env");
      }
    } else {
      rendered = it->second.settings["rendered"];
    }
  }
  auto e = aws::AwsEnvironment::fromRendered(rendered);
  if (!e) return std::unexpected(e.error());
  e->service = service;
  e->env = env;
  for (auto& [region, n] : networks.items()) {
    if (!n.is_object()) continue;
    aws::AwsEnvironment::Network net;
    if (n.contains("vpc") && n["vpc"].is_string()) net.vpcId = n["vpc"].get<std::string>();
    for (const auto& s : n.value("subnets", json::array()))
      if (s.is_string()) net.subnets.push_back(s.get<std::string>());
    for (const auto& s : n.value("security_groups", json::array()))
      if (s.is_string()) net.securityGroups.push_back(s.get<std::string>());
    e->networks[region] = std::move(net);
  }
  return e;
}

std::vector<std::string> ProviderSet::awsRegions() {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  for (auto& [k, v] : environments_) {
    if (v.provider != "aws" || !v.settings.contains("rendered")) continue;
    const auto& r = v.settings["rendered"];
    if (r.contains("environment") && r["environment"].contains("regions") && r["environment"]["regions"].is_array()) {
      for (auto& reg : r["environment"]["regions"]) {
        if (reg.is_string()) out.insert(reg.get<std::string>());
      }
    }
  }
  return {out.begin(), out.end()};
}

Status ProviderSet::createFleet(const FleetSpec& spec) {
  if (auto c = canAct(spec.service, spec.env); !c) return c;
  std::string p = providerOf(spec.service, spec.env);
  // Recorded before the side effect, so a crash in between still routes
  // status and retirement to the right provider.
  if (auto r = recordFleet(spec.fleetId, p); !r) return r;
  return p == "aws" ? awsFleets_->createFleet(spec) : localFleets_.createFleet(spec);
}

Result<FleetStatus> ProviderSet::fleetStatus(const std::string& fleetId) {
  if (auto c = canActOnFleet(fleetId); !c) return std::unexpected(c.error());
  std::string p;
  {
    std::lock_guard lock(mu_);
    if (auto it = fleets_.find(fleetId); it != fleets_.end()) p = it->second.provider;
  }
  if (p == "aws") return awsFleets_->fleetStatus(fleetId);
  auto local = localFleets_.fleetStatus(fleetId);
  if (p.empty() && local && !local->exists && anyAws()) return awsFleets_->fleetStatus(fleetId);
  return local;
}

Status ProviderSet::retireFleet(const std::string& fleetId, std::chrono::milliseconds drain) {
  if (auto c = canActOnFleet(fleetId); !c) return c;
  std::string p;
  {
    std::lock_guard lock(mu_);
    if (auto it = fleets_.find(fleetId); it != fleets_.end()) p = it->second.provider;
  }
  if (p == "aws") return awsFleets_->retireFleet(fleetId, drain);
  auto s = localFleets_.retireFleet(fleetId, drain);
  if (s && p.empty() && anyAws()) return awsFleets_->retireFleet(fleetId, drain);
  return s;
}

Result<std::vector<std::string>> ProviderSet::listFleets(const std::optional<std::string>& service,
                                                         const std::optional<std::string>& env) {
  if (env) {
    if (providerOf(service.value_or(""), *env) == "aws") return awsFleets_->listFleets(service, env);
    if (service) {
      if (auto c = canAct(*service, *env); !c) return std::unexpected(c.error());
    }
    return localFleets_.listFleets(service, env);
  }
  auto local = localFleets_.listFleets(service, env);
  if (!local || !anyAws()) return local;
  auto remote = awsFleets_->listFleets(service, env);
  if (!remote) return std::unexpected(remote.error());
  local->insert(local->end(), remote->begin(), remote->end());
  return local;
}

Result<std::string> ProviderSet::ensureEntrypoint(const EntrypointKey& key) {
  if (auto c = canAct(key.service, key.env); !c) return std::unexpected(c.error());
  if (providerOf(key.service, key.env) == "aws") return awsTraffic_->ensureEntrypoint(key);
  return localTraffic_.ensureEntrypoint(key);
}

Status ProviderSet::setTraffic(const TrafficSplit& split) {
  if (auto c = canAct(split.key.service, split.key.env); !c) return c;
  if (providerOf(split.key.service, split.key.env) == "aws") return awsTraffic_->setTraffic(split);
  return localTraffic_.setTraffic(split);
}

Result<TrafficSplit> ProviderSet::appliedTraffic(const EntrypointKey& key) {
  if (auto c = canAct(key.service, key.env); !c) return std::unexpected(c.error());
  if (providerOf(key.service, key.env) == "aws") return awsTraffic_->appliedTraffic(key);
  return localTraffic_.appliedTraffic(key);
}

Result<int64_t> ProviderSet::inflight(const EntrypointKey& key, const std::string& fleetId) {
  if (auto c = canAct(key.service, key.env); !c) return std::unexpected(c.error());
  if (providerOf(key.service, key.env) == "aws") return awsTraffic_->inflight(key, fleetId);
  return localTraffic_.inflight(key, fleetId);
}

Status ProviderSet::renewLease(const EntrypointKey& key, int64_t epoch) {
  if (providerOf(key.service, key.env) == "aws") return awsTraffic_->renewLease(key, epoch);
  return localTraffic_.renewLease(key, epoch);
}

Result<FleetMetrics> ProviderSet::fleetMetrics(const EntrypointKey& key, const std::string& fleetId) {
  if (auto c = canAct(key.service, key.env); !c) return std::unexpected(c.error());
  if (providerOf(key.service, key.env) == "aws") return awsMetrics_->fleetMetrics(key, fleetId);
  return localMetrics_.fleetMetrics(key, fleetId);
}

Result<std::vector<std::string>> ProviderSet::alarmsInAlarm(const EntrypointKey& key,
                                                            const std::vector<std::string>& names) {
  if (providerOf(key.service, key.env) == "aws") return awsMetrics_->alarmsInAlarm(key, names);
  return std::vector<std::string>{};
}

}  // namespace ramp::providers
