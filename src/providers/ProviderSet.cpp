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

Status writeJson(const std::filesystem::path& p, const json& j) {
  auto tmp = p;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2) << "\n";
    if (!out) return internal("cannot write " + tmp.string(), p.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, p, ec);
  if (ec) return internal("cannot rename " + tmp.string() + ": " + ec.message(), p.string());
  return ok();
}

}  // namespace

ProviderSet::ProviderSet(std::filesystem::path home, FleetProvider& localFleets, TrafficProvider& localTraffic,
                         MetricsProvider& localMetrics, Clock& clock, std::unique_ptr<aws::AwsRegionClients> clients)
    : dir_(std::move(home) / "providers"),
      localFleets_(localFleets),
      localTraffic_(localTraffic),
      localMetrics_(localMetrics),
      clients_(clients ? std::move(clients) : productionClients()) {
  awsFleets_ = std::make_unique<aws::AwsFleetProvider>(*clients_, *this);
  awsTraffic_ = std::make_unique<aws::AwsTrafficProvider>(*clients_, *this);
  awsMetrics_ = std::make_unique<aws::AwsMetricsProvider>(*clients_, *this, clock);
  load();
}

void ProviderSet::load() {
  std::lock_guard lock(mu_);
  if (auto e = readJson(dir_ / "environments.json")) {
    environments_ = *e;
    for (auto& [k, v] : environments_.items()) {
      auto slash = k.rfind('/');
      if (slash != std::string::npos && v.is_object()) envProvider_[k.substr(slash + 1)] = v.value("provider", "local");
    }
  }
  if (auto f = readJson(dir_ / "fleets.json")) {
    for (auto& [k, v] : f->items()) {
      if (v.is_string()) fleets_[k] = v.get<std::string>();
    }
  }
}

Status ProviderSet::save() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return internal("cannot create " + dir_.string() + ": " + ec.message(), dir_.string());
  if (auto s = writeJson(dir_ / "environments.json", environments_); !s) return s;
  return writeJson(dir_ / "fleets.json", json(fleets_));
}

Status ProviderSet::learn(const std::string& service, const std::string& env, const json& rendered) {
  std::string provider = "local";
  if (rendered.is_object() && rendered.contains("environment") && rendered["environment"].is_object()) {
    provider = rendered["environment"].value("provider", "local");
  }
  if (provider != "local" && provider != "aws") {
    return invalid("unknown provider '" + provider + "'", "rendered.environment.provider");
  }
  json entry = {{"provider", provider}};
  if (provider == "aws") {
    auto e = aws::AwsEnvironment::fromRendered(rendered);
    if (!e) {
      auto err = e.error();
      err.where = "rendered." + err.where;
      return std::unexpected(err);
    }
    entry["rendered"] = rendered;
  }
  std::lock_guard lock(mu_);
  if (provider == "aws") {
    // Every region's network, as each region's rendered config is learned
    // (a deployment across regions learns each of them).
    json networks = environments_.value(keyOf(service, env), json::object()).value("networks", json::object());
    const json& aws = rendered["environment"].value("aws", json::object());
    std::string region = rendered.value("region", "");
    if (!region.empty()) {
      networks[region] = {{"vpc", aws.value("vpc", json(nullptr))},
                          {"subnets", aws.value("subnets", json::array())},
                          {"security_groups", aws.value("security_groups", json::array())}};
    }
    entry["networks"] = networks;
  }
  if (environments_.value(keyOf(service, env), json()) == entry) return ok();
  environments_[keyOf(service, env)] = entry;
  envProvider_[env] = provider;
  return save();
}

std::string ProviderSet::providerOf(const std::string& service, const std::string& env) {
  std::lock_guard lock(mu_);
  auto k = keyOf(service, env);
  if (environments_.contains(k)) return environments_[k].value("provider", "local");
  auto it = envProvider_.find(env);
  return it == envProvider_.end() ? "local" : it->second;
}

bool ProviderSet::anyAws() {
  std::lock_guard lock(mu_);
  for (auto& [env, p] : envProvider_) {
    if (p == "aws") return true;
  }
  return false;
}

Status ProviderSet::recordFleet(const std::string& fleetId, const std::string& provider) {
  std::lock_guard lock(mu_);
  if (auto it = fleets_.find(fleetId); it != fleets_.end() && it->second == provider) return ok();
  fleets_[fleetId] = provider;
  return save();
}

