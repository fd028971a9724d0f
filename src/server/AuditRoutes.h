// AuditRoutes.h — the audit log over the API.
//
//   GET /api/v1/audit?service=&env=&deployment=&since=&after=&limit=
//       -> JSON array of events, oldest first (store/AuditQuery.h for the
//          parameters and the event shape); a bad parameter is a 400 naming
//          it ({"error": {"field": "since", ...}}).
//   GET /api/v1/audit/verify
//       -> {ok, count, head, first_broken_seq, problem, chain_ok,
//           sealed_count, sealed_head, sealed_at, seal_ok}
//          (store/AuditSeal.h). Always 200 when the store can be read: a
//          broken chain is an answer, not an API failure.
//
// The controller registers them with one call; the seal's key file is
// AuditSeal::defaultKeyFile(home). Reads only: sealing is the controller's
// job (AuditSeal::update after each tick).
#pragma once

#include <filesystem>

#include "server/ApiServer.h"
#include "store/Store.h"

namespace ramp::server {

void addAuditRoutes(ApiServer& api, store::Store& store, const std::filesystem::path& home);

}  // namespace ramp::server
