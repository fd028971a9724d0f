// ResourceJson.h — Resource and ResourceState to and from JSON: the one
// form of both in the saved plan (PlanJson), the apply journal and the
// stored state.
//
// resourceStateJson: {address, type, name, region, id, attributes}.
// resourceJson: {address, type, name, region, attributes, depends_on,
// force_new, tags}. The writers always write every field, and the readers
// require what they write (FieldReader): address (not empty) and type are
// strings; name, region, id are strings or absent/null (""); attributes and
// tags are objects; depends_on and force_new are lists of strings. A
// problem is kInvalid naming `where`.field ("changes[0].desired.depends_on").
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/Result.h"
#include "infra/Resource.h"

namespace ramp::infra {

nlohmann::json resourceStateJson(const ResourceState& s);
Result<ResourceState> resourceStateFromJson(const nlohmann::json& j, const std::string& where);
nlohmann::json resourceJson(const Resource& r);
Result<Resource> resourceFromJson(const nlohmann::json& j, const std::string& where);

}  // namespace ramp::infra
