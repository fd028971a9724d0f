// Model.h — the typed configuration: what one ramp.yaml (or a directory of
// YAML files, merged) describes. docs/config.md is the field reference.
//
// A Config is produced only by the loader (ConfigLoader.h), which has checked
// every field; code holding a Config can rely on the invariants documented
// here (names exist, durations parsed, weights 1..100 increasing, ...).
// Services keep their raw tree (ServiceDefinition::node) because overrides
// are applied to the tree, per environment and region, before the typed
// Service is built (EffectiveService.h).
//
// Strings that may hold references (${env:NAME}, ${secret:NAME}) are kept
// unresolved everywhere in the model; see Reference.h.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/ConfigNode.h"

namespace ramp::config {

using std::chrono::milliseconds;

// A weekly time window: days (mon..sun), hours "HH:MM-HH:MM", an IANA zone.
struct TimeWindow {
  std::vector<std::string> days;  // empty = every day
  std::string hours;              // empty = all day
  std::string timezone = "UTC";
};

struct ApprovalPolicy {
  int approvals = 0;                  // approvals needed to deploy into the environment
  std::vector<std::string> roles;     // roles allowed to approve (empty = any approver)
  std::optional<TimeWindow> window;   // deployments only inside this window
  std::vector<TimeWindow> freeze;     // never inside these windows
  std::optional<milliseconds> expires;  // a pending request expires after this
};

// One TLS certificate of an entry point: each file an absolute path or
// ${secret:NAME} (ramp's secret store).
struct RouterCertificate {
  std::string cert;  // PEM chain
  std::string key;   // PEM private key
};

// The local router's entry point of an environment (docs/router.md
// "Timeouts and limits", "TLS"). Unset keys keep the router's defaults.
struct RouterSettings {
  std::optional<int> port;  // fixed entry-point port (local provider); none = any free port
  std::map<std::string, milliseconds> timeouts;  // keys::kRouterTimeouts; request/tunnel_idle/upgrade_drain may be 0 (none)
  std::optional<int64_t> maxConnections;
  std::optional<int64_t> maxRequestBody;         // bytes, 0 = no cap
  std::vector<RouterCertificate> certificates;   // empty: plain HTTP
};

// Per-region network and certificate of an aws environment
// (aws.region_settings.<region>); empty fields fall back to the
// environment's top-level aws values.
struct AwsRegionSettings {
  std::string vpc;
  std::vector<std::string> subnets;
  std::vector<std::string> securityGroups;
  std::string certificate;  // ACM ARN
  std::string image;        // this region's machine image: ami-..., or ssm:<parameter name>
};

// Route 53 records of an aws environment (aws.dns): one record per service,
// `<service>.<name>`, with one record set per region.
struct AwsDns {
  std::string zone;                 // hosted zone name, e.g. example.com
  std::string name;                 // record suffix; empty = <env>.<zone>
  std::string routing = "latency";  // latency | weighted (equal weights)
  std::optional<int> ttl;           // set = CNAME records with this TTL; none = alias A records
  // A deployment across regions takes a region out of DNS (weight 0) before
  // it changes that region's traffic and puts it back after (weighted only).
  bool drain = false;
};

// A CloudWatch alarm made by infrastructure as code (aws.alarm_definitions[]).
struct AwsAlarmDefinition {
  std::string name;
  std::string metric;               // target_5xx_rate | elb_5xx_count | latency_p99 | unhealthy_hosts
  double threshold = 0;
  milliseconds period{60000};
  int evaluationPeriods = 3;
};

// Settings of a `provider: aws` environment (providers/aws/AwsEnvironment.h).
struct AwsSettings {
  std::string vpc;                          // vpc-...
  std::vector<std::string> subnets;         // subnet-..., at least 2 (two Availability Zones)
  std::vector<std::string> securityGroups;  // sg-...
  std::string loadBalancer;                 // ALB name; empty = ramp-<project>-<env>-<region short> (AwsResourceNames.h)
  int listenerPort = 80;
  int instancePort = 8080;
  // Default machine image of every region: ami-... (one region only: AMIs
  // are regional) or ssm:<parameter name> (resolved in each region);
  // region_settings.<region>.image overrides it; a release may name its own.
  std::string image;
  std::string bundleBucket;                 // S3 bucket of release bundles; empty = the AMI carries the release
  std::vector<std::string> alarms;          // CloudWatch alarms that trigger a rollback
  // Infrastructure as code (docs/infra.md).
  std::map<std::string, AwsRegionSettings> regionSettings;  // by region (each one of the env's regions)
  std::string certificate;                  // ACM ARN for every region; set = HTTPS on 443 + HTTP redirect
  std::optional<AwsDns> dns;                // none = no Route 53 records
  std::vector<AwsAlarmDefinition> alarmDefinitions;
  std::string notifyTopic;                  // SNS topic name; empty = ramp-<project>-<env>-alerts
  std::string instanceProfile;              // IAM instance profile; empty = ramp-<project>-<env>
};

struct Environment {
  std::string name;
  std::string provider = "local";     // local | aws
  std::vector<std::string> regions;   // never empty ("local" by default for local)
  ApprovalPolicy approval;
  RouterSettings router;
  milliseconds soak{0};               // a release must run this long here before promotion
  bool autoPromote = false;           // promote into the next stage by itself on success
  std::optional<AwsSettings> aws;     // set (and required) when provider is aws
};

struct ReleaseSource {
  std::string from;    // a directory holding the release (relative to the config's directory)
  std::string build;   // or: a shell command that builds it (run in the config's directory)...
  std::string output;  // ...into this directory
  std::string image;   // aws: the machine image of this release: ami-... or ssm:<parameter name> (per region)
};

struct RunSettings {
  std::string command;                      // relative to the release root, or absolute
  std::vector<std::string> args;
  std::map<std::string, std::string> env;   // values may hold references
  std::string portEnv = "PORT";             // the variable that carries the instance's port
};

struct HealthCheck {
  std::string path = "/healthz";
  milliseconds interval{1000};
  milliseconds timeout{500};
  int healthyThreshold = 1;
  int unhealthyThreshold = 3;
};

struct Step {
  enum class Kind { kWeight, kPause, kAnalysis };
  Kind kind = Kind::kWeight;
  int weight = 0;                          // kWeight: 1..100
  std::optional<milliseconds> pause;       // kPause: nullopt = until resumed
  milliseconds analysisDuration{0};        // kAnalysis: the step's deadline (unset in ramp.yaml: analysis.deadline)
  milliseconds analysisInterval{1000};     // kAnalysis: the judge looks this often (its tests are valid at every look)
};

struct Pinning {
  std::string header;
  std::string cookie;
};

struct Strategy {
  std::string type = "bluegreen";   // bluegreen | canary | all-at-once
  milliseconds bake{0};             // keep the previous fleet ready this long after the switch
  std::string smokeTest;            // shell command run against the new fleet; empty = none
  milliseconds deadline{60000};     // the new fleet must be healthy within this
  milliseconds drain{10000};        // in-flight requests get this long when a fleet retires
  std::vector<Step> steps;          // canary only; non-empty for canary
  std::string baseline = "stable";  // stable | fresh
  std::optional<Pinning> pin;
  std::vector<Step> hotfixSteps;    // canary steps used by hotfixes (empty = `steps`)
  // Canary: the router holds the canary's weight only this long unless the
  // controller renews it (0 = no lease); unset = 10s. What the controller
  // does when it finds the lease ran out: rollback (unset) | resume.
  std::optional<milliseconds> weightLease;
  std::optional<std::string> onLeaseExpiry;
};

// PromQL queries of a metric read from Prometheus ({{fleet}} stands for the
// fleet being measured: the canary's, then the baseline's). error_rate:
// `errors` and one of `total` / `successes`, each a counter (cumulative);
// latency: `histogram`, the cumulative `le` buckets of a histogram in seconds.
struct MetricQueries {
  std::string total;
  std::string successes;
  std::string errors;
  std::string histogram;
};

struct Metric {
  std::string name;
  std::string kind;        // error_rate | latency
  bool critical = false;   // a failing critical metric fails the analysis outright
  double weight = 1.0;     // within its group
  std::string group;       // scoring group; empty = the metric's name
  std::string direction;   // latency: increase | decrease | either; empty = increase
  std::optional<MetricQueries> prometheus;  // absent: the router's counters
};

struct PrometheusSource {
  std::string url;                  // http(s)://host:port of the Prometheus server
  milliseconds timeout{2000};       // per query
};

struct AnalysisSettings {
  double maxFalseRollback = 0.01;   // over the whole deployment: every metric, step and look
  std::optional<double> maxFalsePass;        // unset = the judge's 0.1
  std::optional<double> errorRateObjective;  // unset = the judge's 0.005
  // The bounded-harm pass at a step's deadline (src/analysis/HarmBound.h);
  // unset = the judge's 0 (off).
  std::optional<double> errorRateTolerance;
  // The bounded-harm pass for latency at a step's deadline (HarmBound.h);
  // unset = the judge's 0 (off).
  std::optional<double> latencyDeadlineTolerance;
  std::map<std::string, double> groups;      // scoring group weights
  std::optional<PrometheusSource> prometheus;
  int minRequests = 100;
  // Canary error rates below this are never a regression; unset = the
  // judge's default (0.001). Lower it for services that make almost no errors.
  std::optional<double> minErrorRate;
  double latencyTolerance = 0.1;
  double passScore = 90;
  double marginalScore = 75;
  std::string onInconclusive = "pause";  // pause | pause_at_zero | rollback
  milliseconds deadline{600000};
  std::vector<Metric> metrics;           // never empty after loading (defaults filled in)
};

// Exactly one destination: a webhook URL (+ optional signing secret) or an
// SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME).
struct Alert {
  std::string webhook;  // URL; may hold references
  std::string secret;   // a reference (HMAC key for the payload signature), or empty
  std::string sns;      // SNS topic ARN, or empty
};

// Target-tracking autoscaling of a fleet (aws: an Auto Scaling policy).
// min <= instances <= max (instances is the size of a first fleet; a later
// fleet starts at the current fleet's capacity). Exactly one target is set.
struct Scaling {
  int min = 1;
  int max = 1;
  std::optional<double> targetRequestsPerInstance;  // ALBRequestCountPerTarget
  std::optional<double> targetCpu;                  // ASGAverageCPUUtilization, percent
};

// One service after overrides for one environment and region.
struct Service {
  std::string name;
  ReleaseSource release;
  RunSettings run;
  std::optional<HealthCheck> health;
  int instances = 1;
  std::optional<Scaling> scaling;  // absent: fixed size (min = max = instances)
  std::string instanceType;
  Strategy strategy;
  AnalysisSettings analysis;
  std::vector<Alert> alerts;
};

// A service as written: its raw tree, with `overrides` inside.
struct ServiceDefinition {
  std::string name;
  ConfigNode node;
};

struct Config {
  std::string project;
  std::filesystem::path baseDir;          // directory of the config (relative paths start here)
  std::vector<std::string> files;         // the files read, in merge order
  std::vector<Environment> environments;  // in declaration order
  std::vector<std::string> pipeline;      // environment names, promotion order
  std::vector<ServiceDefinition> services;

  const Environment* environment(std::string_view name) const;
  const ServiceDefinition* service(std::string_view name) const;
  std::vector<std::string> environmentNames() const;
  std::vector<std::string> serviceNames() const;
};

}  // namespace ramp::config
