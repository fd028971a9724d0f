// DeliveryStatsReport.h — the DORA figures (DeliveryStats.h) of a world:
// reads the audit log's deployment.finished / deployment.rollback events
// (at most 200,000 events, oldest first) and the release catalog, and
// answers the JSON of GET /api/v1/stats and `ramp stats --json`:
//   {"since": ISO, "until": ISO, "window_seconds": N,
//    "services": [DeliveryFigures::toJson()...]}
// `since` is a duration back from now (core/Duration.h: "30d", "12h"; empty
// = 30d); a bad one is kInvalid naming `where` ("since" or "--since").
// Every row; callers filter by role.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/Clock.h"
#include "core/Result.h"
#include "release/ReleaseStore.h"
#include "store/Store.h"

namespace ramp::server {

Result<nlohmann::json> deliveryStatsReport(store::Store& store, const release::ReleaseStore& releases, Clock& clock,
                                           const std::string& since, const std::optional<std::string>& service,
                                           const std::optional<std::string>& env, const std::string& where);

}  // namespace ramp::server
