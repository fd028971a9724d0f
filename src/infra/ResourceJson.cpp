#include "infra/ResourceJson.h"

namespace ramp::infra {

namespace {

Status needString(const nlohmann::json& j, const char* key, const std::string& where, std::string& out,
                  bool required = true) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (!required) return ok();
    return invalid(std::string("missing field ") + key, where + "." + key);
  }
  if (!it->is_string()) return invalid(std::string("must be a string"), where + "." + key);
  out = it->get<std::string>();
  return ok();
}

Status needStrings(const nlohmann::json& j, const char* key, const std::string& where,
                   std::vector<std::string>& out) {
  auto it = j.find(key);
  if (it == j.end()) return ok();
  if (!it->is_array()) return invalid("must be an array of strings", where + "." + key);
  for (const auto& v : *it) {
    if (!v.is_string()) return invalid("must be an array of strings", where + "." + key);
    out.push_back(v.get<std::string>());
  }
  return ok();
}

}  // namespace

nlohmann::json resourceStateJson(const ResourceState& s) {
  return nlohmann::json{{"address", s.address}, {"type", s.type},   {"name", s.name},
                        {"region", s.region},   {"id", s.id},       {"attributes", s.attributes}};
}

Result<ResourceState> resourceStateFromJson(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return invalid("must be an object", where);
  ResourceState s;
  for (auto [key, out] : {std::pair{"address", &s.address}, std::pair{"type", &s.type}}) {
    if (auto st = needString(j, key, where, *out); !st) return std::unexpected(st.error());
  }
  for (auto [key, out] : {std::pair{"name", &s.name}, std::pair{"region", &s.region}, std::pair{"id", &s.id}}) {
    if (auto st = needString(j, key, where, *out, false); !st) return std::unexpected(st.error());
  }
  if (auto it = j.find("attributes"); it != j.end()) {
    if (!it->is_object()) return invalid("must be an object", where + ".attributes");
    s.attributes = *it;
  }
  return s;
}

nlohmann::json resourceJson(const Resource& r) {
  return nlohmann::json{{"address", r.address},       {"type", r.type},          {"name", r.name},
                        {"region", r.region},         {"attributes", r.attributes},
                        {"depends_on", r.dependsOn},  {"force_new", r.forceNew}, {"tags", r.tags}};
}

Result<Resource> resourceFromJson(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return invalid("must be an object", where);
  Resource r;
  for (auto [key, out] : {std::pair{"address", &r.address}, std::pair{"type", &r.type}}) {
    if (auto st = needString(j, key, where, *out); !st) return std::unexpected(st.error());
  }
  for (auto [key, out] : {std::pair{"name", &r.name}, std::pair{"region", &r.region}}) {
    if (auto st = needString(j, key, where, *out, false); !st) return std::unexpected(st.error());
  }
  if (auto it = j.find("attributes"); it != j.end()) {
    if (!it->is_object()) return invalid("must be an object", where + ".attributes");
    r.attributes = *it;
  }
  if (auto it = j.find("tags"); it != j.end()) {
    if (!it->is_object()) return invalid("must be an object", where + ".tags");
    r.tags = *it;
  }
  if (auto st = needStrings(j, "depends_on", where, r.dependsOn); !st) return std::unexpected(st.error());
  if (auto st = needStrings(j, "force_new", where, r.forceNew); !st) return std::unexpected(st.error());
  return r;
}

}  // namespace ramp::infra
