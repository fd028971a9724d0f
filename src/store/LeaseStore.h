// LeaseStore.h — leases with an expiry and an epoch, and the fences they give.
//
// A lease is a row (name, owner, epoch, expires_at). Times come from the
// caller (`now`, from its injected Clock); the store has no clock.
//  - acquireLease succeeds when the lease is free, expired at `now`, or
//    already held by `owner` (then it is renewed, same epoch). A new holder
//    gets epoch = previous + 1 (a former owner re-taking its own expired
//    lease too). Otherwise kConflict naming the holder and when it expires.
//  - renewLease extends a lease still held by owner at epoch, before its
//    expiry; kConflict if lost or expired.
//  - releaseLease frees it if owner holds it at epoch; otherwise no change,
//    still OK. The row keeps its epoch: epochs never go back.
//  - getLease: nullopt for a lease never held or released; an expired lease
//    is returned as is (compare expiresAt with your now).
// Writes of the other roles that take a Fence{lease, epoch} are refused with
// kConflict (naming the lease and both epochs) unless the lease is currently
// held at exactly that epoch: once anyone else has acquired it, every write
// of the deposed holder is refused. The pure rules: LeaseRules.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/Result.h"

namespace ramp::store {

struct Fence {
  std::string lease;  // lease name, e.g. "controller"
  int64_t epoch = 0;
};

struct Lease {
  std::string name;
  std::string owner;
  int64_t epoch = 0;       // strictly increases every time the holder changes
  int64_t expiresAt = 0;   // Unix ms
};

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;
  virtual Result<Lease> acquireLease(const std::string& name, const std::string& owner, int64_t ttlMs,
                                     int64_t now) = 0;
  virtual Result<Lease> renewLease(const std::string& name, const std::string& owner, int64_t epoch,
                                   int64_t ttlMs, int64_t now) = 0;
  virtual Status releaseLease(const std::string& name, const std::string& owner, int64_t epoch) = 0;
  virtual Result<std::optional<Lease>> getLease(const std::string& name) = 0;
};

}  // namespace ramp::store
