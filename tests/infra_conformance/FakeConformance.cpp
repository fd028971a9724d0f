// The conformance suite on FakeInfraProvider (ManualClock: no real waiting),
// with resources shaped like the aws ones DesiredGraph makes: load balancer,
// listener (depends on it), topic, alarm (load balancer and topic), in two
// regions, plus a global instance profile and a Route 53 record.
#include "InfraProviderConformance.h"
#include "infra/FakeInfraProvider.h"

namespace ramp::infra::conformance {
namespace {

using nlohmann::json;

class FakeWorld final : public ConformanceWorld {
 public:
  FakeWorld() : fake_(clock_, FakeInfraProvider::Options{}) {}
  InfraProvider& provider() override { return fake_; }

  std::vector<Resource> resources() override {
    std::vector<Resource> out;
    for (const std::string region : {"us-east-1", "eu-west-1"}) {
      std::string lb = "aws_lb.main[" + region + "]", topic = "aws_sns_topic.alerts[" + region + "]";
      out.push_back(res("aws_lb", "main", "ramp-shop-prod-" + region, region,
                        {{"name", "ramp-shop-prod-" + region}, {"scheme", "internet-facing"},
                         {"security_groups", json::array({"sg-1"})}},
                        {}, {"name", "scheme"}));
      out.push_back(res("aws_lb_listener", "http", "ramp-shop-prod-" + region + ":80", region,
                        {{"load_balancer", lb}, {"port", 80}, {"protocol", "HTTP"},
                         {"default_action", "fixed-response:404"}},
                        {lb}, {"load_balancer", "port", "protocol"}));
      out.push_back(res("aws_sns_topic", "alerts", "ramp-shop-prod-alerts", region,
                        {{"name", "ramp-shop-prod-alerts"}}, {}, {"name"}));
      out.push_back(res("aws_cloudwatch_alarm", "errors", "ramp-shop-prod-errors", region,
                        {{"name", "ramp-shop-prod-errors"}, {"threshold", 5}, {"load_balancer", lb},
                         {"alarm_actions", json::array({topic})}},
                        {lb, topic}, {"name"}));
    }
    out.push_back(res("aws_iam_instance_profile", "main", "ramp-shop-prod", "", {{"name", "ramp-shop-prod"}, {"path", "/"}},
                      {}, {"name"}));
    out.push_back(res("aws_route53_record", "web", "web.prod.example.com", "",
                      {{"name", "web.prod.example.com"},
                       {"sets", json::array({{{"set_identifier", "us-east-1"}, {"target", "aws_lb.main[us-east-1]"}}})}},
                      {"aws_lb.main[us-east-1]"}, {}));
    return out;
  }

  std::optional<Resource> changed(const Resource& r) override {
    Resource c = r;
    if (r.type == "aws_lb") c.attributes["security_groups"] = json::array({"sg-2"});
    else if (r.type == "aws_lb_listener") c.attributes["default_action"] = "redirect:HTTPS:443";
    else if (r.type == "aws_cloudwatch_alarm") c.attributes["threshold"] = 7.5;
    else if (r.type == "aws_route53_record") c.attributes["sets"][0]["weight"] = 1;
    else return std::nullopt;
    return c;
  }

  Resource absent(const Resource& r) override {
    Resource a = r;
    a.name = "ghost-" + r.name;
    a.address = r.type + ".ghost" + (r.region.empty() ? "" : "[" + r.region + "]");
    a.tags["ramp:address"] = a.address;
    if (a.attributes.contains("name")) a.attributes["name"] = a.name;
    return a;
  }

  std::vector<Resource> refused() override {
    // The fake refuses to make a second resource at an address that exists
    // under another client token (a conflict naming the address).
    std::vector<Resource> all = resources();
    return {all.front()};
  }

 private:
  static Resource res(const std::string& type, const std::string& local, const std::string& name,
                      const std::string& region, json attrs, std::vector<std::string> deps,
                      std::vector<std::string> forceNew) {
    Resource r;
    r.type = type;
    r.name = name;
    r.region = region;
    r.address = type + "." + local + (region.empty() ? "" : "[" + region + "]");
    r.attributes = std::move(attrs);
    r.dependsOn = std::move(deps);
    r.forceNew = std::move(forceNew);
    r.tags = {{"ramp:project", kProject},      {"ramp:env", kEnv},
              {"ramp:region", region.empty() ? "global" : region},
              {"ramp:address", r.address},     {"ramp:managed-by", "infra"}};
    return r;
  }

  ManualClock clock_;
  FakeInfraProvider fake_;
};

INSTANTIATE_TEST_SUITE_P(Fake, InfraProviderConformance,
                         ::testing::Values(ProviderFactory{"Fake", [] { return std::make_unique<FakeWorld>(); }}),
                         conformanceName);

}  // namespace
}  // namespace ramp::infra::conformance
