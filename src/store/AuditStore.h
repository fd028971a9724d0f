// AuditStore.h — the store's role for the audit log: an append-only hash chain.
//
// appendEvent assigns, inside the transaction that holds the append lock,
// `seq` (1, 2, ...), `prevHash` (hash of seq-1, or kGenesisHash) and `hash` =
// AuditChain::hashOf(event), so two concurrent appenders never fork the
// chain; the returned event's data is exactly what readers will read (and
// hash). kInvalid for an empty kind or actor or data that cannot be encoded.
// listEvents: oldest first, filters combined with AND, at most f.limit
// (kInvalid unless positive). The chain's rules: AuditChain.h; its seal:
// AuditSeal.h.
//
// The seal (AuditSeal.h): the chain's (count, head) signed with the world's
// audit key, which is never in the store; `keyId` names that key (it is no
// secret). getAuditSeal: nullopt when the log was never sealed.
// putAuditSeal moves the seal forward only: kConflict, naming both counts,
// when the stored seal covers more events than `s`, or as many with another
// head (two controllers sealing at once keep the longer seal). kInvalid for
// a negative count or an empty head or mac.
//
// An event may carry the alert it causes (`alert`, decided by the caller:
// engine/Notifier.h): one outbox row per destination is written in the same
// transaction as the event (OutboxStore.h), by every method that appends
// events, so an alert is never lost between its event and its sending. The
// alert is not part of the event's hash and is not read back with it.
// kInvalid (field "alert") for an alert without a name or with destinations
// that are not an array of objects.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/Result.h"
#include "store/Json.h"

namespace ramp::store {

// The alert an event causes: its name (deployment.failed, deployment.rolled_back,
// approval.requested, hotfix.started, infra.apply_failed) and where it goes,
// as configured ({"webhook": URL, "secret": REF} | {"sns": ARN}, references
// unresolved).
struct EventAlert {
  std::string name;
  Json destinations = Json::array();
};

struct AuditEventInput {
  int64_t time = 0;
  std::string actor;       // user name, or "ramp" for the controller itself
  std::string kind;        // e.g. "deployment.step", "traffic.set", "verdict"
  std::string service;     // may be empty
  std::string env;         // may be empty
  std::string deploymentId;  // may be empty
  Json data = Json::object();
  std::optional<EventAlert> alert = std::nullopt;  // written to the outbox with the event
};

struct AuditEvent : AuditEventInput {
  int64_t seq = 0;
  std::string prevHash;
  std::string hash;
};

struct AuditFilter {
  std::optional<std::string> service;
  std::optional<std::string> env;
  std::optional<std::string> deploymentId;
  std::optional<int64_t> sinceTime;
  std::optional<int64_t> afterSeq;
  std::optional<int64_t> beforeSeq;      // only seq < beforeSeq (paging newest first)
  std::optional<std::string> kindPrefix; // kind starts with this ("deployment." or "verdict")
  std::optional<std::string> actor;      // exact
  bool newestFirst = false;
  int limit = 1000;        // oldest first unless newestFirst
};

struct AuditSealRecord {
  int64_t count = 0;   // events covered: seq 1..count
  std::string head;    // hash of event `count` (kGenesisHash when 0)
  std::string mac;     // hex HMAC-SHA256(key, "count|head")
  std::string keyId;   // AuditSeal::keyIdOf(key); "" for seals made before key ids
  int64_t time = 0;    // Unix ms when sealed (informational, not signed)
};

class AuditStore {
 public:
  virtual ~AuditStore() = default;
  virtual Result<AuditEvent> appendEvent(const AuditEventInput& e) = 0;
  virtual Result<std::vector<AuditEvent>> listEvents(const AuditFilter& f) = 0;
  virtual Result<std::optional<AuditSealRecord>> getAuditSeal() = 0;
  virtual Status putAuditSeal(const AuditSealRecord& s) = 0;
};

}  // namespace ramp::store
