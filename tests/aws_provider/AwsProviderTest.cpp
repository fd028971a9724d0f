// The AWS providers against moto: fleets (idempotent create, status, retire
// leaving nothing tagged), traffic (weights read back, pinning rules),
// metrics fed with PutMetricData, alarms set with SetAlarmState, and the
// errors bad settings get.
#include <gtest/gtest.h>

#include "MotoWorld.h"
#include "providers/aws/AlarmApi.h"
#include "providers/aws/AutoScalingApi.h"
#include "providers/aws/CloudWatchApi.h"
#include "providers/aws/Ec2Api.h"
#include "providers/aws/ElbV2Api.h"
#include "providers/aws/AwsFleetProvider.h"
#include "providers/aws/AwsMetricsProvider.h"
#include "providers/aws/AwsTrafficProvider.h"
#include "providers/aws/LaunchUserData.h"
#include "providers/aws/SnsApi.h"

using namespace ramp;
using namespace ramp::providers;
using namespace ramp::providers::aws;
using ramp::providers::aws::test::MotoWorld;

namespace {

FleetSpec spec(const std::string& id, const std::string& digest = "sha256:" + std::string(64, 'a'), int n = 2) {
  FleetSpec s;
  s.fleetId = id;
  s.service = "web";
  s.env = "prod";
  s.region = "us-east-1";
  s.releaseVersion = "1.0.0";
  s.releaseDigest = digest;
  s.instances = n;
  s.run.command = "bin/web";
  return s;
}

class AwsProviders : public MotoWorld {
 protected:
  AwsClient& client() { return clients->forRegion("us-east-1"); }
  // Resources carrying ramp:fleet = id, by kind.
  int taggedGroups(const std::string& id) {
    auto g = AutoScalingApi(client()).describeAutoScalingGroups();
    EXPECT_TRUE(g);
    int n = 0;
    for (auto& x : *g) n += x.tags["ramp:fleet"] == id;
    return n;
  }
  int taggedTargetGroups(const std::string& id) {
    ElbV2Api elb(client());
    auto all = elb.describeTargetGroups();
    EXPECT_TRUE(all);
    std::vector<std::string> arns;
    for (auto& t : *all) arns.push_back(t.arn);
    if (arns.empty()) return 0;
    auto tags = elb.describeTags(arns);
    EXPECT_TRUE(tags);
    int n = 0;
    for (auto& [arn, t] : *tags) n += t["ramp:fleet"] == id;
    return n;
  }
  int taggedTemplates(const std::string& id) {
    auto all = Ec2Api(client()).describeLaunchTemplates();
    EXPECT_TRUE(all);
    int n = 0;
    for (auto& t : *all) n += t.tags["ramp:fleet"] == id;
    return n;
  }
};

}  // namespace

