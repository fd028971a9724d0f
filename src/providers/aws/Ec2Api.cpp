#include "providers/aws/Ec2Api.h"

#include <algorithm>

#include "providers/aws/AwsError.h"
#include "providers/aws/QueryProtocol.h"

namespace ramp::providers::aws {
namespace {

constexpr const char* kSvc = "ec2";

void indexed(QueryParams& p, const std::string& prefix, const std::vector<std::string>& values) {
  for (size_t i = 0; i < values.size(); ++i) p.emplace_back(prefix + "." + std::to_string(i + 1), values[i]);
}

// One tag specification: <prefix>.ResourceType, <prefix>.Tag.N.Key / .Value.
void tagSpecParams(QueryParams& p, const std::string& prefix, const char* resourceType,
                   const std::map<std::string, std::string>& tags) {
  p.emplace_back(prefix + ".ResourceType", resourceType);
  int i = 0;
  for (const auto& [key, value] : tags) {
    std::string t = prefix + ".Tag." + std::to_string(++i);
    p.emplace_back(t + ".Key", key);
    p.emplace_back(t + ".Value", value);
  }
}

LaunchTemplate readTemplate(const XmlNode& n) {
  LaunchTemplate t;
  t.id = n.get("launchTemplateId");
  t.name = n.get("launchTemplateName");
  try {
    t.latestVersion = std::stol(n.get("latestVersionNumber"));
  } catch (...) {
    t.latestVersion = 0;
  }
  for (auto& tag : n.child("tagSet").children("item")) t.tags[tag.get("key")] = tag.get("value");
  return t;
}

// The instances of a DescribeInstances answer (every reservation's), appended to `out`.
void readInstances(const XmlNode& answer, std::vector<Ec2Instance>& out) {
  for (auto& r : answer.child("reservationSet").children("item")) {
    for (auto& i : r.child("instancesSet").children("item")) {
      out.push_back({i.get("instanceId"), i.path("instanceState/name").text(), i.get("privateIpAddress"),
                     i.path("placement/availabilityZone").text(), i.get("imageId"), i.get("instanceType")});
    }
  }
}

// Every item of `set` in the answer of `action` for the resources `ids`
// (sent as idParam.1, idParam.2, ...), each read by `read`.
template <class T, class Read>
Result<std::vector<T>> describeByIds(AwsClient& client, const char* action, const char* idParam,
                                     const std::vector<std::string>& ids, const char* set, Read read) {
  QueryParams p;
  indexed(p, idParam, ids);
  auto doc = client.query(kSvc, action, p);
  if (!doc) return std::unexpected(doc.error());
  std::vector<T> out;
  for (auto& item : doc->root().child(set).children("item")) out.push_back(read(item));
  return out;
}

// The ids one call of a batched action takes: at most `size`, from `start`.
std::vector<std::string> batchOf(const std::vector<std::string>& ids, size_t start, size_t size) {
  return {ids.begin() + static_cast<long>(start), ids.begin() + static_cast<long>(std::min(ids.size(), start + size))};
}

}  // namespace

std::string Ec2Api::base64(std::string_view data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8) | uint8_t(data[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (size_t rest = data.size() - i; rest > 0) {
    uint32_t v = uint8_t(data[i]) << 16;
    if (rest == 2) v |= uint8_t(data[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<LaunchTemplate> Ec2Api::createLaunchTemplate(const LaunchTemplateSpec& spec) {
  if (spec.name.size() < 3 || spec.name.size() > 128) return invalid("launch template name must be 3..128 characters", "name");
  if (spec.clientToken.size() > 64) return invalid("client token must be at most 64 characters", "clientToken");
  if (spec.imageId.empty()) return invalid("an image (AMI id) is required", "imageId");
  QueryParams p{{"LaunchTemplateName", spec.name}, {"LaunchTemplateData.ImageId", spec.imageId}};
  if (!spec.clientToken.empty()) p.emplace_back("ClientToken", spec.clientToken);
  if (!spec.instanceType.empty()) p.emplace_back("LaunchTemplateData.InstanceType", spec.instanceType);
  if (!spec.userData.empty()) p.emplace_back("LaunchTemplateData.UserData", base64(spec.userData));
  indexed(p, "LaunchTemplateData.SecurityGroupId", spec.securityGroupIds);
  // The template carries the tags, and so does every instance launched from it.
  tagSpecParams(p, "TagSpecification.1", "launch-template", spec.tags);
  tagSpecParams(p, "LaunchTemplateData.TagSpecification.1", "instance", spec.tags);
  auto doc = client_.query(kSvc, "CreateLaunchTemplate", p);
  if (!doc) {
    auto code = AwsError::codeOf(doc.error());
    if (code.find("AlreadyExists") != std::string::npos || doc.error().code == ErrorCode::kConflict) {
      auto existing = describeLaunchTemplates({spec.name});
      if (!existing) return std::unexpected(existing.error());
      if (!existing->empty()) return existing->front();
    }
    return std::unexpected(doc.error());
  }
  auto t = doc->root().find("launchTemplate");
  if (!t.valid()) return internal("CreateLaunchTemplate answer has no template", "aws:ec2:CreateLaunchTemplate");
  return readTemplate(t);
}

Result<std::vector<LaunchTemplate>> Ec2Api::describeTemplates(const QueryParams& filter) {
  std::vector<LaunchTemplate> out;
  QueryParams p = filter;
  p.emplace_back("MaxResults", "200");
  auto paged = queryPages(client_, kSvc, "DescribeLaunchTemplates", p, kEc2NextToken, 1000, [&out](const XmlNode& answer) {
    for (auto& item : answer.child("launchTemplates").children("item")) out.push_back(readTemplate(item));
  });
  if (!paged) return std::unexpected(paged.error());
  return out;
}

Result<std::vector<LaunchTemplate>> Ec2Api::describeLaunchTemplates(const std::vector<std::string>& names) {
  if (names.empty()) return describeTemplates({});
  // By name via a filter: a name that does not exist is simply not listed
  // (LaunchTemplateName.N would fail the whole call).
  QueryParams p{{"Filter.1.Name", "launch-template-name"}};
  indexed(p, "Filter.1.Value", names);
  return describeTemplates(p);
}

Result<std::vector<LaunchTemplate>> Ec2Api::launchTemplatesTagged(const std::string& key, const std::string& value) {
  return describeTemplates({{"Filter.1.Name", "tag:" + key}, {"Filter.1.Value.1", value}});
}

Status Ec2Api::deleteLaunchTemplate(const std::string& name) {
  auto doc = client_.query(kSvc, "DeleteLaunchTemplate", {{"LaunchTemplateName", name}});
  if (!doc) {
    if (doc.error().code == ErrorCode::kNotFound || AwsError::codeOf(doc.error()).find("NotFound") != std::string::npos) {
      return ok();
    }
    // A retried delete whose first attempt went through (the answer was
    // lost) finds no template; AWS says InvalidLaunchTemplateName.NotFound,
    // moto says MissingParameter. Either way, gone is the goal: when the
    // name is not listed any more, the delete is done.
    if (!name.empty() && AwsError::codeOf(doc.error()) == "MissingParameter") {
      auto left = describeLaunchTemplates({name});
      if (left && left->empty()) return ok();
    }
    return std::unexpected(doc.error());
  }
  return ok();
}

Result<std::vector<Subnet>> Ec2Api::describeSubnets(const std::vector<std::string>& ids) {
  return describeByIds<Subnet>(client_, "DescribeSubnets", "SubnetId", ids, "subnetSet", [](const XmlNode& item) {
    return Subnet{item.get("subnetId"), item.get("vpcId"), item.get("availabilityZone")};
  });
}

Result<std::vector<MachineImage>> Ec2Api::describeImages(const std::vector<std::string>& ids) {
  if (ids.empty()) return std::vector<MachineImage>{};
  return describeByIds<MachineImage>(client_, "DescribeImages", "ImageId", ids, "imagesSet", [](const XmlNode& item) {
    return MachineImage{item.get("imageId"), item.get("imageState"), item.get("name")};
  });
}

Result<std::vector<Ec2Instance>> Ec2Api::describeInstances(const std::vector<std::string>& ids) {
  std::vector<Ec2Instance> out;
  if (ids.empty()) return out;
  for (size_t start = 0; start < ids.size(); start += 100) {
    QueryParams p;
    auto batch = batchOf(ids, start, 100);
    indexed(p, "InstanceId", batch);
    auto doc = client_.query(kSvc, "DescribeInstances", p);
    if (!doc) return std::unexpected(doc.error());
    readInstances(doc->root(), out);
  }
  return out;
}

Result<std::vector<Ec2Instance>> Ec2Api::instancesTagged(const std::string& key, const std::string& value) {
  std::vector<Ec2Instance> out;
  QueryParams p{{"Filter.1.Name", "tag:" + key},
                {"Filter.1.Value.1", value},
                {"Filter.2.Name", "instance-state-name"},
                {"Filter.2.Value.1", "pending"},
                {"Filter.2.Value.2", "running"}};
  // bounded: 50 pages of up to 1,000
  auto paged = queryPages(client_, kSvc, "DescribeInstances", p, kEc2NextToken, 50,
                          [&out](const XmlNode& answer) { readInstances(answer, out); });
  if (!paged) return std::unexpected(paged.error());
  return out;
}

Status Ec2Api::terminateInstances(const std::vector<std::string>& ids) {
  for (size_t start = 0; start < ids.size(); start += 1000) {
    QueryParams p;
    auto batch = batchOf(ids, start, 1000);
    indexed(p, "InstanceId", batch);
    auto doc = client_.query(kSvc, "TerminateInstances", p);
    if (!doc && doc.error().code != ErrorCode::kNotFound &&
        AwsError::codeOf(doc.error()).find("NotFound") == std::string::npos) {
      return std::unexpected(doc.error());
    }
  }
  return ok();
}

}  // namespace ramp::providers::aws
