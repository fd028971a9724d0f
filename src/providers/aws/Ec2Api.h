// Ec2Api.h — typed EC2 calls over AwsClient (EC2 protocol).
//
// Launch templates (one per fleet, created with a ClientToken so a retried
// create never makes a twin; the name is deterministic too, and a repeat
// with an existing name converges on the existing template), subnets (to
// check a fleet spans >= 2 Availability Zones) and instances. Describe calls
// follow NextToken pages (bounded). Errors: see AwsClient.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "providers/aws/AwsClient.h"

namespace ramp::providers::aws {

struct LaunchTemplateSpec {
  std::string name;
  std::string clientToken;                   // <= 64 ASCII characters
  std::string imageId;
  std::string instanceType;
  std::string userData;                      // plain text; sent base64-encoded
  std::vector<std::string> securityGroupIds;
  std::map<std::string, std::string> tags;   // on the template and its instances
};

struct LaunchTemplate {
  std::string id, name;
  long latestVersion = 0;
  std::map<std::string, std::string> tags;
};

struct Subnet {
  std::string id, vpcId, availabilityZone;
};

struct MachineImage {
  std::string id, state, name;  // state: available | pending | failed | ...
};

struct Ec2Instance {
  std::string id, state, privateIp, availabilityZone, imageId, instanceType;
};

class Ec2Api {
 public:
  explicit Ec2Api(AwsClient& client) : client_(client) {}

  // Creates, or returns the existing template of that name.
  Result<LaunchTemplate> createLaunchTemplate(const LaunchTemplateSpec& spec);
  // By names; all when empty. A missing name is simply absent from the answer.
  Result<std::vector<LaunchTemplate>> describeLaunchTemplates(const std::vector<std::string>& names = {});
  // Templates carrying tag key=value.
  Result<std::vector<LaunchTemplate>> launchTemplatesTagged(const std::string& key, const std::string& value);
  // Missing template = OK.
  Status deleteLaunchTemplate(const std::string& name);
  Result<std::vector<Subnet>> describeSubnets(const std::vector<std::string>& ids = {});
  Result<std::vector<Ec2Instance>> describeInstances(const std::vector<std::string>& ids);
  // The pending or running instances tagged key=value (every page).
  Result<std::vector<Ec2Instance>> instancesTagged(const std::string& key, const std::string& value);
  // Terminates the instances; one already terminated or gone is not an error.
  Status terminateInstances(const std::vector<std::string>& ids);
  // By image ids. An id that does not exist fails the call
  // (InvalidAMIID.NotFound / .Malformed: a permanent error).
  Result<std::vector<MachineImage>> describeImages(const std::vector<std::string>& ids);

  static std::string base64(std::string_view data);

 private:
  Result<std::vector<LaunchTemplate>> describeTemplates(const QueryParams& filter);
  AwsClient& client_;
};

}  // namespace ramp::providers::aws
