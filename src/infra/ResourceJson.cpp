#include "infra/ResourceJson.h"

#include "infra/FieldReader.h"

namespace ramp::infra {

nlohmann::json resourceStateJson(const ResourceState& s) {
  return nlohmann::json{{"address", s.address}, {"type", s.type},   {"name", s.name},
                        {"region", s.region},   {"id", s.id},       {"attributes", s.attributes}};
}

Result<ResourceState> resourceStateFromJson(const nlohmann::json& j, const std::string& where) {
  FieldReader rd(j, where);
  ResourceState s;
  s.address = rd.str("address");
  s.type = rd.str("type");
  s.name = rd.optionalStr("name");
  s.region = rd.optionalStr("region");
  s.id = rd.optionalStr("id");
  s.attributes = rd.object("attributes");
  if (rd.ok() && s.address.empty()) rd.fail("must not be empty", "address");
  if (!rd.ok()) return std::unexpected(rd.error());
  return s;
}

nlohmann::json resourceJson(const Resource& r) {
  return nlohmann::json{{"address", r.address},       {"type", r.type},          {"name", r.name},
                        {"region", r.region},         {"attributes", r.attributes},
                        {"depends_on", r.dependsOn},  {"force_new", r.forceNew}, {"tags", r.tags}};
}

Result<Resource> resourceFromJson(const nlohmann::json& j, const std::string& where) {
  FieldReader rd(j, where);
  Resource r;
  r.address = rd.str("address");
  r.type = rd.str("type");
  r.name = rd.optionalStr("name");
  r.region = rd.optionalStr("region");
  r.attributes = rd.object("attributes");
  r.dependsOn = rd.strings("depends_on");
  r.forceNew = rd.strings("force_new");
  r.tags = rd.object("tags");
  if (rd.ok() && r.address.empty()) rd.fail("must not be empty", "address");
  if (!rd.ok()) return std::unexpected(rd.error());
  return r;
}

}  // namespace ramp::infra
