#include "providers/aws/AwsEnvironment.h"

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

Result<int> port(const json& j, const char* k, int fallback, const std::string& where) {
  if (!j.is_object() || !j.contains(k) || j[k].is_null()) return fallback;
  if (!j[k].is_number_integer() || j[k].get<int>() < 1 || j[k].get<int>() > 65535) {
    return invalid("must be a port number 1..65535", where);
  }
  return j[k].get<int>();
}

}  // namespace

std::string AwsEnvironment::loadBalancerName() const {
  if (!loadBalancer.empty()) return loadBalancer;
  std::string n = "ramp-" + service + "-" + env;
  for (auto& c : n) {
    bool okChar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!okChar) c = '-';
  }
  n = n.substr(0, 32);
  while (!n.empty() && n.back() == '-') n.pop_back();
  return n;
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
  e.loadBalancer = str(aws, "load_balancer");
  auto lp = port(aws, "listener_port", 80, "environment.aws.listener_port");
  if (!lp) return std::unexpected(lp.error());
  e.listenerPort = *lp;
  auto ip = port(aws, "instance_port", 8080, "environment.aws.instance_port");
  if (!ip) return std::unexpected(ip.error());
  e.instancePort = *ip;
  e.bundleBucket = str(aws, "bundle_bucket");
  auto alarms = strings(aws, "alarms", "environment.aws.alarms");
  if (!alarms) return std::unexpected(alarms.error());
  e.alarms = *alarms;
  e.image = str(aws, "image");
  if (svc->contains("release") && (*svc)["release"].is_object()) {
    if (auto img = str((*svc)["release"], "image"); !img.empty()) e.image = img;
  }
  if (auto t = str(*svc, "instance_type"); !t.empty()) e.instanceType = t;
  if (e.image.empty()) {
    return invalid("an aws environment needs a machine image: release.image or environment.aws.image", "release.image");
  }
  if (auto region = str(r, "region"); !region.empty()) e.networks[region] = Network{e.vpcId, e.subnets, e.securityGroups};
  return e;
}

AwsEnvironment AwsEnvironment::inRegion(const std::string& region) const {
  AwsEnvironment out = *this;
  if (auto it = networks.find(region); it != networks.end()) {
    out.vpcId = it->second.vpcId;
    out.subnets = it->second.subnets;
    out.securityGroups = it->second.securityGroups;
  }
  return out;
}

}  // namespace ramp::providers::aws
