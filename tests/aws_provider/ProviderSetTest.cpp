// ProviderSet: routes by environment provider (local fake vs AWS on moto),
// refuses a bad aws block naming the field, remembers across restarts.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "MotoWorld.h"
#include "core/Site.h"
#include "providers/ProviderSet.h"
#include "store/Store.h"

using namespace ramp;
using namespace ramp::providers;
using ramp::providers::aws::test::MotoWorld;

namespace {

struct FakeLocal : FleetProvider, TrafficProvider, MetricsProvider {
  std::vector<std::string> calls;
  Status createFleet(const FleetSpec& s) override {
    calls.push_back("create " + s.fleetId);
    return ok();
  }
  Result<FleetStatus> fleetStatus(const std::string& id) override {
    calls.push_back("status " + id);
    FleetStatus st;
    st.fleetId = id;
    return st;
  }
  Status retireFleet(const std::string& id, std::chrono::milliseconds) override {
    calls.push_back("retire " + id);
    return ok();
  }
  Result<std::vector<std::string>> listFleets(const std::optional<std::string>&,
                                              const std::optional<std::string>&) override {
    return std::vector<std::string>{};
  }
  Result<std::string> ensureEntrypoint(const EntrypointKey& k) override {
    calls.push_back("entrypoint " + k.env);
    return std::string("http://127.0.0.1:1");
  }
  Status setTraffic(const TrafficSplit&) override { return ok(); }
  Result<TrafficSplit> appliedTraffic(const EntrypointKey& k) override {
    TrafficSplit none;
    none.key = k;
    return none;
  }
  Result<int64_t> inflight(const EntrypointKey&, const std::string&) override { return int64_t{0}; }
  Result<FleetMetrics> fleetMetrics(const EntrypointKey&, const std::string& id) override {
    FleetMetrics m;
    m.fleetId = id;
    return m;
  }
};

class ProviderSetOnMoto : public MotoWorld {
 protected:
  std::unique_ptr<aws::AwsRegionClients> freshClients() {
    aws::AwsClientOptions o;
    o.region = "us-east-1";
    o.endpointOverride = aws::test::motoUrl();
    o.retry.base = Millis(5);
    return std::make_unique<aws::AwsRegionClients>(o, aws::test::testCredentials(), aws::AwsHttpClient::shared(),
                                                   SystemClock::instance(), aws::ThreadSleeper::instance(), budget);
  }
  nlohmann::json rendered(const std::string& provider) {
    const auto& e = envs.byEnv["prod"];
    nlohmann::json env = {{"provider", provider}, {"regions", provider == "aws" ? e.regions : std::vector<std::string>{"local"}}};
    if (provider == "aws") {
      env["aws"] = {{"vpc", e.vpcId},
                    {"subnets", e.subnets},
                    {"image", e.image},
                    {"load_balancer", e.loadBalancer},
                    {"rule", {{"port", 80}, {"protocol", "HTTP"}, {"priority", e.rule.priority}, {"paths", e.rule.paths}}}};
    }
    return {{"project", "shop"}, {"service", "web"}, {"env", provider == "aws" ? "prod" : "int"},
            {"region", provider == "aws" ? "us-east-1" : "local"},
            {"run", {{"command", "bin/web"}}}, {"environment", env}};
  }
  FleetSpec spec(const std::string& env, const std::string& id) {
    FleetSpec s;
    s.fleetId = id;
    s.service = "web";
    s.env = env;
    s.releaseDigest = "sha256:" + std::string(64, 'a');
    s.releaseVersion = "1.0.0";
    s.instances = 1;
    return s;
  }
};

}  // namespace

