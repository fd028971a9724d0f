// DashboardRoutes.h — the dashboard, served by `ramp serve`.
//
//   GET /                     index.html (no token: it holds no data)
//   GET /ui/{name}            the other assets (app.js, style.css)
//   GET /api/v1/dashboard/session
//                             who the token belongs to and their roles
//                             ({"user", "roles": {env: [roles]}}), so the
//                             page can hide what the caller may not do; needs
//                             viewer in some environment.
// Everything the page shows comes from the API with the caller's token, so
// the API's roles apply unchanged; hiding a button is a courtesy, not the
// check. The event stream accepts ?access_token= (EventSource cannot send
// headers).
#pragma once

#include "server/ApiServer.h"

namespace ramp::server {

void addDashboardRoutes(ApiServer& api);

}  // namespace ramp::server