TEST_F(AwsProviders, CreateFleetTwiceMakesOneOfEachThenRetireLeavesNothing) {
  AwsFleetProvider fleets(*clients, envs, SystemClock::instance());
  auto s = spec("web-prod-1.0.0-abc123");
  ASSERT_TRUE(fleets.createFleet(s)) << "first create";
  auto again = fleets.createFleet(s);
  ASSERT_TRUE(again) << again.error().describe();
  // A fresh provider (a restarted controller) converges too.
  AwsFleetProvider restarted(*clients, envs, SystemClock::instance());
  auto third = restarted.createFleet(s);
  ASSERT_TRUE(third) << third.error().describe();
  EXPECT_EQ(taggedGroups(s.fleetId), 1);
  EXPECT_EQ(taggedTargetGroups(s.fleetId), 1);
  EXPECT_EQ(taggedTemplates(s.fleetId), 1);

  // Group over 2 AZs, min=max=desired=2, attached to the target group.
  std::string name = AwsFleetProvider::resourceName("web", "prod", s.fleetId);
  EXPECT_LE(name.size(), 32u);
  auto g = AutoScalingApi(client()).describeAutoScalingGroups({name});
  ASSERT_TRUE(g && g->size() == 1);
  EXPECT_EQ((*g)[0].minSize, 2);
  EXPECT_EQ((*g)[0].maxSize, 2);
  EXPECT_EQ((*g)[0].desired, 2);
  EXPECT_EQ((*g)[0].subnets.size(), 2u);
  EXPECT_EQ((*g)[0].targetGroupArns.size(), 1u);
  EXPECT_EQ((*g)[0].tags["ramp:release-digest"], s.releaseDigest);
  EXPECT_EQ((*g)[0].tags["ramp:project"], "shop");

  auto st = restarted.fleetStatus(s.fleetId);
  ASSERT_TRUE(st) << st.error().describe();
  EXPECT_TRUE(st->exists);
  EXPECT_EQ(st->desired, 2);
  EXPECT_EQ(st->healthy, 2);
  EXPECT_EQ(st->instances.size(), 2u);

  auto list = restarted.listFleets(std::string("web"), std::string("prod"));
  ASSERT_TRUE(list) << list.error().describe();
  EXPECT_EQ(*list, std::vector<std::string>{s.fleetId});
  auto otherEnv = restarted.listFleets(std::string("web"), std::string("int"));
  ASSERT_TRUE(otherEnv);
  EXPECT_TRUE(otherEnv->empty());

  // The same fleet id with another release is a conflict, not a twin.
  auto other = restarted.createFleet(spec(s.fleetId, "sha256:" + std::string(64, 'b')));
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kConflict) << other.error().describe();

  ASSERT_TRUE(restarted.retireFleet(s.fleetId, std::chrono::milliseconds(0)));
  EXPECT_EQ(taggedGroups(s.fleetId), 0);
  EXPECT_EQ(taggedTargetGroups(s.fleetId), 0);
  EXPECT_EQ(taggedTemplates(s.fleetId), 0);
  auto gone = fleets.fleetStatus(s.fleetId);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->exists);
  auto twice = fleets.retireFleet(s.fleetId, std::chrono::milliseconds(0));
  EXPECT_TRUE(twice) << "retiring twice is OK: " << twice.error().describe();
  EXPECT_TRUE(fleets.retireFleet("never-existed", std::chrono::milliseconds(0)));
}

// A delete retried after its first attempt went through (the answer lost
// on the way back: the fault proxy's "drop") finds no template. moto answers
// MissingParameter there (AWS: InvalidLaunchTemplateName.NotFound); both
// mean done. aws_provider_e2e_faults' `ramp down` failed on it.
TEST_F(AwsProviders, DeletingALaunchTemplateThatIsAlreadyGoneIsDone) {
  Ec2Api ec2(client());
  LaunchTemplateSpec lt;
  lt.name = "ramp-delete-twice";
  lt.clientToken = "ramp-delete-twice-token";
  lt.imageId = envs.byEnv["prod"].image;
  lt.instanceType = "t3.micro";
  lt.tags = {{"ramp:test", "delete-twice"}};
  auto created = ec2.createLaunchTemplate(lt);
  ASSERT_TRUE(created) << created.error().describe();
  auto first = ec2.deleteLaunchTemplate(lt.name);
  ASSERT_TRUE(first) << first.error().describe();
  auto again = ec2.deleteLaunchTemplate(lt.name);
  EXPECT_TRUE(again) << again.error().describe();
  EXPECT_TRUE(ec2.deleteLaunchTemplate("ramp-never-existed"));
  auto left = ec2.describeLaunchTemplates({lt.name});
  ASSERT_TRUE(left);
  EXPECT_TRUE(left->empty());
}

TEST_F(AwsProviders, EveryFleetResourceCarriesTheDeploymentTag) {
  AwsFleetProvider fleets(*clients, envs, SystemClock::instance());
  auto s = spec("web-prod-1.0.0-dep001");
  s.deploymentId = "d-20261126150121-dep001";
  ASSERT_TRUE(fleets.createFleet(s));
  std::string name = AwsFleetProvider::resourceName("web", "prod", s.fleetId);
  auto g = AutoScalingApi(client()).describeAutoScalingGroups({name});
  ASSERT_TRUE(g && g->size() == 1);
  EXPECT_EQ((*g)[0].tags["ramp:deployment"], s.deploymentId);
  auto lts = Ec2Api(client()).describeLaunchTemplates({name});
  ASSERT_TRUE(lts && lts->size() == 1);
  EXPECT_EQ((*lts)[0].tags["ramp:deployment"], s.deploymentId);
  ElbV2Api elb(client());
  auto tgs = elb.describeTargetGroups({name});
  ASSERT_TRUE(tgs && tgs->size() == 1);
  auto tags = elb.describeTags({(*tgs)[0].arn});
  ASSERT_TRUE(tags);
  EXPECT_EQ((*tags)[(*tgs)[0].arn]["ramp:deployment"], s.deploymentId);
  // Without a deployment id there is no empty tag.
  auto bare = spec("web-prod-1.0.0-nodep1");
  ASSERT_TRUE(fleets.createFleet(bare));
  auto g2 = AutoScalingApi(client()).describeAutoScalingGroups({AwsFleetProvider::resourceName("web", "prod", bare.fleetId)});
  ASSERT_TRUE(g2 && g2->size() == 1);
  EXPECT_FALSE((*g2)[0].tags.contains("ramp:deployment"));
}

