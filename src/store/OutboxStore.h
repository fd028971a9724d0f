// OutboxStore.h — the store's role for alerts waiting to be sent: a durable
// outbox (table alert_outbox).
//
// Rows are written only with the audit event that causes them (AuditStore.h,
// EventAlert): one per destination, status "pending", due at the event's
// time — and only for the first event of a deployment that causes an alert
// of that name (a deployment waiting for approval over several phases
// alerts once; without a deployment, every event is its own). A sender
// then delivers each at least once:
//  - claimDueAlerts(now, claimUntil, claimer, limit): the pending rows a
//    sender at lease epoch `claimer` may take now — due ones (next attempt
//    at or before `now`, unclaimed) and ones claimed by an earlier epoch (a
//    leader that died mid-delivery: resent at once by the next) or whose
//    claim ran out — oldest first, at most `limit` (kInvalid unless
//    positive), each claimed for `claimer` until `claimUntil` in the same
//    transaction, so no other sender takes it meanwhile.
//  - settleAlert(id, attempt, event): records an attempt's outcome — sent
//    or failed for good (status sent|failed, settled_at), or retry
//    (attempts + 1, due again at retryAt, unclaimed) — and appends `event` (e.g.
//    notification.sent) in the same transaction. Returns false, and changes
//    nothing, when the row is no longer pending (another sender settled it);
//    kNotFound for an unknown id.
//  - listAlerts: every row of one event (eventSeq), or the newest `limit`
//    of all, newest first.
// The receiver deduplicates by the alert's idempotency key "<event_seq>-<index>"
// (the index of its destination in the event's list): the same for every
// attempt, from any controller.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/Result.h"
#include "store/AuditStore.h"
#include "store/Json.h"

namespace ramp::store {

struct OutboxAlert {
  int64_t id = 0;
  int64_t eventSeq = 0;       // the audit event that caused it
  int index = 0;              // its destination's place in the event's list
  std::string name;           // deployment.failed, ...
  Json destination = Json::object();
  std::string status;         // pending | sent | failed
  int attempts = 0;           // finished attempts
  int64_t nextAttemptAt = 0;  // Unix ms: due then (or claimed until then)
  std::optional<int64_t> claimEpoch;  // the lease epoch of the sender holding it
  std::string lastError;
  int64_t createdAt = 0;
  std::optional<int64_t> settledAt;

  std::string idempotencyKey() const { return std::to_string(eventSeq) + "-" + std::to_string(index); }
};

struct AlertAttempt {
  enum class Outcome { kSent, kRetry, kFailed };
  Outcome outcome = Outcome::kSent;
  int64_t at = 0;        // when the attempt ended
  int64_t retryAt = 0;   // kRetry: due again then
  std::string error;     // kRetry, kFailed: why (no secrets)
};

class OutboxStore {
 public:
  virtual ~OutboxStore() = default;
  virtual Result<std::vector<OutboxAlert>> claimDueAlerts(int64_t now, int64_t claimUntil, int64_t claimer,
                                                          int limit) = 0;
  virtual Result<bool> settleAlert(int64_t id, const AlertAttempt& attempt,
                                   const std::optional<AuditEventInput>& event) = 0;
  virtual Result<std::vector<OutboxAlert>> listAlerts(const std::optional<int64_t>& eventSeq, int limit) = 0;
};

}  // namespace ramp::store
