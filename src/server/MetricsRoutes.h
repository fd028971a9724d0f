// MetricsRoutes.h — GET /metrics on the controller's API port, in
// Prometheus text exposition format 0.0.4 (MetricsFeed.h lists the series).
//
// Auth: a bearer token with the viewer role on every environment ("*"),
// like any other read that spans environments; Prometheus sends it with
// `authorization: {credentials_file: ...}`. (Not unauthenticated: the
// figures name services, environments and fleets.)
#pragma once

#include "server/ApiServer.h"
#include "server/MetricsFeed.h"

namespace ramp::server {

void addMetricsRoutes(ApiServer& api, MetricsFeed& feed);

}  // namespace ramp::server
