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
//   POST /api/v1/audit/seal
//       -> seals the current head now (sealNow), then answers as
//          verify does. A broken chain is not sealed (412/500 with why).
// Access: audit needs viewer in ?env= (or the ?deployment='s env; "*" when
// neither), verify needs viewer on "*", seal needs admin on "*".
//
// The controller registers them with one call, with its own AuditSeal (the
// world's key it was given). Sealing is otherwise the controller's job
// (AuditSeal::update after each tick).
#pragma once

#include <filesystem>
#include <functional>

#include "server/ApiServer.h"
#include "store/AuditSeal.h"
#include "store/Store.h"

namespace ramp::server {

// `seal` verifies (and seals when sealNow is empty); sealNow seals the
// current head serialised with the controller's tick, so two writers never
// race on the witness file. `seal` must outlive the routes.
void addAuditRoutes(ApiServer& api, store::Store& store, store::AuditSeal& seal,
                    std::function<Status()> sealNow = nullptr);

}  // namespace ramp::server
