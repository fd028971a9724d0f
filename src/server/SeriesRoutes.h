// SeriesRoutes.h — the live time series of a deployment's fleets
// (FleetSeries.h), for the dashboard's charts:
//   GET /api/v1/deployments/{id}/series?after=MS
//       {"deployment", "interval_ms", "points": [{t, fleets: {FLEET: {role,
//       version, weight, applied_weight, rps, error_rate, p50_ms, p90_ms,
//       p99_ms, requests, errors, requests_total, errors_total}}}]}: the
//       points after MS (Unix ms; default all kept).
//   GET /api/v1/deployments/{id}/series/stream?after=MS
//       server-sent events: "event: point" with one point as data, as they
//       are taken (every interval), plus a keep-alive comment every second;
//       at most an hour per connection. Leader only: a follower forwards
//       the plain GET (its page polls it when the stream is not there).
// Both need viewer in the deployment's environment; ?after= that is not a
// number is a 400 naming "after".
#pragma once

#include <atomic>

#include "server/ApiServer.h"
#include "server/FleetSeries.h"
#include "store/Store.h"

namespace ramp::server {

void addSeriesRoutes(ApiServer& api, store::Store& store, FleetSeries& series, const std::atomic<bool>& stop);

}  // namespace ramp::server
