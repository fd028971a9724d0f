#include "infra/aws/IamApi.h"

#include "providers/aws/QueryProtocol.h"

namespace ramp::infra::aws {
namespace {

using providers::aws::tagParams;  // queryDone/queryDoneOrGone are found by their argument

using providers::aws::QueryParams;
using providers::aws::XmlNode;

InstanceProfile readProfile(const XmlNode& m) {
  InstanceProfile p;
  p.name = m.get("InstanceProfileName");
  p.arn = m.get("Arn");
  p.path = m.get("Path");
  for (auto& r : m.child("Roles").children("member")) p.roles.push_back(r.get("RoleName"));
  auto tags = m.child("Tags");
  p.tagsKnown = tags.valid();
  for (auto& t : tags.children("member")) p.tags[t.get("Key")] = t.get("Value");
  return p;
}

}  // namespace

Result<InstanceProfile> IamApi::createInstanceProfile(const std::string& name, const std::string& path,
                                                      const Tags& tags) {
  if (name.empty() || name.size() > 128) return invalid("instance profile name must be 1..128 characters", "name");
  QueryParams p{{"InstanceProfileName", name}, {"Path", path.empty() ? "/" : path}};
  tagParams(p, tags);
  auto doc = client_.query("iam", "CreateInstanceProfile", p);
  if (!doc) return std::unexpected(doc.error());
  auto out = readProfile(doc->root().find("InstanceProfile"));
  out.tags = tags;
  out.tagsKnown = true;
  return out;
}

Result<std::optional<InstanceProfile>> IamApi::getInstanceProfile(const std::string& name) {
  auto doc = client_.query("iam", "GetInstanceProfile", {{"InstanceProfileName", name}});
  if (!doc && doc.error().code == ErrorCode::kNotFound) return std::optional<InstanceProfile>();
  if (!doc) return std::unexpected(doc.error());
  auto p = readProfile(doc->root().find("InstanceProfile"));
  p.tagsKnown = true;  // GetInstanceProfile answers with the tags
  return std::optional<InstanceProfile>(std::move(p));
}

Result<std::vector<InstanceProfile>> IamApi::listInstanceProfiles(const std::string& pathPrefix) {
  std::vector<InstanceProfile> out;
  std::string marker;
  for (int page = 0; page < 1000; ++page) {
    QueryParams p{{"PathPrefix", pathPrefix.empty() ? "/" : pathPrefix}, {"MaxItems", "1000"}};
    if (!marker.empty()) p.emplace_back("Marker", marker);
    auto doc = client_.query("iam", "ListInstanceProfiles", p);
    if (!doc) return std::unexpected(doc.error());
    for (auto& m : doc->root().find("InstanceProfiles").children("member")) out.push_back(readProfile(m));
    if (doc->root().find("IsTruncated").text() != "true") break;
    marker = doc->root().find("Marker").text();
    if (marker.empty()) break;
  }
  return out;
}

Status IamApi::addRole(const std::string& profile, const std::string& role) {
  return queryDone(
      client_.query("iam", "AddRoleToInstanceProfile", {{"InstanceProfileName", profile}, {"RoleName", role}}));
}

Status IamApi::removeRole(const std::string& profile, const std::string& role) {
  return queryDoneOrGone(
      client_.query("iam", "RemoveRoleFromInstanceProfile", {{"InstanceProfileName", profile}, {"RoleName", role}}));
}

Status IamApi::tagInstanceProfile(const std::string& name, const Tags& tags) {
  if (tags.empty()) return ok();
  QueryParams p{{"InstanceProfileName", name}};
  tagParams(p, tags);
  return queryDone(client_.query("iam", "TagInstanceProfile", p));
}

Status IamApi::deleteInstanceProfile(const std::string& name) {
  auto current = getInstanceProfile(name);
  if (!current) return std::unexpected(current.error());
  if (!*current) return ok();
  for (const auto& role : (*current)->roles) {
    if (auto s = removeRole(name, role); !s) return s;
  }
  return queryDoneOrGone(client_.query("iam", "DeleteInstanceProfile", {{"InstanceProfileName", name}}));
}

}  // namespace ramp::infra::aws
