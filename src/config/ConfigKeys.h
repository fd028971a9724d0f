// ConfigKeys.h — the keys each map of the configuration accepts.
//
// One list per kind of map, shared by the reader (unknown-key errors and
// did-you-mean suggestions) and the JSON Schema (`ramp schema`), so the two
// cannot drift apart (tests/config checks the schema against these lists).
#pragma once

#include <string>
#include <vector>

namespace ramp::config::keys {

inline const std::vector<std::string> kTop{"version", "project", "environments", "pipeline", "services"};
inline const std::vector<std::string> kEnvironment{"provider", "regions", "approval", "router", "soak",
                                                   "auto_promote", "aws"};
inline const std::vector<std::string> kAws{"vpc", "subnets", "security_groups", "load_balancer", "listener_port",
                                           "instance_port", "image", "bundle_bucket", "alarms",
                                           "region_settings", "certificate", "dns", "alarm_definitions",
                                           "notify_topic", "instance_profile"};
inline const std::vector<std::string> kAwsRegion{"vpc", "subnets", "security_groups", "certificate", "image"};
inline const std::vector<std::string> kAwsDns{"zone", "name", "routing", "ttl", "drain"};
inline const std::vector<std::string> kAwsAlarmDefinition{"name", "metric", "threshold", "period",
                                                          "evaluation_periods"};
inline const std::vector<std::string> kApproval{"approvals", "roles", "window", "freeze", "expires"};
inline const std::vector<std::string> kTimeWindow{"days", "hours", "timezone"};
inline const std::vector<std::string> kRouter{"port", "timeouts", "max_connections", "max_request_body", "tls"};
inline const std::vector<std::string> kRouterTimeouts{"head", "idle", "client", "request", "response",
                                                      "connect", "tunnel_idle", "upgrade_drain"};
inline const std::vector<std::string> kRouterTls{"certificates"};
inline const std::vector<std::string> kRouterCertificate{"cert", "key"};
inline const std::vector<std::string> kService{"release", "run", "health", "instances", "instance_type",
                                               "strategy", "analysis", "alerts", "overrides", "scaling"};
inline const std::vector<std::string> kScaling{"min", "max", "target_requests_per_instance", "target_cpu"};
inline const std::vector<std::string> kRelease{"from", "build", "output", "image"};
inline const std::vector<std::string> kRun{"command", "args", "env", "port_env"};
inline const std::vector<std::string> kHealth{"path", "interval", "timeout", "healthy_threshold",
                                              "unhealthy_threshold"};
inline const std::vector<std::string> kStrategy{"type", "bake", "smoke_test", "deadline", "drain",
                                                "steps", "baseline", "pin", "hotfix_steps",
                                                "weight_lease", "on_lease_expiry"};
inline const std::vector<std::string> kStep{"weight", "pause", "analysis"};
inline const std::vector<std::string> kStepAnalysis{"duration", "interval"};
inline const std::vector<std::string> kPin{"header", "cookie"};
inline const std::vector<std::string> kAnalysis{"max_false_rollback", "max_false_pass", "min_requests",
                                                "latency_tolerance", "pass_score", "marginal_score",
                                                "on_inconclusive", "deadline", "metrics", "min_error_rate",
                                                "error_rate_objective", "error_rate_tolerance",
                                                "latency_deadline_tolerance", "groups", "prometheus"};
inline const std::vector<std::string> kMetric{"name", "kind", "critical", "weight", "group", "direction",
                                              "prometheus"};
inline const std::vector<std::string> kPrometheus{"url", "timeout"};
inline const std::vector<std::string> kMetricQueries{"total", "successes", "errors", "histogram"};
inline const std::vector<std::string> kDirections{"increase", "decrease", "either"};
inline const std::vector<std::string> kAlert{"webhook", "secret", "sns"};
inline const std::vector<std::string> kOverrides{"env", "region"};

inline const std::vector<std::string> kProviders{"local", "aws"};
inline const std::vector<std::string> kStrategies{"bluegreen", "canary", "all-at-once"};
inline const std::vector<std::string> kBaselines{"stable", "fresh"};
inline const std::vector<std::string> kOnInconclusive{"pause", "pause_at_zero", "rollback"};
inline const std::vector<std::string> kOnLeaseExpiry{"rollback", "resume"};
inline const std::vector<std::string> kMetricKinds{"error_rate", "latency"};
inline const std::vector<std::string> kDnsRouting{"latency", "weighted"};
inline const std::vector<std::string> kAlarmMetrics{"target_5xx_rate", "elb_5xx_count", "latency_p99",
                                                    "unhealthy_hosts"};
inline const std::vector<std::string> kDays{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

}  // namespace ramp::config::keys
