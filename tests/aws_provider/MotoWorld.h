// MotoWorld.h — shared setup of the AWS provider tests: moto's endpoint
// (from the suite's fixture), a reset with signature checking on and an IAM
// key to sign with (../aws/MotoAuth.h), clients for it, the default VPC's
// subnets in two Availability Zones, an AMI moto knows, and a fixed
// AwsEnvironmentSource for service "web" in environment "prod".
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "../aws/MotoAuth.h"
#include "providers/aws/AwsEnvironment.h"
#include "providers/aws/AwsHttpClient.h"
#include "providers/aws/AwsRegionClients.h"
#include "providers/aws/ElbV2Api.h"
#include "providers/aws/StaticCredentialsProvider.h"
#include "providers/aws/ThreadSleeper.h"

namespace ramp::providers::aws::test {

inline int motoPort() {
  const char* dir = std::getenv("RAMP_MOTO_STATE");
  std::ifstream in(std::string(dir ? dir : ".") + "/moto.port");
  int port = 0;
  in >> port;
  return port;
}

inline std::string motoUrl() { return "http://127.0.0.1:" + std::to_string(motoPort()); }

class FixedEnvironments : public AwsEnvironmentSource {
 public:
  std::map<std::string, AwsEnvironment> byEnv;
  Result<AwsEnvironment> awsEnvironment(const std::string& service, const std::string& env,
                                        const std::string& region) override {
    auto it = byEnv.find(env);
    if (it == byEnv.end()) return failedPrecondition("no aws environment " + env, "env");
    if (!region.empty() && region != it->second.region) return failedPrecondition("no region " + region, "region");
    auto e = it->second;
    e.service = service;
    return e;
  }
  std::vector<std::string> awsRegions(const std::optional<std::string>&) override { return {"us-east-1"}; }
  std::optional<std::string> fleetRegion(const std::string&) override { return std::nullopt; }
};

// The IAM key moto checks signatures against (set by the last reset).
inline std::shared_ptr<CredentialsProvider> testCredentials() {
  return std::make_shared<StaticCredentialsProvider>(motoKeys());
}

class MotoWorld : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GT(motoPort(), 0) << "moto fixture did not start (RAMP_MOTO_STATE)";
    auto keys = motoResetWithKeys(motoUrl());
    ASSERT_TRUE(keys) << keys.error().describe();
    AwsClientOptions o;
    o.region = "us-east-1";
    o.endpointOverride = endpoint();
    o.retry.base = Millis(5);
    o.account = "moto-" + std::to_string(reinterpret_cast<uintptr_t>(this));
    clients = std::make_unique<AwsRegionClients>(o, testCredentials(), AwsHttpClient::shared(),
                                                 SystemClock::instance(), ThreadSleeper::instance(), budget);
    AwsClient& c = clients->forRegion("us-east-1");
    auto subnets = c.query("ec2", "DescribeSubnets", {});
    ASSERT_TRUE(subnets) << subnets.error().describe();
    AwsEnvironment e;
    e.project = "shop";
    e.env = "prod";
    e.regions = {"us-east-1"};
    std::set<std::string> zones;
    for (auto& item : subnets->root().child("subnetSet").children("item")) {
      if (e.vpcId.empty()) e.vpcId = item.get("vpcId");
      if (item.get("vpcId") != e.vpcId || zones.contains(item.get("availabilityZone"))) continue;
      zones.insert(item.get("availabilityZone"));
      if (e.subnets.size() < 2) e.subnets.push_back(item.get("subnetId"));
    }
    ASSERT_EQ(e.subnets.size(), 2u);
    auto images = c.query("ec2", "DescribeImages", {{"Owner.1", "amazon"}});
    ASSERT_TRUE(images) << images.error().describe();
    e.image = images->root().find("imageId").text();
    ASSERT_FALSE(e.image.empty());
    e.instanceType = "t3.micro";
    e.region = "us-east-1";
    e.service = "web";
    e.loadBalancer = "ramp-shop-prod-use1";
    e.listenerPort = 80;
    e.rule.port = 80;
    e.rule.priority = 4000;
    e.rule.paths = {"/web", "/web/*"};
    envs.byEnv["prod"] = e;
  }

  // What `ramp apply` makes for service web in prod/us-east-1 (the load
  // balancer, its HTTP listener answering 404, web's rule answering 503
  // until a deployment points it at fleets), tagged as infrastructure as
  // code tags it; the AWS providers ride on it.
  void applyInfrastructure() {
    const auto& e = envs.byEnv["prod"];
    ElbV2Api elb(clients->forRegion("us-east-1"));
    auto tags = [](const std::string& address) {
      return ElbTags{{"ramp:project", "shop"}, {"ramp:env", "prod"}, {"ramp:region", "us-east-1"},
                     {"ramp:address", address}, {"ramp:managed-by", "infra"}};
    };
    auto lb = elb.createLoadBalancer({e.loadBalancer, e.subnets, {}, "internet-facing", "application"},
                                     tags("aws_lb.main[us-east-1]"));
    ASSERT_TRUE(lb) << lb.error().describe();
    ListenerSpec ls;
    ls.port = e.rule.port;
    ls.defaultAction = ElbAction::fixedResponse("404");
    ls.tags = tags("aws_lb_listener.http[us-east-1]");
    auto l = elb.createListener(lb->arn, ls);
    ASSERT_TRUE(l) << l.error().describe();
    RuleConditions when;
    when.paths = e.rule.paths;
    auto r = elb.createRule(l->arn, e.rule.priority, when, ElbAction::fixedResponse("503"),
                            tags("aws_lb_listener_rule.web[us-east-1]"));
    ASSERT_TRUE(r) << r.error().describe();
    loadBalancerArn = lb->arn;
    listenerArn = l->arn;
    ruleArn = r->arn;
  }
  std::string loadBalancerArn, listenerArn, ruleArn;
  virtual std::string endpoint() { return motoUrl(); }

  RateBudget budget{SystemClock::instance(), ThreadSleeper::instance()};
  std::unique_ptr<AwsRegionClients> clients;
  FixedEnvironments envs;
};

}  // namespace ramp::providers::aws::test