TEST_F(AwsProviders, BadSettingsAreRefusedNamingTheField) {
  AwsFleetProvider fleets(*clients, envs, SystemClock::instance());
  auto bad = spec("x");
  bad.instances = 0;
  auto r = fleets.createFleet(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().where, "spec.instances");

  // Both subnets in one AZ: refused before anything is created.
  auto e = envs.byEnv["prod"];
  auto subnets = Ec2Api(client()).describeSubnets(e.subnets);
  ASSERT_TRUE(subnets);
  e.subnets = {e.subnets[0], e.subnets[0]};
  envs.byEnv["prod"] = e;
  auto oneAz = fleets.createFleet(spec("web-prod-1.0.0-oneaz1"));
  ASSERT_FALSE(oneAz);
  EXPECT_EQ(oneAz.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(oneAz.error().where, "environment.aws.subnets") << oneAz.error().describe();
  EXPECT_EQ(taggedTemplates("web-prod-1.0.0-oneaz1"), 0);

  // Rendered configs missing what the provider needs.
  nlohmann::json rendered = {{"project", "shop"}, {"service", "web"}, {"env", "prod"},
                             {"environment", {{"provider", "aws"}, {"regions", {"us-east-1"}},
                                              {"aws", {{"subnets", {"subnet-1"}}, {"image", "ami-1"}}}}}};
  auto one = AwsEnvironment::fromRendered(rendered);
  ASSERT_FALSE(one);
  EXPECT_EQ(one.error().where, "environment.aws.subnets");
  rendered["environment"]["aws"]["subnets"] = {"subnet-1", "subnet-2"};
  rendered["environment"]["aws"]["listener_port"] = 70000;
  auto port = AwsEnvironment::fromRendered(rendered);
  ASSERT_FALSE(port);
  EXPECT_EQ(port.error().where, "environment.aws.listener_port");
  rendered["environment"]["aws"].erase("listener_port");
  rendered["environment"]["aws"].erase("image");
  auto noImage = AwsEnvironment::fromRendered(rendered);
  ASSERT_FALSE(noImage);
  EXPECT_EQ(noImage.error().where, "release.image");
  rendered["release"] = {{"image", "ami-2"}};
  // No rule for the service (a config rendered by an older ramp): refused.
  auto noRule = AwsEnvironment::fromRendered(rendered);
  ASSERT_FALSE(noRule);
  EXPECT_EQ(noRule.error().where, "environment.aws.rule");
  rendered["environment"]["aws"]["rule"] = {{"port", 80}, {"priority", 100}, {"paths", {"/web", "/web/*"}}};
  auto fine = AwsEnvironment::fromRendered(rendered);
  ASSERT_TRUE(fine) << fine.error().describe();
  EXPECT_EQ(fine->image, "ami-2");
  rendered["environment"]["provider"] = "local";
  auto local = AwsEnvironment::fromRendered(rendered);
  ASSERT_FALSE(local);
  EXPECT_EQ(local.error().where, "environment.provider");
}

// No load balancer of its own: without the environment's infrastructure
// (`ramp apply`), an entry point is refused for good, naming what is
// missing and the command that makes it, and nothing is created.
TEST_F(AwsProviders, AnEntryPointWithoutTheInfrastructureIsRefusedNamingTheApplyCommand) {
  AwsFleetProvider fleets(*clients, envs, SystemClock::instance());
  AwsTrafficProvider traffic(*clients, envs, fleets, SystemClock::instance());
  auto url = traffic.ensureEntrypoint({"web", "prod", "us-east-1"});
  ASSERT_FALSE(url);
  EXPECT_TRUE(url.error().permanent) << "waiting does not make a load balancer appear";
  EXPECT_EQ(url.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(url.error().message.find("ramp apply --env prod"), std::string::npos) << url.error().message;
  EXPECT_NE(url.error().message.find("ramp-shop-prod-use1"), std::string::npos) << url.error().message;
  auto lbs = ElbV2Api(client()).describeLoadBalancers();
  ASSERT_TRUE(lbs);
  EXPECT_TRUE(lbs->empty()) << "the provider made a load balancer of its own";

  // The load balancer without the service's rule: refused too, naming it.
  applyInfrastructure();
  ASSERT_TRUE(ElbV2Api(client()).deleteRule(ruleArn));
  auto noRule = traffic.ensureEntrypoint({"web", "prod", "us-east-1"});
  ASSERT_FALSE(noRule);
  EXPECT_TRUE(noRule.error().permanent);
  EXPECT_NE(noRule.error().message.find("no rule for web"), std::string::npos) << noRule.error().message;
}

TEST_F(AwsProviders, WeightsGoOnTheServiceRuleReadBackAndPinningRulesSitJustBelowIt) {
  applyInfrastructure();
  AwsFleetProvider fleets(*clients, envs, SystemClock::instance());
  AwsTrafficProvider traffic(*clients, envs, fleets, SystemClock::instance());
  EntrypointKey key{"web", "prod", "us-east-1"};
  auto url = traffic.ensureEntrypoint(key);
  ASSERT_TRUE(url) << url.error().describe();
  EXPECT_TRUE(url->starts_with("http://")) << *url;
  EXPECT_TRUE(url->ends_with("/web")) << "path-based rule: " << *url;
  AwsTrafficProvider restarted(*clients, envs, fleets, SystemClock::instance());
  auto same = restarted.ensureEntrypoint(key);
  ASSERT_TRUE(same);
  EXPECT_EQ(*same, *url) << "stable across restarts";
  auto lbs = ElbV2Api(client()).describeLoadBalancers();
  ASSERT_TRUE(lbs);
  EXPECT_EQ(lbs->size(), 1u) << "only the infrastructure's load balancer";

  auto empty = traffic.appliedTraffic(key);
  ASSERT_TRUE(empty) << empty.error().describe();
  EXPECT_TRUE(empty->fleets.empty());

  std::string blue = "web-prod-1.0.0-blue01", green = "web-prod-2.0.0-green1";
  ASSERT_TRUE(fleets.createFleet(spec(blue)));
  ASSERT_TRUE(fleets.createFleet(spec(green, "sha256:" + std::string(64, 'c'), 1)));

  ElbV2Api elb(client());
  auto ruleOf = [&](const std::string& priority) {
    auto rules = elb.describeRules(listenerArn);
    EXPECT_TRUE(rules) << rules.error().describe();
    for (auto& r : *rules) {
      if (r.priority == priority) return r;
    }
    return ListenerRule{};
  };
  for (auto [b, g] : std::vector<std::pair<int, int>>{{90, 10}, {50, 50}, {0, 100}}) {
    TrafficSplit split;
    split.key = key;
    split.fleets = {{blue, b, {}}, {green, g, {}}};
    split.epoch = 1;
    auto set = traffic.setTraffic(split);
    ASSERT_TRUE(set) << set.error().describe();
    // Read back by a provider that remembers nothing: from AWS.
    AwsFleetProvider freshFleets(*clients, envs, SystemClock::instance());
    AwsTrafficProvider reader(*clients, envs, freshFleets, SystemClock::instance());
    auto back = reader.appliedTraffic(key);
    ASSERT_TRUE(back) << back.error().describe();
    std::map<std::string, int> w;
    std::map<std::string, size_t> backends;
    for (auto& f : back->fleets) {
      w[f.fleetId] = f.weight;
      backends[f.fleetId] = f.backends.size();
    }
    EXPECT_EQ(w[blue], b);
    EXPECT_EQ(w[green], g);
    EXPECT_EQ(backends[blue], 2u);
    EXPECT_EQ(backends[green], 1u);
    EXPECT_FALSE(back->pin);
    // On the service's rule (the infrastructure's, conditions kept), not the listener.
    auto rule = ruleOf("4000");
    EXPECT_EQ(rule.arn, ruleArn) << "the same rule";
    EXPECT_EQ(rule.paths, (std::vector<std::string>{"/web", "/web/*"}));
    EXPECT_EQ(rule.forward.size(), 2u);
    auto listeners = elb.describeListeners(loadBalancerArn);
    ASSERT_TRUE(listeners && listeners->size() == 1);
    EXPECT_EQ((*listeners)[0].defaultAction.type, "fixed-response") << "the default action stays the infrastructure's";
  }
  // Setting the applied split again changes nothing (no ModifyRule).
  auto before = client().stats().calls.load();
  TrafficSplit again;
  again.key = key;
  again.fleets = {{blue, 0, {}}, {green, 100, {}}};
  again.epoch = 1;
  ASSERT_TRUE(traffic.setTraffic(again));
  EXPECT_LE(client().stats().calls.load() - before, 1) << "one DescribeRules only";

  // Pinning: header and cookie rules just below the service's, on its paths.
  TrafficSplit pinned;
  pinned.key = key;
  pinned.fleets = {{blue, 90, {}}, {green, 10, {}}};
  pinned.pin = Pinning{"X-Ramp-Canary", "ramp-canary", green};
  pinned.epoch = 1;
  auto p = traffic.setTraffic(pinned);
  ASSERT_TRUE(p) << p.error().describe();
  auto back = traffic.appliedTraffic(key);
  ASSERT_TRUE(back);
  ASSERT_TRUE(back->pin);
  EXPECT_EQ(back->pin->fleetId, green);
  EXPECT_EQ(back->pin->header, "X-Ramp-Canary");
  EXPECT_EQ(back->pin->cookie, "ramp-canary");
  auto header = ruleOf("3998"), cookie = ruleOf("3999");
  EXPECT_EQ(header.headerName, "X-Ramp-Canary");
  EXPECT_EQ(header.paths, (std::vector<std::string>{"/web", "/web/*"})) << "pinned users of web only";
  EXPECT_EQ(cookie.headerName, "Cookie");
  ASSERT_TRUE(traffic.setTraffic(pinned));

  // Retiring takes the fleet's target group out of the rule and deletes the
  // pinning rules that send to it; the rule itself stays.
  TrafficSplit allBlue;
  allBlue.key = key;
  allBlue.fleets = {{blue, 100, {}}, {green, 0, {}}};
  allBlue.epoch = 1;
  ASSERT_TRUE(traffic.setTraffic(allBlue));
  auto unpinned = traffic.appliedTraffic(key);
  ASSERT_TRUE(unpinned);
  EXPECT_FALSE(unpinned->pin) << "pin rules removed";
  auto retired = fleets.retireFleet(green, std::chrono::milliseconds(0));
  ASSERT_TRUE(retired) << retired.error().describe();
  traffic.forgetAnswers();  // the rule changed outside the traffic provider
  auto after = traffic.appliedTraffic(key);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->fleets.size(), 1u);
  EXPECT_EQ(after->fleets[0].fleetId, blue);
  EXPECT_EQ(after->fleets[0].weight, 100);
  // The last fleet retired: the rule answers 503, no fleet is listed.
  auto last = fleets.retireFleet(blue, std::chrono::milliseconds(0));
  ASSERT_TRUE(last) << last.error().describe();
  traffic.forgetAnswers();
  auto none = traffic.appliedTraffic(key);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->fleets.empty());
  EXPECT_EQ(ruleOf("4000").arn, ruleArn) << "the infrastructure's rule outlives the fleets";
  auto inflight = traffic.inflight(key, blue);
  ASSERT_TRUE(inflight);
  EXPECT_EQ(*inflight, 0);
}

