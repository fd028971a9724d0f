#include "config/Schema.h"

#include "config/ConfigKeys.h"

namespace ramp::config {

using nlohmann::json;

namespace {

const char* kDurationPattern = "^(0|([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?)$";
const char* kNamePattern = "^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$";

json str(const std::string& desc) { return json{{"type", "string"}, {"description", desc}}; }
json durationT(const std::string& desc) {
  return json{{"type", "string"}, {"pattern", kDurationPattern}, {"description", desc + " (e.g. 250ms, 30s, 5m, 1h30m)"}};
}
json integer(int64_t lo, int64_t hi, const std::string& desc) {
  return json{{"type", "integer"}, {"minimum", lo}, {"maximum", hi}, {"description", desc}};
}
json number(double lo, double hi, const std::string& desc) {
  return json{{"type", "number"}, {"minimum", lo}, {"maximum", hi}, {"description", desc}};
}
json boolean(const std::string& desc) { return json{{"type", "boolean"}, {"description", desc}}; }
json enumOf(const std::vector<std::string>& v, const std::string& desc) {
  return json{{"type", "string"}, {"enum", v}, {"description", desc}};
}
json listOf(json item, const std::string& desc) {
  return json{{"type", "array"}, {"items", std::move(item)}, {"description", desc}};
}
json object(json props, const std::string& desc, std::vector<std::string> required = {}) {
  json o{{"type", "object"}, {"properties", std::move(props)}, {"additionalProperties", false}, {"description", desc}};
  if (!required.empty()) o["required"] = required;
  return o;
}

json timeWindow(const std::string& desc) {
  return object({{"days", listOf(enumOf(keys::kDays, "day"), "days of the week (empty: every day)")},
                 {"hours", json{{"type", "string"}, {"pattern", "^[0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9]$"},
                                {"description", "HH:MM-HH:MM"}}},
                 {"timezone", str("IANA time zone, default UTC")}},
                desc);
}

json steps(const std::string& desc) {
  json weight = object({{"weight", integer(1, 100, "percent of traffic on the canary; increasing")}}, "", {"weight"});
  json pause = object({{"pause", json{{"anyOf", json::array({durationT("pause"), json{{"const", "until_resumed"}}})}}}},
                      "", {"pause"});
  json analysis = object(
      {{"analysis", object({{"duration", durationT("the step's deadline: collect until the evidence decides, at most this long; default analysis.deadline")}, {"interval", durationT("how often the judge looks, default 1s")}},
                           "judge the canary")}},
      "", {"analysis"});
  return listOf(json{{"oneOf", json::array({weight, pause, analysis})}}, desc);
}

json serviceProps() {
  return {
      {"release", object({{"from", str("directory holding the release, relative to the config")},
                          {"build", str("shell command that builds the release")},
                          {"output", str("directory the build command produces")},
                          {"image", str("aws: machine image of this release: ami-..., or ssm:<parameter name> resolved per region")}},
                         "how a release is made")},
      {"run", object({{"command", str("program of an instance, relative to the release root")},
                      {"args", listOf(json{{"type", "string"}}, "arguments; may hold ${env:X} / ${secret:X}")},
                      {"env", json{{"type", "object"},
                                   {"additionalProperties", json{{"type", json::array({"string", "number", "boolean", "null"})}}},
                                   {"description", "environment variables; values may hold references"}}},
                      {"port_env", str("variable carrying the instance's port, default PORT")}},
                     "how an instance runs", {"command"})},
      {"health", object({{"path", str("HTTP path, default /healthz")},
                         {"interval", durationT("check interval, default 1s")},
                         {"timeout", durationT("check timeout, default 500ms")},
                         {"healthy_threshold", integer(1, 100, "successes to become healthy, default 1")},
                         {"unhealthy_threshold", integer(1, 100, "failures to become unhealthy, default 3")}},
                        "health check")},
      {"instances", integer(1, 1000, "instances per fleet, default 1")},
      {"scaling", object({{"min", integer(1, 1000, "fewest instances")},
                          {"max", integer(1, 1000, "most instances")},
                          {"target_requests_per_instance", number(0, 1e9, "aws: ALBRequestCountPerTarget target (> 0)")},
                          {"target_cpu", number(0, 100, "aws: ASGAverageCPUUtilization target, percent (> 0)")}},
                         "target-tracking autoscaling; min <= instances <= max; exactly one target",
                         {"min", "max"})},
      {"instance_type", str("instance type (aws: EC2 type)")},
      {"strategy", object({{"type", enumOf(keys::kStrategies, "default bluegreen")},
                           {"bake", durationT("keep the previous fleet this long after the switch, default 0s")},
                           {"smoke_test", str("shell command run against the new fleet")},
                           {"deadline", durationT("the new fleet must be healthy within this, default 60s")},
                           {"drain", durationT("in-flight requests get this long on retirement, default 10s")},
                           {"steps", steps("canary steps")},
                           {"baseline", enumOf(keys::kBaselines, "default stable")},
                           {"pin", object({{"header", str("header name")}, {"cookie", str("cookie name")}},
                                          "pin chosen users to the canary")},
                           {"hotfix_steps", steps("canary steps for hotfixes")},
                           {"weight_lease", durationT("canary: the router holds the canary's weight this long unless "
                                                      "the controller renews it; 0 = no lease, else 1s..1h, default 10s")},
                           {"on_lease_expiry", enumOf(keys::kOnLeaseExpiry,
                                                      "canary: what the controller does when it finds the lease ran "
                                                      "out, default rollback")}},
                          "deployment strategy")},
      {"analysis",
       object({{"max_false_rollback", number(0.0001, 0.5, "bound on the chance that a healthy canary is rolled back by any metric at any step or look of a deployment, default 0.01")},
               {"max_false_pass", number(0.0001, 0.5, "bound on the chance that a worse canary passes an analysis, default 0.1")},
               {"error_rate_objective", number(0, 1, "a canary shown to err less than this (with confidence 1 - max_false_pass) passes, default 0.005; 0 = off")},
               {"error_rate_tolerance", number(0, 100, "at a step's deadline without a decision, a canary shown (confidence 1 - max_false_pass/4) to err less than max(baseline x (1 + this), error_rate_objective) passes; 0 = off, default 0")},
               {"min_requests", integer(1, 100000000, "requests needed on each side before a pass, default 100")},
               {"min_error_rate", number(0, 1, "canary error rates below this are never a regression (< 1), default 0.001")},
               {"latency_tolerance", number(0, 10, "accepted relative latency increase, default 0.1")},
               {"latency_deadline_tolerance", number(0, 10, "at a step's deadline without a decision, a canary whose median latency is shown (confidence 1 - max_false_pass/8 per bound) to be below max(baseline median x (1 + this), baseline median + 1 ms) passes its latency metric; 0 = off, default 0")},
               {"pass_score", number(0, 100, "score to pass, default 90")},
               {"marginal_score", number(0, 100, "below: fail; between: inconclusive, default 75")},
               {"groups", json{{"type", "object"}, {"additionalProperties", number(0, 100, "weight")},
                               {"description", "scoring group weights (sum at most 100); groups without one share the rest"}}},
               {"on_inconclusive", enumOf(keys::kOnInconclusive, "at an analysis step's deadline without a decision, default pause")},
               {"deadline", durationT("deadline of an analysis step that gives no duration, default 10m")},
               {"prometheus", object({{"url", str("http(s)://host:port of the Prometheus server")},
                                      {"timeout", durationT("per query, default 2s")}},
                                     "where metrics with prometheus queries are read", {"url"})},
               {"metrics", listOf(object({{"name", str("metric name")},
                                          {"kind", enumOf(keys::kMetricKinds, "metric kind")},
                                          {"critical", boolean("failing it fails the analysis")},
                                          {"weight", number(0.000001, 1000, "weight within its group, default 1")},
                                          {"group", str("scoring group, default the metric's name")},
                                          {"direction", enumOf(keys::kDirections, "which change is a regression (latency), default increase")},
                                          {"prometheus", object({{"total", str("PromQL: requests counter; {{fleet}} = the fleet")},
                                                                 {"successes", str("PromQL: successes counter (instead of total)")},
                                                                 {"errors", str("PromQL: failures counter")},
                                                                 {"histogram", str("PromQL: cumulative le buckets (seconds)")}},
                                                                "read the metric from Prometheus instead of the router")}},
                                         "", {"name", "kind"}),
                                  "metrics judged")}},
              "canary analysis thresholds")},
      {"alerts", listOf(object({{"webhook", str("http(s) URL (or sns)")},
                                {"secret", str("${secret:NAME} signing key (webhook only)")},
                                {"sns", str("SNS topic ARN arn:aws:sns:REGION:ACCOUNT:NAME (or webhook)")}},
                               "", {}),
                        "alert destinations")},
  };
}

}  // namespace

json configSchema() {
  json partial = object(serviceProps(), "service fields to override");
  json service = object(serviceProps(), "a service", {"run"});
  service["properties"]["overrides"] =
      object({{"env", json{{"type", "object"}, {"additionalProperties", partial}, {"description", "per environment"}}},
              {"region", json{{"type", "object"}, {"additionalProperties", partial}, {"description", "per region"}}}},
             "per-environment and per-region overrides of any service field");
  json environment = object(
      {{"provider", enumOf(keys::kProviders, "default local")},
       {"regions", listOf(json{{"type", "string"}, {"pattern", kNamePattern}}, "default [local] for local")},
       {"approval", object({{"approvals", integer(0, 10, "approvals needed, default 0")},
                            {"roles", listOf(json{{"type", "string"}}, "roles allowed to approve")},
                            {"window", timeWindow("deployments only inside this window")},
                            {"freeze", json{{"anyOf", json::array({timeWindow("freeze"), listOf(timeWindow("freeze"), "")})},
                                            {"description", "no deployments inside these windows"}}},
                            {"expires", durationT("pending approvals expire after this")}},
                           "approval policy")},
       {"router", object({{"port", integer(1, 65535, "fixed entry-point port")},
                          {"timeouts", object({{"head", durationT("first byte to end of a request head, default 10s")},
                                               {"idle", durationT("keep-alive wait for the next request, default 60s")},
                                               {"client", durationT("longest client stall mid-exchange, default 60s")},
                                               {"request", durationT("whole request (head + body), default 5m, 0s = none")},
                                               {"response", durationT("longest backend stall, default 60s")},
                                               {"connect", durationT("connecting to one instance, default 3s")},
                                               {"tunnel_idle", durationT("idle upgraded connection, default 1h, 0s = none")},
                                               {"upgrade_drain", durationT("upgraded connections of a drained fleet, default 5m, 0s = never")}},
                                              "client and backend timeouts")},
                          {"max_connections", integer(1, 10000000, "open client connections, default 100000")},
                          {"max_request_body", integer(0, int64_t{1} << 50, "bytes, default 0 = no cap")},
                          {"tls", object({{"certificates", listOf(object({{"cert", str("absolute path or ${secret:NAME}")},
                                                                         {"key", str("absolute path or ${secret:NAME}")}},
                                                                        "one certificate (the first is the default; SNI picks the others)"),
                                                                 "PEM certificate chains and keys")}},
                                         "HTTPS on the entry point")}},
                         "local router")},
       {"soak", durationT("time a release must run here before promotion")},
       {"auto_promote", boolean("promote to the next stage automatically")},
       {"aws", object({{"vpc", str("vpc-... id")},
                       {"subnets", listOf(json{{"type", "string"}}, "subnet-... ids, at least 2 (two Availability Zones)")},
                       {"security_groups", listOf(json{{"type", "string"}}, "sg-... ids")},
                       {"load_balancer", str("ALB name (default ramp-<project>-<env>-<region short>)")},
                       {"listener_port", integer(1, 65535, "ALB listener port, default 80")},
                       {"instance_port", integer(1, 65535, "port instances serve on, default 8080")},
                       {"image", str("default machine image: ami-... (one region), or ssm:<parameter name> resolved per region")},
                       {"bundle_bucket", str("S3 bucket of content-addressed release bundles")},
                       {"alarms", listOf(json{{"type", "string"}}, "CloudWatch alarms that trigger a rollback")},
                       {"region_settings",
                        json{{"type", "object"},
                             {"additionalProperties",
                              object({{"vpc", str("vpc-... id")},
                                      {"subnets", listOf(json{{"type", "string"}}, "subnet-... ids of this region, at least 2")},
                                      {"security_groups", listOf(json{{"type", "string"}}, "sg-... ids of this region")},
                                      {"certificate", str("ACM certificate ARN in this region")},
                                      {"image", str("machine image of this region: ami-... or ssm:<parameter name>")}},
                                     "network and certificate of one region")},
                             {"description", "per-region settings (infrastructure as code), by region"}}},
                       {"certificate", str("ACM certificate ARN: HTTPS listener on 443 + HTTP->HTTPS redirect")},
                       {"dns", object({{"zone", str("Route 53 hosted zone name, e.g. example.com")},
                                       {"name", str("record suffix: records are <service>.<name>; default <env>.<zone>")},
                                       {"routing", enumOf(keys::kDnsRouting, "default latency")},
                                       {"ttl", integer(0, 172800, "set: CNAME records with this TTL; unset: alias records")},
                                       {"drain", boolean("a deployment across regions takes a region out of DNS while it changes it (weighted routing)")}},
                                      "Route 53 records spreading users across regions", {"zone"})},
                       {"alarm_definitions",
                        listOf(object({{"name", str("alarm name")},
                                       {"metric", enumOf(keys::kAlarmMetrics, "load balancer metric")},
                                       {"threshold", number(0, 1e12, "the alarm fires above it")},
                                       {"period", durationT("10s, 30s or a multiple of 60s, default 60s")},
                                       {"evaluation_periods", integer(1, 100, "default 3")}},
                                      "", {"name", "metric", "threshold"}),
                               "CloudWatch alarms per region, notifying the SNS topic")},
                       {"notify_topic", str("SNS topic name, default ramp-<project>-<env>-alerts")},
                       {"instance_profile", str("IAM instance profile name, default ramp-<project>-<env>")}},
                      "settings of a provider: aws environment", {"subnets"})}},
      "an environment");
  json top = object(
      {{"version", json{{"const", 1}}},
       {"project", json{{"type", "string"}, {"pattern", kNamePattern}, {"description", "project name"}}},
       {"environments", json{{"type", "object"},
                             {"propertyNames", json{{"pattern", kNamePattern}}},
                             {"additionalProperties", json{{"anyOf", json::array({environment, json{{"type", "null"}}})}}},
                             {"description", "environments by name"}}},
       {"pipeline", listOf(json{{"type", "string"}}, "promotion order of environments")},
       {"services", json{{"type", "object"},
                         {"propertyNames", json{{"pattern", kNamePattern}}},
                         {"additionalProperties", service},
                         {"description", "services by name"}}}},
      "ramp configuration", {"project", "environments", "services"});
  top["$schema"] = "http://json-schema.org/draft-07/schema#";
  top["$id"] = "https://ramp.invalid/schema/ramp.yaml.json";
  top["title"] = "ramp.yaml";
  return top;
}

}  // namespace ramp::config
