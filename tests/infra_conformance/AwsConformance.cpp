// The conformance suite on AwsInfraProvider against moto (the suite's
// fixture, reset before every case): load balancer, listener, rule, alarm,
// topics in two regions, a global instance profile and a Route 53 record.
#include <algorithm>

#include "../aws_provider/MotoWorld.h"
#include "InfraProviderConformance.h"
#include "infra/aws/AwsInfraProvider.h"
#include "providers/aws/Route53Api.h"

namespace ramp::infra::conformance {
namespace {

using nlohmann::json;
namespace pa = providers::aws;

constexpr const char* kLb = "aws_lb.main[us-east-1]";
constexpr const char* kHttp = "aws_lb_listener.http[us-east-1]";
constexpr const char* kTopic = "aws_sns_topic.alerts[us-east-1]";

class AwsWorld final : public ConformanceWorld {
 public:
  static std::unique_ptr<ConformanceWorld> make() {
    auto w = std::unique_ptr<AwsWorld>(new AwsWorld());
    if (!w->setUp()) return nullptr;
    return w;
  }
  InfraProvider& provider() override { return *provider_; }

  std::vector<Resource> resources() override {
    return {lb("main", "ramp-shop-prod-use1"),
            listener("http", 80, kLb),
            rule("crawler", kHttp),
            topic("alerts", "us-east-1"),
            topic("alerts", "eu-west-1"),
            alarm("errors", kLb, kTopic),
            profile("main", "ramp-shop-prod"),
            record("crawler", kLb)};
  }

  std::optional<Resource> changed(const Resource& r) override {
    Resource c = r;
    if (r.type == "aws_cloudwatch_alarm") {
      c.attributes["threshold"] = 0.25;
    } else if (r.type == "aws_lb_listener_rule") {
      c.attributes["priority"] = 20;
      c.attributes["condition"] = {{"host_header", {"crawler.prod.example.com", "www.example.com"}}};
    } else if (r.type == "aws_lb_listener") {
      c.attributes["default_action"] = "redirect:HTTPS:443";
    } else if (r.type == "aws_route53_record") {
      c.attributes["routing"] = "weighted";
      c.attributes["sets"] = json::array({{{"set_identifier", "us-east-1"}, {"target", kLb}, {"weight", 1}}});
    } else {
      return std::nullopt;
    }
    return c;
  }

  Resource absent(const Resource& r) override {
    if (r.type == "aws_lb") return lb("ghost", "ghost-lb");
    if (r.type == "aws_lb_listener") return listener("ghost", 81, r.attributes.value("load_balancer", kLb));
    if (r.type == "aws_lb_listener_rule") return rule("ghost", r.attributes.value("listener", kHttp));
    if (r.type == "aws_sns_topic") return topic("ghost", r.region);
    if (r.type == "aws_cloudwatch_alarm") {
      return alarm("ghost", r.attributes.value("load_balancer", kLb), r.attributes["alarm_actions"][0]);
    }
    if (r.type == "aws_iam_instance_profile") return profile("ghost", "ghost-profile");
    return record("ghost", kLb);
  }

  std::vector<Resource> refused() override {
    Resource badMetric = alarm("bad", kLb, kTopic);
    badMetric.attributes["metric"] = "target_5xx_ratio";
    badMetric.attributes.erase("metric_name");
    Resource badSets = record("bad", kLb);
    badSets.attributes["sets"] = json::array({{{"region", "us-east-1"}}});
    Resource noZone = record("nozone", kLb);
    noZone.attributes["zone"] = "nope.example.org";
    return {badMetric, badSets, noZone};
  }

  bool tagged(const std::string& type) const override { return type != "aws_route53_record"; }

 private:
  AwsWorld() = default;

  bool setUp() {
    int port = pa::test::motoPort();
    if (port <= 0) {
      ADD_FAILURE() << "moto fixture did not start (RAMP_MOTO_STATE)";
      return false;
    }
    if (auto keys = pa::test::motoResetWithKeys(pa::test::motoUrl()); !keys) {
      ADD_FAILURE() << "moto reset failed: " << keys.error().describe();
      return false;
    }
    pa::AwsClientOptions o;
    o.region = "us-east-1";
    o.endpointOverride = pa::test::motoUrl();
    o.retry.base = Millis(5);
    o.account = "conformance-" + std::to_string(reinterpret_cast<uintptr_t>(this));
    clients_ = std::make_unique<pa::AwsRegionClients>(o, pa::test::testCredentials(), pa::AwsHttpClient::shared(),
                                                      SystemClock::instance(), pa::ThreadSleeper::instance(), budget_);
    provider_ = std::make_unique<aws::AwsInfraProvider>(o, pa::test::testCredentials(), pa::AwsHttpClient::shared(),
                                                        SystemClock::instance(), pa::ThreadSleeper::instance(),
                                                        budget_);
    auto& c = clients_->forRegion("us-east-1");
    auto subnets = c.query("ec2", "DescribeSubnets", {});
    if (!subnets) {
      ADD_FAILURE() << subnets.error().describe();
      return false;
    }
    std::string vpc;
    std::set<std::string> zones;
    for (auto& item : subnets->root().child("subnetSet").children("item")) {
      if (vpc.empty()) vpc = item.get("vpcId");
      if (item.get("vpcId") != vpc || zones.contains(item.get("availabilityZone"))) continue;
      zones.insert(item.get("availabilityZone"));
      if (subnets_.size() < 2) subnets_.push_back(item.get("subnetId"));
    }
    std::sort(subnets_.begin(), subnets_.end());
    if (subnets_.size() != 2) {
      ADD_FAILURE() << "moto has no two subnets in two zones";
      return false;
    }
    auto zone = pa::Route53Api(c).createHostedZone("example.com", "conformance");
    if (!zone) {
      ADD_FAILURE() << zone.error().describe();
      return false;
    }
    return true;
  }