TEST_F(ProviderSetOnMoto, RoutesByEnvironmentAndRemembersAcrossRestarts) {
  std::filesystem::path home = std::getenv("RAMP_HOME");
  auto routing = store::openStore((home / "routing.db").string());
  ASSERT_TRUE(routing) << routing.error().describe();
  auto site = Site::of(home);
  ASSERT_TRUE(site) << site.error().describe();
  FakeLocal local;
  {
    ProviderSet set(**routing, *site, home, local, local, local, SystemClock::instance(), freshClients());
    ASSERT_TRUE(set.learn("web", "int", rendered("local")));
    auto l = set.learn("web", "prod", rendered("aws"));
    ASSERT_TRUE(l) << l.error().describe();
    EXPECT_EQ(set.providerOf("web", "prod"), "aws");
    EXPECT_EQ(set.providerOf("web", "int"), "local");
    EXPECT_EQ(set.providerOf("other", "prod"), "aws") << "the environment decides";
    EXPECT_EQ(set.providerOf("web", "never-seen"), "local");

    ASSERT_TRUE(set.createFleet(spec("int", "web-int-1")));
    auto c = set.createFleet(spec("prod", "web-prod-1"));
    ASSERT_TRUE(c) << c.error().describe();
    EXPECT_EQ(local.calls, std::vector<std::string>{"create web-int-1"});
    EXPECT_EQ(set.fleetRegion("web-prod-1"), std::optional<std::string>("us-east-1"));
    EXPECT_EQ(set.fleetRegion("web-int-1"), std::nullopt);
    // A deployment into prod is refused while its infrastructure is not applied.
    auto notApplied = set.verifyInfrastructure("web", "prod", {"us-east-1"});
    ASSERT_FALSE(notApplied);
    EXPECT_NE(notApplied.error().message.find("ramp apply --env prod"), std::string::npos)
        << notApplied.error().message;
    EXPECT_TRUE(set.verifyInfrastructure("web", "int", {"local"})) << "nothing to check on local";
    applyInfrastructure();
    auto ready = set.verifyInfrastructure("web", "prod", {"us-east-1"});
    ASSERT_TRUE(ready) << ready.error().describe();
    auto url = set.ensureEntrypoint({"web", "prod", "us-east-1"});
    ASSERT_TRUE(url) << url.error().describe();
    EXPECT_EQ(url->find("127.0.0.1:1"), std::string::npos) << "an ALB, not the local router";

    // A bad aws block is refused, naming the field.
    auto bad = rendered("aws");
    bad["environment"]["aws"]["subnets"] = {"subnet-1"};
    auto r = set.learn("web", "prod", bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().where, "rendered.environment.aws.subnets");
  }
  // A restarted controller routes the same way without being told again.
  local.calls.clear();
  ProviderSet again(**routing, *site, home, local, local, local, SystemClock::instance(), freshClients());
  EXPECT_EQ(again.providerOf("web", "prod"), "aws");
  EXPECT_EQ(again.fleetRegion("web-prod-1"), std::optional<std::string>("us-east-1")) << "kept in the store";
  auto st = again.fleetStatus("web-prod-1");
  ASSERT_TRUE(st) << st.error().describe();
  EXPECT_TRUE(st->exists);
  EXPECT_EQ(st->desired, 1);
  EXPECT_TRUE(local.calls.empty());
  auto list = again.listFleets(std::string("web"), std::string("prod"));
  ASSERT_TRUE(list);
  EXPECT_EQ(*list, std::vector<std::string>{"web-prod-1"});
  ASSERT_TRUE(again.retireFleet("web-prod-1", std::chrono::milliseconds(0)));
  auto gone = again.fleetStatus("web-prod-1");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->exists);
  auto firing = again.alarmsInAlarm({"web", "int", "local"}, {});
  ASSERT_TRUE(firing);
  EXPECT_TRUE(firing->empty());
}

