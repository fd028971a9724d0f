// ResourceJson.h — Resource and ResourceState to and from JSON, as the
// apply journal and the stored state keep them.
//
// resourceStateJson: {address, type, name, region, id, attributes}.
// resourceJson: {address, type, name, region, attributes, depends_on,
// force_new, tags}. The readers are strict: a missing or mistyped field is
// kInvalid naming `where`.field.
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