// The quiet controller: a steady answer is remembered for the slow period;
// a change is verified by the next look; a rule deleted behind ramp's back
// is a permanent error at the next look that reads.
TEST_F(AwsProviders, SteadyAnswersAreRememberedChangesAreReadBack) {
  applyInfrastructure();
  ManualClock clock;
  AwsFleetProvider fleets(*clients, envs, clock);
  AwsTrafficProvider traffic(*clients, envs, fleets, clock);
  EntrypointKey key{"web", "prod", "us-east-1"};
  std::string blue = "web-prod-1.0.0-quiet1";
  ASSERT_TRUE(fleets.createFleet(spec(blue)));
  ASSERT_TRUE(traffic.ensureEntrypoint(key));
  TrafficSplit all;
  all.key = key;
  all.fleets = {{blue, 100, {}}};
  all.epoch = 1;
  ASSERT_TRUE(traffic.setTraffic(all));
  auto first = traffic.appliedTraffic(key);  // verifies the change
  ASSERT_TRUE(first) << first.error().describe();
  ASSERT_EQ(first->fleets.size(), 1u);
  ASSERT_EQ(first->fleets[0].backends.size(), 2u);
  auto calls = client().stats().calls.load();
  for (int i = 0; i < 100; ++i) {  // 10 s of engine ticks
    clock.advance(std::chrono::milliseconds(100));
    ASSERT_TRUE(traffic.appliedTraffic(key));
    ASSERT_TRUE(fleets.fleetStatus(blue));
  }
  EXPECT_EQ(client().stats().calls.load(), calls) << "a steady entry point costs no call between slow reads";
  clock.advance(std::chrono::seconds(70));
  ASSERT_TRUE(traffic.appliedTraffic(key));
  auto slow = client().stats().calls.load() - calls;
  EXPECT_GE(slow, 1) << "read again after the slow period";
  EXPECT_LE(slow, 4) << "rules, group, target health (tags remembered)";

  // Deleted behind ramp's back: the next read ends it, naming `ramp apply`.
  ASSERT_TRUE(ElbV2Api(client()).deleteRule(ruleArn));
  clock.advance(std::chrono::seconds(70));
  auto gone = traffic.appliedTraffic(key);
  ASSERT_FALSE(gone);
  EXPECT_TRUE(gone.error().permanent);
  EXPECT_NE(gone.error().message.find("ramp apply --env prod"), std::string::npos) << gone.error().message;
}

