// Resource.h — one piece of infrastructure, as desired and as it is.
//
// The infrastructure-as-code layer (docs/infra.md) turns each environment ×
// region of the config into a graph of typed Resources. A Resource is the
// *desired* form (from config); a ResourceState is what exists (from the
// store's state, refreshed from the provider). Both carry only the
// attributes ramp manages, as a flat JSON object with sorted keys, so a plan
// is a key-by-key comparison.
//
// Addresses are unique within a project and stable across runs:
//   <type>.<name>            global resources (Route 53 records)
//   <type>.<name>[<region>]  regional resources
// Types (provider "aws"): aws_lb, aws_lb_listener, aws_lb_listener_rule,
// aws_cloudwatch_alarm, aws_sns_topic, aws_iam_instance_profile,
// aws_route53_record. Provider "local": local_listener (a router entry
// point). Fleets (Auto Scaling groups, launch templates, target groups) and
// listener weights are never Resources: they belong to the deployment
// engine and show up in plans and drift reports only as "managed by
// deployments".
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ramp::infra {

// What names a resource, desired or as it is (both below): its address and
// type, its name in its provider and its region.
struct ResourceIdentity {
  std::string address;                  // unique, stable (see above)
  std::string type;                     // aws_lb, ..., local_listener
  std::string name;                     // the resource's name in its provider
  std::string region;                   // "" = global
};

struct Resource : ResourceIdentity {
  nlohmann::json attributes = nlohmann::json::object();  // managed attributes only
  std::vector<std::string> dependsOn;   // addresses that must exist first
  std::vector<std::string> forceNew;    // attributes whose change means replace
  nlohmann::json tags = nlohmann::json::object();  // ramp:project, ramp:env, ramp:region, ramp:address
};

struct ResourceState : ResourceIdentity {
  std::string id;                       // the provider's id (ARN, zone/record key, ...)
  nlohmann::json attributes = nlohmann::json::object();
};

}  // namespace ramp::infra
