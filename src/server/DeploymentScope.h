// DeploymentScope.h — Access rules whose environment comes from a stored
// deployment (server/Access.h).
//
//   ofDeploymentParam(store, role): the route's {id} names a deployment;
//     needs `role` in its environment. An unknown id needs `role` in some
//     environment (the handler then answers 404).
//   ofEventQuery(store, role): ?env= if given; else ?deployment= (its
//     environment, as above); else `role` on "*" (a read across all
//     environments needs a "*" grant).
//   deploymentLookupFailed(error, id): the handler's answer when looking
//     deployment `id` up failed: "no deployment ID" (404, naming "id") when
//     it is not there, else the error itself.
#pragma once

#include <string>

#include "server/Access.h"
#include "store/Store.h"

namespace ramp::server {

Access ofDeploymentParam(store::Store& store, const std::string& role);
Access ofEventQuery(store::Store& store, const std::string& role);
std::unexpected<Error> deploymentLookupFailed(const Error& error, const std::string& id);

}  // namespace ramp::server