TEST_F(AwsProviders, TheMachineImageIsCheckedInTheRegionAndMayComeFromSsm) {
  applyInfrastructure();
  AwsFleetProvider fleets(*clients, envs, SystemClock::instance());
  auto e = envs.byEnv["prod"];
  std::string ami = e.image;
  e.image = "ami-0000000000badbad";
  envs.byEnv["prod"] = e;
  auto bad = fleets.createFleet(spec("web-prod-1.0.0-badami"));
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error().permanent);
  EXPECT_NE(bad.error().message.find("ami-0000000000badbad"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("us-east-1"), std::string::npos) << bad.error().message;
  EXPECT_EQ(taggedTemplates("web-prod-1.0.0-badami"), 0) << "nothing created";

  // ssm:<parameter>: the region's AMI read from SSM Parameter Store.
  auto put = client().json("ssm", "AmazonSSM", "PutParameter",
                           {{"Name", "/ramp/web/ami"}, {"Value", ami}, {"Type", "String"}});
  ASSERT_TRUE(put) << put.error().describe();
  e.image = "ssm:/ramp/web/ami";
  envs.byEnv["prod"] = e;
  auto s = spec("web-prod-1.0.0-ssmami");
  auto c = fleets.createFleet(s);
  ASSERT_TRUE(c) << c.error().describe();
  e.image = "ssm:/ramp/web/missing";
  envs.byEnv["prod"] = e;
  auto missing = fleets.createFleet(spec("web-prod-1.0.0-noparm"));
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().permanent);
  EXPECT_NE(missing.error().message.find("/ramp/web/missing"), std::string::npos) << missing.error().message;
}