// A controller of another site (another host sharing the store) routes aws
// environments like any, and never acts on this site's local environment:
// every call says where it runs, and nothing is reported absent.
TEST_F(ProviderSetOnMoto, AnotherSiteNeverActsOnALocalEnvironment) {
  std::filesystem::path home = std::getenv("RAMP_HOME");
  auto routing = store::openStore((home / "sites.db").string());
  ASSERT_TRUE(routing) << routing.error().describe();
  auto here = Site::of(home / "site-a");
  ASSERT_TRUE(here);
  FakeLocal localA, localB;
  ProviderSet a(**routing, *here, home / "site-a", localA, localA, localA, SystemClock::instance(), freshClients());
  ASSERT_TRUE(a.learn("web", "int", rendered("local")));
  ASSERT_TRUE(a.learn("web", "prod", rendered("aws")));
  ASSERT_TRUE(a.createFleet(spec("int", "web-int-1")));
  ASSERT_TRUE(a.canAct("web", "int"));
  EXPECT_TRUE(a.hasLocalEnvironmentsHere());

  auto there = Site::of(home / "site-b");
  ASSERT_TRUE(there);
  ASSERT_NE(there->id, here->id);
  ProviderSet b(**routing, *there, home / "site-b", localB, localB, localB, SystemClock::instance(), freshClients());
  EXPECT_FALSE(b.hasLocalEnvironmentsHere());
  EXPECT_EQ(b.providerOf("web", "int"), "local");
  auto no = b.canAct("web", "int");
  ASSERT_FALSE(no);
  EXPECT_EQ(no.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(no.error().message.find(here->label()), std::string::npos) << no.error().message;
  EXPECT_NE(no.error().message.find(there->label()), std::string::npos) << no.error().message;
  EXPECT_FALSE(b.fleetStatus("web-int-1")) << "an error, never 'absent'";
  EXPECT_FALSE(b.retireFleet("web-int-1", std::chrono::milliseconds(0)));
  EXPECT_FALSE(b.createFleet(spec("int", "web-int-2")));
  EXPECT_FALSE(b.ensureEntrypoint({"web", "int", "local"}));
  EXPECT_FALSE(b.setTraffic(TrafficSplit{{"web", "int", "local"}, {}, {}, 1}));
  EXPECT_FALSE(b.appliedTraffic({"web", "int", "local"}));
  auto relearn = b.learn("web", "int", rendered("local"));
  ASSERT_FALSE(relearn);
  EXPECT_EQ(relearn.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(localB.calls.empty()) << "nothing reached site B's local providers";
  // aws is driven by whichever controller leads.
  ASSERT_TRUE(b.canAct("web", "prod"));
  EXPECT_EQ(b.providerOf("web", "prod"), "aws");
  // The owner still acts, after all that.
  EXPECT_TRUE(a.canAct("web", "int"));
}

// One environment's region that cannot answer (us-east-9, recorded before
// validate knew AWS's regions) never stops another environment's fleets
// from being found, listed and retired (`ramp down --env prod`).
TEST_F(ProviderSetOnMoto, ABrokenRegionOfOneEnvironmentDoesNotStopAnother) {
  std::filesystem::path home = std::filesystem::path(std::getenv("RAMP_HOME")) / "broken-region";
  std::filesystem::create_directories(home);
  auto routing = store::openStore((home / "routing.db").string());
  ASSERT_TRUE(routing) << routing.error().describe();
  auto site = Site::of(home);
  ASSERT_TRUE(site) << site.error().describe();
  auto qa = rendered("aws");
  qa["env"] = "qa";
  qa["region"] = "us-east-9";
  qa["environment"]["regions"] = {"us-east-9"};
  store::ProviderEnvironmentRecord old{"web", "qa", "aws", "", "", {{"regions", {{"us-east-9", qa}}}}, 1};
  ASSERT_TRUE((*routing)->putProviderEnvironment(old));
  FakeLocal local;
  ProviderSet set(**routing, *site, home, local, local, local, SystemClock::instance(), freshClients());
  EXPECT_FALSE(set.learn("web", "qa", qa)) << "a region AWS does not have is refused";
  ASSERT_TRUE(set.learn("web", "prod", rendered("aws")));
  auto made = set.createFleet(spec("prod", "web-prod-9"));
  ASSERT_TRUE(made) << made.error().describe();
  auto all = set.listFleets(std::nullopt, std::nullopt);
  ASSERT_TRUE(all) << all.error().describe();
  EXPECT_EQ(*all, std::vector<std::string>{"web-prod-9"});
  auto prod = set.listFleets(std::nullopt, std::string("prod"));
  ASSERT_TRUE(prod) << prod.error().describe();
  EXPECT_EQ(*prod, std::vector<std::string>{"web-prod-9"});
  // A fresh set (a restarted controller) finds it in its own region.
  ProviderSet again(**routing, *site, home, local, local, local, SystemClock::instance(), freshClients());
  auto retired = again.retireFleet("web-prod-9", std::chrono::milliseconds(0));
  ASSERT_TRUE(retired) << retired.error().describe();
  auto gone = again.fleetStatus("web-prod-9");
  ASSERT_TRUE(gone) << gone.error().describe();
  EXPECT_FALSE(gone->exists);
}

// Settings recorded before regions were ({"rendered": ...}, by the store's
// first version or imported from providers/environments.json) are read as
// that render's region.
TEST_F(ProviderSetOnMoto, SettingsFromBeforeRegionsAreThatRendersRegion) {
  std::filesystem::path home = std::filesystem::path(std::getenv("RAMP_HOME")) / "before-regions";
  std::filesystem::create_directories(home);
  auto routing = store::openStore((home / "routing.db").string());
  ASSERT_TRUE(routing) << routing.error().describe();
  auto site = Site::of(home);
  ASSERT_TRUE(site) << site.error().describe();
  store::ProviderEnvironmentRecord old{"web", "prod", "aws", "", "", {{"rendered", rendered("aws")}}, 1};
  ASSERT_TRUE((*routing)->putProviderEnvironment(old));
  FakeLocal local;
  ProviderSet set(**routing, *site, home, local, local, local, SystemClock::instance(), freshClients());
  EXPECT_EQ(set.awsRegions(std::string("prod")), std::vector<std::string>{"us-east-1"});
  auto e = set.awsEnvironment("web", "prod", "us-east-1");
  ASSERT_TRUE(e) << e.error().describe();
  EXPECT_EQ(e->region, "us-east-1");
  auto none = set.awsEnvironment("web", "prod", "eu-west-1");
  ASSERT_FALSE(none);
  EXPECT_TRUE(none.error().permanent) << "a region never learned is not retried";
}
