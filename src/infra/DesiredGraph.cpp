#include "infra/DesiredGraph.h"

#include <algorithm>
#include <set>

#include "config/AwsResourceNames.h"
#include "router/EntrypointSettings.h"

namespace ramp::infra {

using nlohmann::json;

namespace {


Resource make(const config::Config& cfg, const std::string& env, const std::string& type,
              const std::string& localName, const std::string& region, std::string providerName, json attributes,
              std::vector<std::string> dependsOn = {}, std::vector<std::string> forceNew = {}) {
  Resource r;
  r.address = addressOf(type, localName, region);
  r.type = type;
  r.name = std::move(providerName);
  r.region = region;
  r.attributes = std::move(attributes);
  std::sort(dependsOn.begin(), dependsOn.end());
  r.dependsOn = std::move(dependsOn);
  std::sort(forceNew.begin(), forceNew.end());
  r.forceNew = std::move(forceNew);
  r.tags = infraTags(cfg.project, env, region, r.address);
  return r;
}

struct Metric {
  const char* name;
  const char* statistic;  // or extended statistic (p99)
  const char* divideBy;   // "" = none
};

Metric metricOf(const std::string& kind) {
  if (kind == "target_5xx_rate") return {"HTTPCode_Target_5XX_Count", "Sum", "RequestCount"};
  if (kind == "elb_5xx_count") return {"HTTPCode_ELB_5XX_Count", "Sum", ""};
  if (kind == "latency_p99") return {"TargetResponseTime", "p99", ""};
  return {"UnHealthyHostCount", "Maximum", ""};  // unhealthy_hosts
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

json infraTags(const std::string& project, const std::string& env, const std::string& region,
               const std::string& address) {
  return json{{"ramp:project", project},
              {"ramp:env", env},
              {"ramp:region", region.empty() ? "global" : region},
              {"ramp:address", address},
              {"ramp:managed-by", "infra"}};
}

Resource recordedResource(const std::string& project, const std::string& env, const ResourceState& rs) {
  Resource r;
  static_cast<ResourceIdentity&>(r) = rs;
  r.attributes = rs.attributes;
  r.tags = infraTags(project, env, rs.region, rs.address);
  return r;
}

std::string addressOf(const std::string& type, const std::string& name, const std::string& region) {
  return region.empty() ? type + "." + name : type + "." + name + "[" + region + "]";
}

namespace {

// The router's whole limits object for an environment's router settings.
json routerLimits(const config::RouterSettings& rs) {
  router::EntrypointLimits l;
  auto set = [&](const char* key, Millis router::EntrypointLimits::*field) {
    if (auto it = rs.timeouts.find(key); it != rs.timeouts.end()) l.*field = Millis(it->second.count());
  };
  set("head", &router::EntrypointLimits::headTimeout);
  set("idle", &router::EntrypointLimits::idleTimeout);
  set("client", &router::EntrypointLimits::clientTimeout);
  set("request", &router::EntrypointLimits::requestTimeout);
  set("response", &router::EntrypointLimits::responseTimeout);
  set("connect", &router::EntrypointLimits::connectTimeout);
  set("tunnel_idle", &router::EntrypointLimits::tunnelIdleTimeout);
  set("upgrade_drain", &router::EntrypointLimits::upgradeDrainTimeout);
  if (rs.maxConnections) l.maxConnections = static_cast<uint64_t>(*rs.maxConnections);
  if (rs.maxRequestBody) l.maxRequestBody = static_cast<uint64_t>(*rs.maxRequestBody);
  return router::EntrypointSettings::limitsToJson(l);
}

}  // namespace

Result<std::vector<Resource>> desiredResources(const config::Config& cfg, const std::string& envName,
                                               const std::vector<std::string>& regionsIn) {
  const config::Environment* env = cfg.environment(envName);
  if (!env) {
    return invalid("unknown environment '" + envName + "'; environments are " + join(cfg.environmentNames()),
                   "--env");
  }
  std::vector<std::string> regions = regionsIn.empty() ? env->regions : regionsIn;
  for (const auto& r : regions) {
    if (std::find(env->regions.begin(), env->regions.end(), r) == env->regions.end()) {
      return invalid("region '" + r + "' is not one of environment " + envName + "'s regions (" +
                         join(env->regions) + ")",
                     "--region");
    }
  }
  std::vector<std::string> services = cfg.serviceNames();
  std::vector<Resource> out;

  if (env->provider != "aws") {
    for (const auto& region : regions) {
      for (const auto& svc : services) {
        // No router.port: any free port, chosen when the router starts; not
        // a managed attribute (a refresh would otherwise see a change).
        json attrs{{"service", svc}, {"protocol", env->router.certificates.empty() ? "http" : "https"}};
        if (env->router.port) attrs["port"] = *env->router.port;
        // Timeouts, limits and TLS are managed only when the config sets
        // them (then the whole limits object, defaults filled in, as the
        // router reports it); TLS files stay unresolved (${secret:NAME}).
        const auto& rs = env->router;
        if (!rs.timeouts.empty() || rs.maxConnections || rs.maxRequestBody) attrs["limits"] = routerLimits(rs);
        if (!rs.certificates.empty()) {
          json certs = json::array();
          for (const auto& c : rs.certificates) certs.push_back({{"cert_file", c.cert}, {"key_file", c.key}});
          attrs["tls"] = {{"certificates", certs}};
        }
        out.push_back(make(cfg, envName, "local_listener", svc, region, svc + "-" + envName, std::move(attrs), {},
                           {"port"}));
      }
    }
  } else {
    if (!env->aws) return invalid("an aws environment needs an aws block", "environments." + envName + ".aws");
    const config::AwsSettings& aws = *env->aws;
    auto priorities = config::serviceRulePriorities(services);
    std::string topicName =
        aws.notifyTopic.empty() ? "ramp-" + cfg.project + "-" + envName + "-alerts" : aws.notifyTopic;
    std::string recordSuffix = config::dnsSuffix(aws, envName);

    for (const auto& region : regions) {
      const config::AwsRegionSettings* rs = nullptr;
      if (auto it = aws.regionSettings.find(region); it != aws.regionSettings.end()) rs = &it->second;
      auto subnets = rs && !rs->subnets.empty() ? rs->subnets : aws.subnets;
      auto groups = rs && !rs->securityGroups.empty() ? rs->securityGroups : aws.securityGroups;
      std::string vpc = rs && !rs->vpc.empty() ? rs->vpc : aws.vpc;
      std::string cert = rs && !rs->certificate.empty() ? rs->certificate : aws.certificate;
      std::string lbAddr = config::loadBalancerAddress(region);
      std::string name = config::loadBalancerName(cfg.project, envName, region, aws.loadBalancer);

      // The VPC is implied by the subnets, security groups default to the
      // VPC's: each is managed (and compared) only when the config names it.
      json lbAttrs{{"name", name},
                   {"type", "application"},
                   {"scheme", "internet-facing"},
                   {"ip_address_type", "ipv4"},
                   {"subnets", subnets}};
      if (!vpc.empty()) lbAttrs["vpc"] = vpc;
      if (!groups.empty()) lbAttrs["security_groups"] = groups;  // none: AWS assigns the VPC's default
      out.push_back(make(cfg, envName, "aws_lb", "main", region, name, std::move(lbAttrs), {},
                         {"name", "scheme", "type", "vpc"}));

      // The HTTP listener on the config's port; with a certificate it only redirects to HTTPS.
      auto httpListener = [&](const std::string& defaultAction) {
        return make(cfg, envName, "aws_lb_listener", "http", region, name + ":" + std::to_string(aws.listenerPort),
                    json{{"load_balancer", lbAddr},
                         {"port", aws.listenerPort},
                         {"protocol", "HTTP"},
                         {"default_action", defaultAction}},
                    {lbAddr}, {"load_balancer", "port", "protocol"});
      };
      std::string ruleListener;
      if (!cert.empty()) {
        std::string https = addressOf("aws_lb_listener", "https", region);
        out.push_back(make(cfg, envName, "aws_lb_listener", "https", region, name + ":443",
                           json{{"load_balancer", lbAddr},
                                {"port", 443},
                                {"protocol", "HTTPS"},
                                {"certificate_arn", cert},
                                {"ssl_policy", "ELBSecurityPolicy-TLS13-1-2-2021-06"},
                                {"default_action", "fixed-response:404"}},
                           {lbAddr}, {"load_balancer", "port", "protocol"}));
        out.push_back(httpListener("redirect:HTTPS:443"));
        ruleListener = https;
      } else {
        ruleListener = addressOf("aws_lb_listener", "http", region);
        out.push_back(httpListener("fixed-response:404"));
      }

      for (const auto& svc : services) {
        json condition = recordSuffix.empty()
                             ? json{{"path_pattern", json::array({"/" + svc, "/" + svc + "/*"})}}
                             : json{{"host_header", json::array({svc + "." + recordSuffix})}};
        out.push_back(make(cfg, envName, "aws_lb_listener_rule", svc, region, name + "/" + svc,
                           json{{"listener", ruleListener},
                                {"priority", priorities[svc]},
                                {"condition", condition},
                                {"service", svc}},
                           {ruleListener}, {"listener"}));
      }

      std::string topicAddr = addressOf("aws_sns_topic", "alerts", region);
      out.push_back(make(cfg, envName, "aws_sns_topic", "alerts", region, topicName, json{{"name", topicName}}, {},
                         {"name"}));

      // Per service: the alarms are the service's rollback triggers; the ones
      // on a target-group metric watch the service's newest fleet (its
      // target group is set by deployments, like the rule's forward action).
      for (const auto& svc : services) {
        for (const auto& def : aws.alarmDefinitions) {
          Metric m = metricOf(def.metric);
          std::string alarmName = config::serviceAlarmName(cfg.project, envName, svc, def.name);
          bool extended = std::string(m.statistic).starts_with("p");
          out.push_back(make(cfg, envName, "aws_cloudwatch_alarm", svc + "/" + def.name, region, alarmName,
                             json{{"name", alarmName},
                                  {"metric", def.metric},
                                  {"namespace", "AWS/ApplicationELB"},
                                  {"metric_name", m.name},
                                  {"statistic", extended ? json(nullptr) : json(m.statistic)},
                                  {"extended_statistic", extended ? json(m.statistic) : json(nullptr)},
                                  {"divide_by", *m.divideBy ? json(m.divideBy) : json(nullptr)},
                                  {"comparison", "GreaterThanThreshold"},
                                  {"threshold", def.threshold},
                                  {"period", def.period.count() / 1000},
                                  {"evaluation_periods", def.evaluationPeriods},
                                  {"load_balancer", lbAddr},
                                  {"alarm_actions", json::array({topicAddr})}},
                             {lbAddr, topicAddr}, {"name"}));
        }
      }
    }

    std::string profile = aws.instanceProfile.empty() ? "ramp-" + cfg.project + "-" + envName : aws.instanceProfile;
    out.push_back(make(cfg, envName, "aws_iam_instance_profile", "main", "", profile,
                       json{{"name", profile}, {"path", "/"}}, {}, {"name", "path"}));

    if (aws.dns) {
      // The record sets span every region of the environment (a plan for one
      // region still keeps the others' sets), sorted by region.
      std::vector<std::string> all = env->regions;
      std::sort(all.begin(), all.end());
      std::vector<std::string> lbs;
      for (const auto& r : all) lbs.push_back(addressOf("aws_lb", "main", r));
      for (const auto& svc : services) {
        json sets = json::array();
        for (const auto& r : all) {
          json set{{"set_identifier", r}, {"target", addressOf("aws_lb", "main", r)}};
          if (aws.dns->routing == "weighted") set["weight"] = 1;
          else set["region"] = r;
          sets.push_back(std::move(set));
        }
        std::string recordName = svc + "." + recordSuffix;
        bool alias = !aws.dns->ttl.has_value();
        out.push_back(make(cfg, envName, "aws_route53_record", svc, "", recordName,
                           json{{"zone", aws.dns->zone},
                                {"name", recordName},
                                {"type", alias ? "A" : "CNAME"},
                                {"alias", alias},
                                {"ttl", alias ? json(nullptr) : json(*aws.dns->ttl)},
                                {"routing", aws.dns->routing},
                                {"sets", std::move(sets)}},
                           lbs, {"name", "type", "zone"}));
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Resource& a, const Resource& b) { return a.address < b.address; });
  return out;
}

}  // namespace ramp::infra
