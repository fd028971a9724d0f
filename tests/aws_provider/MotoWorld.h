// MotoWorld.h — shared setup of the AWS provider tests: moto's endpoint
// (from the suite's fixture), a reset, clients for it, the default VPC's
// subnets in two Availability Zones, an AMI moto knows, and a fixed
// AwsEnvironmentSource for service "web" in environment "prod".
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "providers/aws/AwsEnvironment.h"
#include "providers/aws/AwsHttpClient.h"
#include "providers/aws/AwsRegionClients.h"
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
  Result<AwsEnvironment> awsEnvironment(const std::string& service, const std::string& env) override {
    auto it = byEnv.find(env);
    if (it == byEnv.end()) return failedPrecondition("no aws environment " + env, "env");
    auto e = it->second;
    e.service = service;
    return e;
  }
  std::vector<std::string> awsRegions() override { return {"us-east-1"}; }
};

inline std::shared_ptr<CredentialsProvider> testCredentials() {
  return std::make_shared<StaticCredentialsProvider>(AwsCredentials{"testing", "testing", "", {}, "test"});
}

class MotoWorld : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GT(motoPort(), 0) << "moto fixture did not start (RAMP_MOTO_STATE)";
    HttpRequest r{"POST", motoUrl() + "/moto-api/reset", {}, "", Millis(10000), Millis(2000)};
    auto resp = AwsHttpClient::shared().send(r);
    ASSERT_TRUE(resp && resp->status == 200);
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
    e.loadBalancer = "ramp-web-prod";
    e.listenerPort = 80;
    envs.byEnv["prod"] = e;
  }
  virtual std::string endpoint() { return motoUrl(); }

  RateBudget budget{SystemClock::instance(), ThreadSleeper::instance()};
  std::unique_ptr<AwsRegionClients> clients;
  FixedEnvironments envs;
};

}  // namespace ramp::providers::aws::test