  Resource res(const std::string& type, const std::string& local, const std::string& name, json attrs,
               const std::string& region = "us-east-1", std::vector<std::string> dependsOn = {}) {
    Resource r;
    r.type = type;
    r.name = name;
    r.region = region;
    r.address = type + "." + local + (region.empty() ? "" : "[" + region + "]");
    r.attributes = std::move(attrs);
    r.dependsOn = std::move(dependsOn);
    r.tags = {{"ramp:project", kProject},      {"ramp:env", kEnv},
              {"ramp:region", region.empty() ? "global" : region},
              {"ramp:address", r.address},     {"ramp:managed-by", "infra"}};
    return r;
  }
  Resource lb(const std::string& local, const std::string& name) {
    return res("aws_lb", local, name,
               {{"name", name}, {"type", "application"}, {"scheme", "internet-facing"}, {"ip_address_type", "ipv4"},
                {"subnets", subnets_}, {"security_groups", json::array()}, {"vpc", nullptr}});
  }
  Resource listener(const std::string& local, int port, const std::string& lbAddress) {
    return res("aws_lb_listener", local, "ramp-shop-prod-use1:" + std::to_string(port),
               {{"load_balancer", lbAddress}, {"port", port}, {"protocol", "HTTP"},
                {"default_action", "fixed-response:404"}},
               "us-east-1", {lbAddress});
  }
  Resource rule(const std::string& service, const std::string& listenerAddress) {
    return res("aws_lb_listener_rule", service, "ramp-shop-prod-use1/" + service,
               {{"listener", listenerAddress}, {"priority", service == "ghost" ? 30 : 10},
                {"condition", {{"host_header", {service + ".prod.example.com"}}}}, {"service", service}},
               "us-east-1", {listenerAddress});
  }
  Resource topic(const std::string& local, const std::string& region) {
    std::string name = "ramp-shop-prod-" + local;
    return res("aws_sns_topic", local, name, {{"name", name}}, region);
  }
  Resource alarm(const std::string& local, const std::string& lbAddress, const std::string& topicAddress) {
    std::string name = "ramp-shop-prod-" + local;
    return res("aws_cloudwatch_alarm", local, name,
               {{"name", name}, {"metric", "target_5xx_rate"}, {"namespace", "AWS/ApplicationELB"},
                {"metric_name", "HTTPCode_Target_5XX_Count"}, {"statistic", "Sum"}, {"extended_statistic", nullptr},
                {"divide_by", "RequestCount"}, {"comparison", "GreaterThanThreshold"}, {"threshold", 0.05},
                {"period", 60}, {"evaluation_periods", 3}, {"load_balancer", lbAddress},
                {"alarm_actions", {topicAddress}}},
               "us-east-1", {lbAddress, topicAddress});
  }
  Resource profile(const std::string& local, const std::string& name) {
    return res("aws_iam_instance_profile", local, name, {{"name", name}, {"path", "/"}}, "");
  }
  Resource record(const std::string& service, const std::string& lbAddress) {
    return res("aws_route53_record", service, service + ".prod.example.com",
               {{"zone", "example.com"}, {"name", service + ".prod.example.com"}, {"type", "A"}, {"alias", true},
                {"ttl", nullptr}, {"routing", "latency"},
                {"sets", json::array({{{"set_identifier", "us-east-1"}, {"target", lbAddress}, {"region", "us-east-1"}}})}},
               "", {lbAddress});
  }

  pa::RateBudget budget_{SystemClock::instance(), pa::ThreadSleeper::instance()};
  std::unique_ptr<pa::AwsRegionClients> clients_;
  std::unique_ptr<aws::AwsInfraProvider> provider_;
  std::vector<std::string> subnets_;
};

INSTANTIATE_TEST_SUITE_P(Aws, InfraProviderConformance,
                         ::testing::Values(ProviderFactory{"Aws", [] { return AwsWorld::make(); }}),
                         conformanceName);

}  // namespace
}  // namespace ramp::infra::conformance