Result<aws::AwsEnvironment> ProviderSet::awsEnvironment(const std::string& service, const std::string& env) {
  json rendered;
  json networks = json::object();
  {
    std::lock_guard lock(mu_);
    auto k = keyOf(service, env);
    if (environments_.contains(k)) networks = environments_[k].value("networks", json::object());
    if (!environments_.contains(k) || !environments_[k].contains("rendered")) {
      // Another service of the same aws environment shares its settings.
      for (auto& [key, v] : environments_.items()) {
        if (key.ends_with("/" + env) && v.contains("rendered")) rendered = v["rendered"];
      }
      if (rendered.is_null()) {
        return failedPrecondition("no aws settings known for " + service + " in " + env + " (deploy it first)", "env");
      }
    } else {
      rendered = environments_[k]["rendered"];
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
  for (auto& [k, v] : environments_.items()) {
    if (v.value("provider", "") != "aws" || !v.contains("rendered")) continue;
    const auto& r = v["rendered"];
    if (r.contains("environment") && r["environment"].contains("regions") && r["environment"]["regions"].is_array()) {
      for (auto& reg : r["environment"]["regions"]) {
        if (reg.is_string()) out.insert(reg.get<std::string>());
      }
    }
  }
  return {out.begin(), out.end()};
}

Status ProviderSet::createFleet(const FleetSpec& spec) {
  std::string p = providerOf(spec.service, spec.env);
  // Recorded before the side effect, so a crash in between still routes
  // status and retirement to the right provider.
  if (auto r = recordFleet(spec.fleetId, p); !r) return r;
  return p == "aws" ? awsFleets_->createFleet(spec) : localFleets_.createFleet(spec);
}

Result<FleetStatus> ProviderSet::fleetStatus(const std::string& fleetId) {
  std::string p;
  {
    std::lock_guard lock(mu_);
    if (auto it = fleets_.find(fleetId); it != fleets_.end()) p = it->second;
  }
  if (p == "aws") return awsFleets_->fleetStatus(fleetId);
  auto local = localFleets_.fleetStatus(fleetId);
  if (p.empty() && local && !local->exists && anyAws()) return awsFleets_->fleetStatus(fleetId);
  return local;
}

Status ProviderSet::retireFleet(const std::string& fleetId, std::chrono::milliseconds drain) {
  std::string p;
  {
    std::lock_guard lock(mu_);
    if (auto it = fleets_.find(fleetId); it != fleets_.end()) p = it->second;
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
  if (providerOf(key.service, key.env) == "aws") return awsTraffic_->ensureEntrypoint(key);
  return localTraffic_.ensureEntrypoint(key);
}

Status ProviderSet::setTraffic(const TrafficSplit& split) {
  if (providerOf(split.key.service, split.key.env) == "aws") return awsTraffic_->setTraffic(split);
  return localTraffic_.setTraffic(split);
}

Result<TrafficSplit> ProviderSet::appliedTraffic(const EntrypointKey& key) {
  if (providerOf(key.service, key.env) == "aws") return awsTraffic_->appliedTraffic(key);
  return localTraffic_.appliedTraffic(key);
}

Result<int64_t> ProviderSet::inflight(const EntrypointKey& key, const std::string& fleetId) {
  if (providerOf(key.service, key.env) == "aws") return awsTraffic_->inflight(key, fleetId);
  return localTraffic_.inflight(key, fleetId);
}

Status ProviderSet::renewLease(const EntrypointKey& key, int64_t epoch) {
  if (providerOf(key.service, key.env) == "aws") return awsTraffic_->renewLease(key, epoch);
  return localTraffic_.renewLease(key, epoch);
}

Result<FleetMetrics> ProviderSet::fleetMetrics(const EntrypointKey& key, const std::string& fleetId) {
  if (providerOf(key.service, key.env) == "aws") return awsMetrics_->fleetMetrics(key, fleetId);
  return localMetrics_.fleetMetrics(key, fleetId);
}

Result<std::vector<std::string>> ProviderSet::alarmsInAlarm(const EntrypointKey& key,
                                                            const std::vector<std::string>& names) {
  if (providerOf(key.service, key.env) == "aws") return awsMetrics_->alarmsInAlarm(key, names);
  return std::vector<std::string>{};
}

}  // namespace ramp::providers