// The service's alarms watch the fleet being deployed (their TargetGroup
// dimension) and go back to the remaining fleet when it is retired.
TEST_F(AwsProviders, TheServicesAlarmsFollowItsNewestFleet) {
  applyInfrastructure();
  AlarmApi alarms(client());
  MetricAlarmSpec a;
  a.name = "ramp-shop-prod-web/errors";
  a.ns = "AWS/ApplicationELB";
  a.metricName = "HTTPCode_Target_5XX_Count";
  a.statistic = "Sum";
  a.divideBy = "RequestCount";
  a.threshold = 5;
  a.dimensions["LoadBalancer"] = loadBalancerArn.substr(loadBalancerArn.find(":loadbalancer/") + 14);
  ASSERT_TRUE(alarms.putMetricAlarm(a, {}));
  auto e = envs.byEnv["prod"];
  e.fleetAlarms = {a.name};
  e.alarms = {a.name};
  envs.byEnv["prod"] = e;
  AwsFleetProvider fleets(*clients, envs, SystemClock::instance());
  auto watched = [&] {
    auto got = alarms.describeAlarms({a.name});
    EXPECT_TRUE(got && got->size() == 1);
    auto& d = (*got)[0].spec.dimensions;
    return d.contains("TargetGroup") ? d.at("TargetGroup") : std::string("(the load balancer)");
  };
  auto tgDim = [&](const std::string& fleet) {
    auto tg = ElbV2Api(client()).describeTargetGroups({AwsFleetProvider::resourceName("web", "prod", fleet)});
    EXPECT_TRUE(tg && tg->size() == 1);
    return (*tg)[0].arn.substr((*tg)[0].arn.find(":targetgroup/") + 1);
  };
  std::string stable = "web-prod-1.0.0-alarm1", canary = "web-prod-2.0.0-alarm2";
  ASSERT_TRUE(fleets.createFleet(spec(stable)));
  EXPECT_EQ(watched(), tgDim(stable));
  ASSERT_TRUE(fleets.createFleet(spec(canary, "sha256:" + std::string(64, 'f'), 1)));
  EXPECT_EQ(watched(), tgDim(canary)) << "the canary is what the alarm judges";
  auto state = CloudWatchApi(client()).describeAlarms({a.name});
  ASSERT_TRUE(state && state->size() == 1);
  EXPECT_EQ((*state)[0].state, "INSUFFICIENT_DATA") << "a state about another fleet is not kept";
  // The canary's rule weight: the stable fleet carries the traffic.
  AwsTrafficProvider traffic(*clients, envs, fleets, SystemClock::instance());
  TrafficSplit split;
  split.key = {"web", "prod", "us-east-1"};
  split.fleets = {{stable, 80, {}}, {canary, 20, {}}};
  split.epoch = 1;
  ASSERT_TRUE(traffic.setTraffic(split));
  ASSERT_TRUE(fleets.retireFleet(canary, std::chrono::milliseconds(0)));
  EXPECT_EQ(watched(), tgDim(stable)) << "back on the fleet that carries the traffic";
  ASSERT_TRUE(fleets.retireFleet(stable, std::chrono::milliseconds(0)));
  EXPECT_EQ(watched(), "(the load balancer)");
}

