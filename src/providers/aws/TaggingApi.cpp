#include "providers/aws/TaggingApi.h"

namespace ramp::providers::aws {
namespace {

// A string member, "" when absent or null (moto answers "PaginationToken": null).
std::string text(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return {};
  return j[key].get<std::string>();
}

}  // namespace

Result<std::vector<TaggedResource>> TaggingApi::getResources(
    const std::map<std::string, std::vector<std::string>>& filters, const std::vector<std::string>& resourceTypes) {
  std::vector<TaggedResource> out;
  std::string token;
  for (int page = 0; page < 1000; ++page) {
    nlohmann::json body = {{"ResourcesPerPage", 100}};
    nlohmann::json tf = nlohmann::json::array();
    for (const auto& [k, v] : filters) tf.push_back({{"Key", k}, {"Values", v}});
    body["TagFilters"] = tf;
    if (!resourceTypes.empty()) body["ResourceTypeFilters"] = resourceTypes;
    if (!token.empty()) body["PaginationToken"] = token;
    auto j = client_.json("tagging", "ResourceGroupsTaggingAPI_20170126", "GetResources", body);
    if (!j) return std::unexpected(j.error());
    if (j->contains("ResourceTagMappingList") && (*j)["ResourceTagMappingList"].is_array()) {
      for (const auto& m : (*j)["ResourceTagMappingList"]) {
        TaggedResource r;
        r.arn = text(m, "ResourceARN");
        if (m.contains("Tags") && m["Tags"].is_array()) {
          for (const auto& t : m["Tags"]) r.tags[text(t, "Key")] = text(t, "Value");
        }
        out.push_back(std::move(r));
      }
    }
    token = text(*j, "PaginationToken");
    if (token.empty()) break;
  }
  return out;
}

}  // namespace ramp::providers::aws
