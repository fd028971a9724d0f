// DriftTest — drift: changed and deleted outside ramp, leftovers carrying
// ramp's tags, fleets never leftovers, provider errors are errors.
#include <gtest/gtest.h>

#include "ApplyWorld.h"
#include "infra/Drift.h"

using namespace ramp;
using namespace ramp::infra;
using namespace ramp::infra::test;

namespace {

using DriftTest = ApplyWorld;

class FailingReads final : public InfraProvider {
 public:
  explicit FailingReads(InfraProvider& inner) : inner_(inner) {}
  Result<std::map<std::string, ResourceState>> readMany(const std::string&, const std::string&,
                                                        const std::vector<Resource>&) override {
    return unavailable("Throttling: Rate exceeded", "elasticloadbalancing");
  }
  Result<ResourceState> create(const Resource& d, const std::string& t,
                               const std::map<std::string, ResourceState>& deps) override {
    return inner_.create(d, t, deps);
  }
  Result<ResourceState> update(const Resource& d, const ResourceState& c,
                               const std::map<std::string, ResourceState>& deps) override {
    return inner_.update(d, c, deps);
  }
  Status remove(const ResourceState& c) override { return inner_.remove(c); }
  Result<std::vector<ResourceState>> listTagged(const std::string& p, const std::string& e,
                                                const std::string& r) override {
    return inner_.listTagged(p, e, r);
  }
  uint64_t callsMade() const override { return inner_.callsMade(); }

 private:
  InfraProvider& inner_;
};

TEST_F(DriftTest, ReportsChangedDeletedAndLeftoversButNeverFleets) {
  auto lb = res("aws_lb", "web", "us-east-1", {}, nlohmann::json{{"idle_timeout", 60}, {"name", "web"}});
  auto topic = res("aws_sns_topic", "alerts", "us-east-1");
  auto alarm = res("aws_cloudwatch_alarm", "web-5xx", "us-east-1");
  ApplyOptions o;
  o.clock = &clock_;
  ASSERT_TRUE(apply(plan({"us-east-1"}, {create(lb), create(topic), create(alarm)}), provider_, *infra_, o));

  auto clean = Drift::detect("shop", "prod", {"us-east-1"}, provider_, *infra_);
  ASSERT_TRUE(clean) << clean.error().describe();
  EXPECT_TRUE(clean->clean()) << clean->toJson().dump(2);
  EXPECT_EQ(clean->checked, 3);

  // Behind ramp's back: an attribute changed, a topic deleted, an unrecorded
  // resource with ramp's tags, and a fleet's target group (ramp:fleet).
  provider_.real.at(lb.address).attributes["idle_timeout"] = 120;
  provider_.real.erase(topic.address);
  auto orphan = res("aws_lb_listener", "orphan", "us-east-1");
  ASSERT_TRUE(provider_.create(orphan, "tok-orphan", {}));
  auto fleet = res("aws_lb_target_group", "crawler-blue", "us-east-1");
  fleet.tags["ramp:fleet"] = "flt-1";
  fleet.tags["ramp:managed-by"] = "deployments";
  ASSERT_TRUE(provider_.create(fleet, "tok-fleet", {}));

  auto d = Drift::detect("shop", "prod", {"us-east-1"}, provider_, *infra_);
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_FALSE(d->clean());
  std::map<std::string, DriftItem> by;
  for (const auto& i : d->items) by[i.address] = i;
  ASSERT_EQ(d->items.size(), 3u) << d->toJson().dump(2);
  EXPECT_EQ(by[lb.address].kind, "changed");
  ASSERT_EQ(by[lb.address].attributes.size(), 1u);
  EXPECT_EQ(by[lb.address].attributes[0].name, "idle_timeout");
  EXPECT_EQ(by[lb.address].attributes[0].before, 60);
  EXPECT_EQ(by[lb.address].attributes[0].after, 120);
  EXPECT_EQ(by[topic.address].kind, "deleted");
  EXPECT_EQ(by[orphan.address].kind, "leftover");
  EXPECT_FALSE(by.contains(fleet.address));
  EXPECT_EQ(d->managedByDeployments.size(), 1u);
  EXPECT_TRUE(d->toJson()["drift"].get<bool>());
  std::string text = d->text();
  EXPECT_NE(text.find("1 changed, 1 deleted outside ramp, 1 leftovers"), std::string::npos) << text;
}

TEST_F(DriftTest, AProviderErrorIsAnErrorNotADeletion) {
  auto lb = res("aws_lb", "web", "us-east-1");
  ApplyOptions o;
  o.clock = &clock_;
  ASSERT_TRUE(apply(plan({"us-east-1"}, {create(lb)}), provider_, *infra_, o));
  FailingReads failing(provider_);
  auto d = Drift::detect("shop", "prod", {"us-east-1"}, failing, *infra_);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(d.error().message.find("us-east-1"), std::string::npos) << d.error().message;
  EXPECT_NE(d.error().message.find("Rate exceeded"), std::string::npos) << d.error().message;
}

}  // namespace