TEST_F(AwsProviders, MetricsFromCloudWatchAndAlarms) {
  applyInfrastructure();
  AwsFleetProvider fleets(*clients, envs, SystemClock::instance());
  AwsTrafficProvider traffic(*clients, envs, fleets, SystemClock::instance());
  AwsMetricsProvider metrics(*clients, envs, SystemClock::instance());
  EntrypointKey key{"web", "prod", "us-east-1"};
  std::string canary = "web-prod-2.0.0-canary";
  ASSERT_TRUE(traffic.ensureEntrypoint(key));
  ASSERT_TRUE(fleets.createFleet(spec(canary, "sha256:" + std::string(64, 'd'), 1)));
  TrafficSplit allCanary;
  allCanary.key = key;
  allCanary.fleets = {{canary, 100, {}}};
  allCanary.epoch = 1;
  ASSERT_TRUE(traffic.setTraffic(allCanary));

  auto zero = metrics.fleetMetrics(key, canary);
  ASSERT_TRUE(zero) << zero.error().describe();
  EXPECT_EQ(zero->requests, 0u);
  EXPECT_EQ(zero->latencySource, "none");

  // Feed what an ALB would publish for the canary's target group.
  auto tg = ElbV2Api(client()).describeTargetGroups({AwsFleetProvider::resourceName("web", "prod", canary)});
  ASSERT_TRUE(tg && tg->size() == 1);
  auto lb = ElbV2Api(client()).describeLoadBalancers({"ramp-shop-prod-use1"});
  ASSERT_TRUE(lb && lb->size() == 1);
  std::string tgDim = (*tg)[0].arn.substr((*tg)[0].arn.find(":targetgroup/") + 1);
  std::string lbDim = (*lb)[0].arn.substr((*lb)[0].arn.find(":loadbalancer/") + 14);  // "app/<name>/<id>"
  ASSERT_TRUE(lbDim.starts_with("app/")) << lbDim;
  std::vector<std::pair<std::string, std::string>> dims{{"LoadBalancer", lbDim}, {"TargetGroup", tgDim}};
  auto now = SystemClock::instance().now();
  CloudWatchApi cw(client());
  auto put = cw.putMetricData("AWS/ApplicationELB",
                              {{"RequestCount", dims, 200, "Count", now},
                               {"HTTPCode_Target_5XX_Count", dims, 30, "Count", now},
                               {"HTTPCode_Target_2XX_Count", dims, 170, "Count", now},
                               {"TargetResponseTime", dims, 0.120, "Seconds", now}});
  ASSERT_TRUE(put) << put.error().describe();
  auto m = metrics.fleetMetrics(key, canary);
  ASSERT_TRUE(m) << m.error().describe();
  EXPECT_EQ(m->requests, 200u);
  EXPECT_EQ(m->status5xx, 30u);
  EXPECT_EQ(m->status2xx, 170u);
  uint64_t inHistogram = 0;
  size_t at = 0;
  for (size_t i = 0; i < m->latencyCounts.size(); ++i) {
    inHistogram += m->latencyCounts[i];
    if (m->latencyCounts[i] > 0) at = i;
  }
  EXPECT_EQ(inHistogram, 200u);
  EXPECT_GE(m->latencyBoundsMs[at], 120.0);
  EXPECT_LT(m->latencyBoundsMs[at - 1], 120.0);
  EXPECT_EQ(metrics.sampleSource(canary), "average-fallback") << "moto has no percentiles: say the fallback was used";
  EXPECT_EQ(m->latencySource, "average-fallback") << "the metrics themselves say where latency came from";

  // More traffic: cumulative counters grow.
  ASSERT_TRUE(cw.putMetricData("AWS/ApplicationELB", {{"RequestCount", dims, 50, "Count", now}}));
  auto m2 = metrics.fleetMetrics(key, canary);
  ASSERT_TRUE(m2);
  EXPECT_EQ(m2->requests, 250u);

  // Alarms: configured names, ALARM detected, an unknown name is an error.
  ASSERT_TRUE(cw.putMetricAlarm("web-5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", dims, 10));
  ASSERT_TRUE(cw.putMetricAlarm("web-latency", "AWS/ApplicationELB", "TargetResponseTime", dims, 1));
  auto e = envs.byEnv["prod"];
  e.alarms = {"web-5xx", "web-latency"};
  envs.byEnv["prod"] = e;
  auto quiet = metrics.alarmsInAlarm(key, {});
  ASSERT_TRUE(quiet) << quiet.error().describe();
  EXPECT_TRUE(quiet->empty());
  ASSERT_TRUE(cw.setAlarmState("web-5xx", "ALARM", "test"));
  auto firing = metrics.alarmsInAlarm(key, {});
  ASSERT_TRUE(firing);
  EXPECT_EQ(*firing, std::vector<std::string>{"web-5xx"});
  auto unknown = metrics.alarmsInAlarm(key, {"no-such-alarm"});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("no-such-alarm"), std::string::npos);

  // SNS: alerts can go out through a topic.
  SnsApi sns(client());
  auto topic = sns.createTopic("ramp-alerts");
  ASSERT_TRUE(topic) << topic.error().describe();
  auto again = sns.createTopic("ramp-alerts");
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *topic);
  auto msg = sns.publish(*topic, "deployment rolled back", "{\"service\":\"web\"}");
  ASSERT_TRUE(msg) << msg.error().describe();
  EXPECT_FALSE(msg->empty());
}

TEST(LaunchUserDataScript, FetchesContentAddressedBundleAndChecksDigest) {
  FleetSpec s = spec("web-prod-1.0.0-abc123", "sha256:" + std::string(64, 'e'));
  s.run.env["DB_PASSWORD"] = "${secret:db}";
  AwsEnvironment e;
  e.project = "shop";
  e.bundleBucket = "releases-bucket";
  e.instancePort = 8080;
  auto script = LaunchUserData::script(s, e, std::string(64, 'e'));
  EXPECT_NE(script.find("s3://releases-bucket/bundles/web/" + std::string(64, 'e') + ".tar"), std::string::npos);
  EXPECT_NE(script.find("sha256sum"), std::string::npos);
  EXPECT_NE(script.find("refused to start"), std::string::npos);
  EXPECT_NE(script.find("DB_PASSWORD=${secret:db}"), std::string::npos) << "references are not resolved";
  EXPECT_EQ(Ec2Api::base64("ramp"), "cmFtcA==");
  EXPECT_EQ(Ec2Api::base64("ra"), "cmE=");
  EXPECT_EQ(Ec2Api::base64("ram"), "cmFt");
}
