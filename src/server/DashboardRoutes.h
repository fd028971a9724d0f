// DashboardRoutes.h — the dashboard, served by `ramp serve`.
//
//   GET /                     index.html (no token: it holds no data)
//   GET /ui/{name}            the other assets (app.js, style.css)
//   GET /api/v1/dashboard/session
//                             who the token belongs to and their roles
//                             ({"user", "roles": {env: [roles]}}), so the
//                             page can hide what the caller may not do; needs
//                             viewer in some environment.
//   GET /api/v1/deployments/{id}/actions
//                             the actions the caller may take on it now
//                             (DeploymentActions.h), each with its request
//                             and confirmation question; viewer in its env.
//   GET /api/v1/dashboard/deploy
//                             what the caller may deploy (DeployTargets.h):
//                             the config of record's services and its
//                             environments, each marked may_deploy; viewer
//                             in some environment. 412 before any
//                             `ramp config push`.
// Everything the page shows comes from the API with the caller's token, so
// the API's roles apply unchanged; hiding a button is a courtesy, not the
// check. The event stream accepts ?access_token= (EventSource cannot send
// headers).
#pragma once

#include "record/ConfigOfRecord.h"
#include "server/ApiServer.h"
#include "store/Store.h"

namespace ramp::server {

void addDashboardRoutes(ApiServer& api, store::Store& store, record::ConfigOfRecord& configRecord);

}  // namespace ramp::server
