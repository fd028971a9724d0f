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

std::vector<std::string> regionsOf(const json& rendered) {
  std::vector<std::string> out;
  if (!rendered.is_object() || !rendered.contains("environment")) return out;
  const auto& e = rendered["environment"];
  if (!e.is_object() || !e.contains("regions") || !e["regions"].is_array()) return out;
  for (const auto& r : e["regions"]) {
    if (r.is_string()) out.push_back(r.get<std::string>());
  }
  return out;
}

// {region: that region's rendered config} of an aws environment's settings;
// settings recorded before regions were ({"rendered": ...}) are that
// render's region (its "region", else the environment's first).
json regionRenders(const json& settings) {
  if (!settings.is_object()) return json::object();
  if (settings.contains("regions") && settings["regions"].is_object()) return settings["regions"];
  json out = json::object();
  if (settings.contains("rendered") && settings["rendered"].is_object()) {
    const json& r = settings["rendered"];
    std::string region = r.contains("region") && r["region"].is_string() ? r["region"].get<std::string>() : "";
    if (region.empty()) {
      auto all = regionsOf(r);
      if (!all.empty()) region = all.front();
    }
    if (!region.empty()) out[region] = r;
  }
  return out;
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
  awsFleets_ = std::make_unique<aws::AwsFleetProvider>(*clients_, *this, clock);
  awsTraffic_ = std::make_unique<aws::AwsTrafficProvider>(*clients_, *this, *awsFleets_, clock);
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
        if (r.provider == "aws") r.settings["regions"] = regionRenders(v);
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

long ProviderSet::awsCalls() { return clients_->callsMade(); }

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
  std::string region;
  if (provider == "aws") {
    auto e = aws::AwsEnvironment::fromRendered(rendered);
    if (!e) {
      auto err = e.error();
      err.where = "rendered." + err.where;
      return std::unexpected(err);
    }
    region = e->region;
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
    // Every region's own rendered config (its network, image, load
    // balancer, the service's rule), as each region of a deployment is
    // learned.
    json regions = known != environments_.end() && known->second.provider == "aws"
                       ? regionRenders(known->second.settings)
                       : json::object();
    regions[region] = rendered;
    entry.settings["regions"] = std::move(regions);
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

Status ProviderSet::verifyInfrastructure(const std::string& service, const std::string& env,
                                         const std::vector<std::string>& regions) {
  if (providerOf(service, env) != "aws") return ok();
  for (const auto& region : regions) {
    auto url = awsTraffic_->ensureEntrypoint({service, env, region});
    if (url) continue;
    Error e = url.error();
    // AWS refusing ramp's own credentials is not the API caller's 401/403.
    if (e.code == ErrorCode::kUnauthenticated || e.code == ErrorCode::kPermissionDenied) {
      e.message = "AWS refused ramp's credentials while checking the infrastructure of " + env + " in " + region +
                  ": " + e.message;
      e.code = ErrorCode::kFailedPrecondition;
    }
    return std::unexpected(e);
  }
  return ok();
}

bool ProviderSet::anyAws() {
  std::lock_guard lock(mu_);
  for (auto& [env, p] : envProvider_) {
    if (p == "aws") return true;
  }
  return false;
}

Status ProviderSet::recordFleet(const FleetSpec& spec, const std::string& provider) {
  store::FleetPlacementRecord f{spec.fleetId, provider, provider == "local" ? site_.id : "",
                                toUnixMillis(clock_.now())};
  if (provider == "aws") {
    // The region it is made in: the spec's, else the environment's first.
    f.region = spec.region == "local" ? "" : spec.region;
    if (f.region.empty()) {
      auto regions = awsRegions(spec.env);
      if (!regions.empty()) f.region = regions.front();
    }
  }
  {
    std::lock_guard lock(mu_);
    if (auto it = fleets_.find(spec.fleetId); it != fleets_.end() && it->second.provider == f.provider &&
                                              it->second.site == f.site && it->second.region == f.region) {
      return ok();
    }
  }
  if (auto p = routing_.putFleetPlacement(f); !p) return p;
  std::lock_guard lock(mu_);
  fleets_[spec.fleetId] = f;
  return ok();
}

std::string ProviderSet::fleetProvider(const std::string& fleetId) {
  std::lock_guard lock(mu_);
  auto it = fleets_.find(fleetId);
  return it == fleets_.end() ? std::string() : it->second.provider;
}

std::optional<std::string> ProviderSet::fleetRegion(const std::string& fleetId) {
  std::lock_guard lock(mu_);
  auto it = fleets_.find(fleetId);
  if (it == fleets_.end() || it->second.region.empty()) return std::nullopt;
  return it->second.region;
}

Result<aws::AwsEnvironment> ProviderSet::awsEnvironment(const std::string& service, const std::string& env,
                                                       const std::string& region) {
  json rendered;
  {
    std::lock_guard lock(mu_);
    // This service's render of that region (its rule, alarms and image are its own).
    auto it = environments_.find(keyOf(service, env));
    if (it != environments_.end() && it->second.provider == "aws") {
      json regions = regionRenders(it->second.settings);
      if (!region.empty()) {
        if (regions.contains(region)) rendered = regions[region];
      } else {
        // No region: the environment's first one.
        for (auto& [r, one] : regions.items()) {
          auto all = regionsOf(one);
          if (!all.empty() && regions.contains(all.front())) rendered = regions[all.front()];
        }
      }
    }
  }
  if (rendered.is_null()) {
    return permanentFailure(ErrorCode::kFailedPrecondition,
                            "no aws settings known for " + service + " in " + env +
                                (region.empty() ? "" : "/" + region) + " (deploy it there first)",
                            "env");
  }
  return aws::AwsEnvironment::fromRendered(rendered);
}

std::vector<std::string> ProviderSet::awsRegions(const std::optional<std::string>& env) {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  for (auto& [k, v] : environments_) {
    if (v.provider != "aws" || (env && v.env != *env)) continue;
    const json renders = regionRenders(v.settings);  // outlives the loop (items() refers to it)
    for (auto& [region, rendered] : renders.items()) {
      for (const auto& r : regionsOf(rendered)) out.insert(r);
    }
  }
  return {out.begin(), out.end()};
}

Status ProviderSet::createFleet(const FleetSpec& spec) {
  if (auto c = canAct(spec.service, spec.env); !c) return c;
  std::string p = providerOf(spec.service, spec.env);
  // Recorded before the side effect, so a crash in between still routes
  // status and retirement to the right provider and region.
  if (auto r = recordFleet(spec, p); !r) return r;
  return p == "aws" ? awsFleets_->createFleet(spec) : localFleets_.createFleet(spec);
}

Result<FleetStatus> ProviderSet::fleetStatus(const std::string& fleetId) {
  if (auto c = canActOnFleet(fleetId); !c) return std::unexpected(c.error());
  std::string p = fleetProvider(fleetId);
  if (p == "aws") return awsFleets_->fleetStatus(fleetId);
  auto local = localFleets_.fleetStatus(fleetId);
  if (p.empty() && local && !local->exists && anyAws()) return awsFleets_->fleetStatus(fleetId);
  return local;
}

Status ProviderSet::retireFleet(const std::string& fleetId, std::chrono::milliseconds drain) {
  if (auto c = canActOnFleet(fleetId); !c) return c;
  std::string p = fleetProvider(fleetId);
  auto retireAws = [&] {
    auto r = awsFleets_->retireFleet(fleetId, drain);
    awsTraffic_->forgetAnswers();  // the service's rule changed: read it again
    return r;
  };
  if (p == "aws") return retireAws();
  auto s = localFleets_.retireFleet(fleetId, drain);
  if (s && p.empty() && anyAws()) return retireAws();
  return s;
}

Status ProviderSet::holdScaling(const std::string& fleetId, bool hold) {
  if (auto c = canActOnFleet(fleetId); !c) return c;
  if (fleetProvider(fleetId) == "aws") return awsFleets_->holdScaling(fleetId, hold);
  return localFleets_.holdScaling(fleetId, hold);
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

Result<bool> ProviderSet::drainRegion(const EntrypointKey& key, bool drain) {
  if (auto c = canAct(key.service, key.env); !c) return std::unexpected(c.error());
  if (providerOf(key.service, key.env) == "aws") return awsTraffic_->drainRegion(key, drain);
  return localTraffic_.drainRegion(key, drain);
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
