// Autoscaled fleets against moto: MinSize/MaxSize from the scaling block,
// DesiredCapacity = the spec's starting capacity, one target-tracking policy
// (CPU or ALB requests per target with the load balancer/target group
// resource label), converging retries, and holdScaling suspending and
// resuming Launch/Terminate/AlarmNotification/AZRebalance.
#include <gtest/gtest.h>

#include <algorithm>

#include "MotoWorld.h"
#include "providers/aws/AutoScalingApi.h"
#include "providers/aws/AwsFleetProvider.h"
#include "providers/aws/AwsTrafficProvider.h"

using namespace ramp;
using namespace ramp::providers;
using namespace ramp::providers::aws;
using ramp::providers::aws::test::MotoWorld;

namespace {

FleetSpec scaled(const std::string& id, int n, const std::string& metric, double target) {
  FleetSpec s;
  s.fleetId = id;
  s.service = "web";
  s.env = "prod";
  s.region = "us-east-1";
  s.releaseVersion = "1.0.0";
  s.releaseDigest = "sha256:" + std::string(64, 'a');
  s.instances = n;
  s.run.command = "bin/web";
  s.scaling = ScalingSpec{1, 5, metric, target};
  return s;
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

class AwsScaling : public MotoWorld {
 protected:
  AwsClient& client() { return clients->forRegion("us-east-1"); }
  AutoScalingGroup group(const FleetSpec& s) {
    auto g = AutoScalingApi(client()).describeAutoScalingGroups({AwsFleetProvider::resourceName(s.service, s.env, s.fleetId)});
    EXPECT_TRUE(g && g->size() == 1);
    return g && !g->empty() ? g->front() : AutoScalingGroup{};
  }
  std::vector<ScalingPolicy> policies(const FleetSpec& s) {
    auto p = AutoScalingApi(client()).describePolicies(AwsFleetProvider::resourceName(s.service, s.env, s.fleetId));
    EXPECT_TRUE(p) << p.error().describe();
    return p ? *p : std::vector<ScalingPolicy>{};
  }
};

}  // namespace

TEST_F(AwsScaling, CpuTargetTrackingPolicyWithMinMaxAndStartingCapacity) {
  AwsFleetProvider fleets(*clients, envs, SystemClock::instance());
  auto s = scaled("web-prod-1.0.0-scale1", 3, "cpu", 55);
  auto c = fleets.createFleet(s);
  ASSERT_TRUE(c) << c.error().describe();
  auto g = group(s);
  EXPECT_EQ(g.minSize, 1);
  EXPECT_EQ(g.maxSize, 5);
  EXPECT_EQ(g.desired, 3);
  EXPECT_EQ(g.tags["ramp:scaling"], "cpu");
  EXPECT_FALSE(has(g.suspendedProcesses, "AlarmNotification")) << "the policy works through alarms";
  auto p = policies(s);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].name, AwsFleetProvider::policyName(g.name));
  EXPECT_EQ(p[0].type, "TargetTrackingScaling");
  EXPECT_EQ(p[0].predefinedMetric, "ASGAverageCPUUtilization");
  EXPECT_DOUBLE_EQ(p[0].targetValue, 55);

  // The policy scaled the group out; a converging retry keeps that capacity
  // and still has exactly one policy.
  ASSERT_TRUE(AutoScalingApi(client()).updateAutoScalingGroup(g.name, 1, 5, 4));
  ASSERT_TRUE(fleets.createFleet(s));
  EXPECT_EQ(group(s).desired, 4);
  EXPECT_EQ(policies(s).size(), 1u);
  auto st = fleets.fleetStatus(s.fleetId);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->desired, 4);
}

TEST_F(AwsScaling, RequestsPerTargetNeedsTheLoadBalancerAndCarriesItsResourceLabel) {
  AwsFleetProvider fleets(*clients, envs, SystemClock::instance());
  auto s = scaled("web-prod-1.0.0-scale2", 2, "requests", 120);
  auto early = fleets.createFleet(s);
  ASSERT_FALSE(early) << "no load balancer yet";
  EXPECT_EQ(early.error().where, "service.scaling.target_requests_per_instance");
  EXPECT_NE(early.error().message.find("ramp apply --env prod"), std::string::npos) << early.error().message;
  EXPECT_TRUE(early.error().permanent);

  applyInfrastructure();  // the environment's load balancer, as `ramp apply` makes it
  auto c = fleets.createFleet(s);
  ASSERT_TRUE(c) << c.error().describe();
  auto p = policies(s);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].predefinedMetric, "ALBRequestCountPerTarget");
  EXPECT_DOUBLE_EQ(p[0].targetValue, 120);
  EXPECT_TRUE(p[0].resourceLabel.starts_with("app/ramp-shop-prod-use1/")) << p[0].resourceLabel;
  EXPECT_NE(p[0].resourceLabel.find("/targetgroup/" + group(s).name + "/"), std::string::npos) << p[0].resourceLabel;
}

TEST_F(AwsScaling, BadScalingSpecIsRefusedNamingTheField) {
  AwsFleetProvider fleets(*clients, envs, SystemClock::instance());
  auto s = scaled("web-prod-1.0.0-scale3", 7, "cpu", 50);  // 7 > max 5
  auto r = fleets.createFleet(s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().where, "spec.scaling");
  s.instances = 2;
  s.scaling->metric = "memory";
  r = fleets.createFleet(s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().where, "spec.scaling.metric");
}

TEST_F(AwsScaling, HoldSuspendsLaunchTerminateAlarmsRebalanceAndReleaseResumesThem) {
  AwsFleetProvider fleets(*clients, envs, SystemClock::instance());
  auto s = scaled("web-prod-1.0.0-scale4", 2, "cpu", 60);
  ASSERT_TRUE(fleets.createFleet(s));
  const std::vector<std::string> held{"Launch", "Terminate", "AlarmNotification", "AZRebalance"};
  auto h = fleets.holdScaling(s.fleetId, true);
  ASSERT_TRUE(h) << h.error().describe();
  ASSERT_TRUE(fleets.holdScaling(s.fleetId, true)) << "idempotent";
  auto g = group(s);
  for (auto& p : held) EXPECT_TRUE(has(g.suspendedProcesses, p)) << p << " not suspended during the switch";
  AwsFleetProvider restarted(*clients, envs, SystemClock::instance());  // a resumed controller releases what an earlier one held
  auto r = restarted.holdScaling(s.fleetId, false);
  ASSERT_TRUE(r) << r.error().describe();
  g = group(s);
  for (auto& p : held) EXPECT_FALSE(has(g.suspendedProcesses, p)) << p << " still suspended after release";
  EXPECT_TRUE(has(g.suspendedProcesses, "ScheduledActions"));

  // A fixed-size fleet keeps its alarms and rebalancing suspended after a release.
  auto fixed = scaled("web-prod-1.0.0-fixed5", 2, "cpu", 60);
  fixed.scaling.reset();
  ASSERT_TRUE(fleets.createFleet(fixed));
  ASSERT_TRUE(fleets.holdScaling(fixed.fleetId, true));
  ASSERT_TRUE(fleets.holdScaling(fixed.fleetId, false));
  g = group(fixed);
  EXPECT_FALSE(has(g.suspendedProcesses, "Launch"));
  EXPECT_TRUE(has(g.suspendedProcesses, "AlarmNotification"));
  EXPECT_TRUE(has(g.suspendedProcesses, "AZRebalance"));
  EXPECT_TRUE(policies(fixed).empty());

  EXPECT_TRUE(fleets.holdScaling("no-such-fleet", true)) << "unknown fleet is OK";
}
