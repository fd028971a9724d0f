#include "providers/aws/AwsEnvironment.h"

#include <algorithm>

#include "config/AwsRegions.h"
#include "config/AwsResourceNames.h"

namespace ramp::providers::aws {

using nlohmann::json;

namespace {

std::string str(const json& j, const char* k) {
  return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
}

Result<std::vector<std::string>> strings(const json& j, const char* k, const std::string& where) {
  std::vector<std::string> out;
  if (!j.is_object() || !j.contains(k) || j[k].is_null()) return out;
  if (!j[k].is_array()) return invalid("must be a list of strings", where);
  for (size_t i = 0; i < j[k].size(); ++i) {
    if (!j[k][i].is_string()) return invalid("must be a string", where + "[" + std::to_string(i) + "]");
    out.push_back(j[k][i].get<std::string>());
  }
  return out;
}

Result<int> integer(const json& j, const char* k, int fallback, int lo, int hi, const std::string& where) {
  if (!j.is_object() || !j.contains(k) || j[k].is_null()) return fallback;
  if (!j[k].is_number_integer() || j[k].get<int>() < lo || j[k].get<int>() > hi) {
    return invalid("must be a number " + std::to_string(lo) + ".." + std::to_string(hi), where);
  }
  return j[k].get<int>();
}

}  // namespace

std::string AwsEnvironment::url(const std::string& loadBalancerDns) const {
  std::string scheme = rule.protocol == "HTTPS" ? "https" : "http";
  bool defaultPort = (scheme == "https" && rule.port == 443) || (scheme == "http" && rule.port == 80);
  std::string port = defaultPort ? "" : ":" + std::to_string(rule.port);
  if (!rule.host.empty()) return scheme + "://" + rule.host + port;
  return scheme + "://" + loadBalancerDns + port + "/" + service;
}

Result<AwsEnvironment> AwsEnvironment::fromRendered(const json& r) {
  if (!r.is_object()) return invalid("rendered service config must be a JSON object", "rendered");
  const json* svc = &r;
  if (r.contains("service") && r["service"].is_object()) svc = &r["service"];
  AwsEnvironment e;
  e.project = str(r, "project");
  e.service = r.contains("service") && r["service"].is_string() ? r["service"].get<std::string>() : str(*svc, "name");
  e.env = str(r, "env");
  const json env = r.contains("environment") ? r["environment"] : json::object();
  if (str(env, "provider") != "aws") {
    return failedPrecondition("environment '" + e.env + "' does not use the aws provider", "environment.provider");
  }
  auto regions = strings(env, "regions", "environment.regions");
  if (!regions) return std::unexpected(regions.error());
  e.regions = *regions;
  if (e.regions.empty()) return invalid("an aws environment names its regions", "environment.regions");
  for (size_t i = 0; i < e.regions.size(); ++i) {
    if (!config::isAwsRegion(e.regions[i])) {
      return permanentFailure(ErrorCode::kInvalid, config::unknownAwsRegion(e.regions[i]),
                              "environment.regions[" + std::to_string(i) + "]");
    }
  }
  e.region = str(r, "region");
  if (e.region.empty()) e.region = e.regions.front();
  if (std::find(e.regions.begin(), e.regions.end(), e.region) == e.regions.end()) {
    return invalid("region '" + e.region + "' is not one of the environment's regions", "region");
  }
  const json aws = env.contains("aws") && env["aws"].is_object() ? env["aws"] : json::object();
  e.vpcId = str(aws, "vpc");
  auto subnets = strings(aws, "subnets", "environment.aws.subnets");
  if (!subnets) return std::unexpected(subnets.error());
  e.subnets = *subnets;
  if (e.subnets.size() < 2) {
    return invalid("needs at least 2 subnets (in 2 Availability Zones)", "environment.aws.subnets");
  }
  auto sgs = strings(aws, "security_groups", "environment.aws.security_groups");
  if (!sgs) return std::unexpected(sgs.error());
  e.securityGroups = *sgs;
  e.loadBalancer = config::loadBalancerName(e.project, e.env, e.region, str(aws, "load_balancer"));
  auto lp = integer(aws, "listener_port", 80, 1, 65535, "environment.aws.listener_port");
  if (!lp) return std::unexpected(lp.error());
  e.listenerPort = *lp;
  auto ip = integer(aws, "instance_port", 8080, 1, 65535, "environment.aws.instance_port");
  if (!ip) return std::unexpected(ip.error());
  e.instancePort = *ip;
  e.bundleBucket = str(aws, "bundle_bucket");
  auto alarms = strings(aws, "alarms", "environment.aws.alarms");
  if (!alarms) return std::unexpected(alarms.error());
  e.alarms = *alarms;
  auto follow = strings(aws, "fleet_alarms", "environment.aws.fleet_alarms");
  if (!follow) return std::unexpected(follow.error());
  e.fleetAlarms = *follow;
  e.image = str(aws, "image");
  if (svc->contains("release") && (*svc)["release"].is_object()) {
    if (auto img = str((*svc)["release"], "image"); !img.empty()) e.image = img;
  }
  if (auto t = str(*svc, "instance_type"); !t.empty()) e.instanceType = t;
  if (e.image.empty()) {
    return invalid("an aws environment needs a machine image: release.image, environment.aws.image or "
                   "aws.region_settings.<region>.image",
                   "release.image");
  }
  if (!aws.contains("rule") || !aws["rule"].is_object()) {
    return invalid("no listener rule for the service (render the config with this version of ramp)",
                   "environment.aws.rule");
  }
  const json& rule = aws["rule"];
  auto port = integer(rule, "port", e.listenerPort, 1, 65535, "environment.aws.rule.port");
  if (!port) return std::unexpected(port.error());
  e.rule.port = *port;
  e.rule.protocol = str(rule, "protocol").empty() ? "HTTP" : str(rule, "protocol");
  auto priority = integer(rule, "priority", 0, 3, 50000, "environment.aws.rule.priority");
  if (!priority) return std::unexpected(priority.error());
  if (*priority == 0) return invalid("missing", "environment.aws.rule.priority");
  e.rule.priority = *priority;
  e.rule.host = str(rule, "host");
  auto paths = strings(rule, "paths", "environment.aws.rule.paths");
  if (!paths) return std::unexpected(paths.error());
  e.rule.paths = *paths;
  if (e.rule.host.empty() && e.rule.paths.empty()) {
    return invalid("the service's rule needs a host or paths", "environment.aws.rule");
  }
  if (aws.contains("dns") && aws["dns"].is_object()) {
    const json& d = aws["dns"];
    bool drain = d.contains("drain") && d["drain"].is_boolean() && d["drain"].get<bool>();
    e.dns = Dns{str(d, "zone"), str(d, "record"), str(d, "routing"), drain};
  }
  return e;
}

}  // namespace ramp::providers::aws
