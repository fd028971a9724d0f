// StatsRoutes.h — GET /api/v1/stats[?service=&env=&since=30d]: the DORA
// figures (DeliveryStats.h) over the audit log and the release catalog.
//
// The answer is deliveryStatsReport() (DeliveryStatsReport.h) with rows
// limited to the environments the caller may view; a bad `since` is a 400
// naming `since`. Needs viewer in ?env, or in some environment.
#pragma once

#include "core/Clock.h"
#include "release/ReleaseStore.h"
#include "server/ApiServer.h"
#include "store/Store.h"

namespace ramp::server {

void addStatsRoutes(ApiServer& api, store::Store& store, const release::ReleaseStore& releases, Clock& clock);

}  // namespace ramp::server
