// DesiredGraph.h — the infrastructure an environment's configuration asks
// for: typed Resources with their dependencies, per environment × region.
//
// desiredResources(cfg, env, regions) — regions empty = every region of the
// environment; a region that is not one of the environment's is refused
// (kInvalid, where "--region"). Global resources (Route 53 records, the IAM
// instance profile) are always included. The result is sorted by address
// and is a pure function of the config (same config → same bytes).
//
// aws environment (docs/infra.md, "Resources"), per region R (names from
// config/AwsResourceNames.h, which the deployment providers read too):
//   aws_lb.main[R]                    one ALB per env × region; name = aws.load_balancer
//                                     or ramp-<project>-<env>-<region short> (≤ 32 chars)
//   aws_lb_listener.http[R]           HTTP on aws.listener_port (default 80); with a
//                                     certificate it only redirects to HTTPS
//   aws_lb_listener.https[R]          HTTPS on 443 with the region's certificate (if any)
//   aws_lb_listener_rule.<svc>[R]     one per service: host <svc>.<dns name> (dns set) or
//                                     path /<svc>, /<svc>/* (no dns); the rule (priority,
//                                     condition) is infrastructure's, its forward action
//                                     and weights belong to deployments
//   aws_sns_topic.alerts[R]           aws.notify_topic (default ramp-<project>-<env>-alerts)
//   aws_cloudwatch_alarm.<svc>/<def>[R]  per service and aws.alarm_definitions entry, on the
//                                     region's ALB, notifying the topic; the service's
//                                     rollback triggers (a target-group metric watches the
//                                     service's newest fleet: deployments set that dimension)
// global: aws_iam_instance_profile.main, aws_route53_record.<svc> (one record
// set per region: latency or equal weights, to that region's ALB).
// local environment: local_listener.<svc>[R] (the router's entry point; port
// from router.port, null = any free port).
//
// An attribute the config leaves open (no vpc, no router.port) is left out,
// not null: only attributes present in the desired form are compared, so a
// refresh never sees a change in something ramp does not manage.
// Attributes whose value names another resource (e.g. "load_balancer":
// "aws_lb.main[us-east-1]") are addresses: the provider resolves them from
// the `dependencies` it is given. Tags on every resource: ramp:project,
// ramp:env, ramp:region ("global" for global ones), ramp:address,
// ramp:managed-by = infra.
#pragma once

#include <string>
#include <vector>

#include "config/Model.h"
#include "core/Result.h"
#include "infra/Resource.h"

namespace ramp::infra {

Result<std::vector<Resource>> desiredResources(const config::Config& cfg, const std::string& env,
                                               const std::vector<std::string>& regions);

// Address helpers: "<type>.<name>[<region>]" or "<type>.<name>" when region is "".
std::string addressOf(const std::string& type, const std::string& name, const std::string& region);

// The tags infrastructure as code puts on a resource: ramp:project,
// ramp:env, ramp:region ("global" for ""), ramp:address, ramp:managed-by =
// infra.
nlohmann::json infraTags(const std::string& project, const std::string& env, const std::string& region,
                         const std::string& address);

// A recorded resource as a Resource to read back: its recorded name and
// attributes and the tags it was made with, so that the provider resolves
// its references (load balancer, listener, topic) within its own project
// and environment, never another environment's resource at the same address.
Resource recordedResource(const std::string& project, const std::string& env, const ResourceState& rs);

}  // namespace ramp::infra
