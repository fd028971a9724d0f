// LeaseRules.h — the lease and fence rules, as pure functions both stores
// apply inside their transactions (so SQLite and PostgreSQL cannot drift).
//
// A lease row always keeps its last epoch: releasing a lease empties its
// owner but does not delete it, so epochs never go back and a fence taken
// before a release can never match again after someone else acquires it.
//
//  acquire: free (no owner), expired (expiresAt <= now) → new holder,
//           epoch + 1, expiresAt = now + ttl. Held by the same owner and not
//           expired → renewed, same epoch. Held by another → kConflict naming
//           the holder, its epoch and when it expires. An expired lease taken
//           again by its former owner also gets epoch + 1 (it may have been
//           deposed meanwhile from its own point of view).
//  renew:   only the owner at that epoch, before expiry; else kConflict.
//  fence:   a write naming Fence{lease, epoch} passes only if the lease has an
//           owner and is at exactly that epoch. The store has no clock, so
//           expiry is not checked at write time: the guarantee is that once
//           anyone else has acquired the lease (epoch moved on) every write
//           of the deposed holder is refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/Result.h"
#include "store/Store.h"

namespace ramp::store {

struct LeaseRow {
  std::string owner;  // "" = free
  int64_t epoch = 0;
  int64_t expiresAt = 0;
};

// Upper bound on a lease's time to live (one day).
inline constexpr int64_t kMaxLeaseTtlMs = 24LL * 3600 * 1000;

Status validateLeaseRequest(const std::string& name, const std::string& owner, int64_t ttlMs);

// current: the row as locked by the caller (a fresh row: owner "", epoch 0).
Result<Lease> decideAcquire(const std::string& name, const LeaseRow& current,
                            const std::string& owner, int64_t ttlMs, int64_t now);

Result<Lease> decideRenew(const std::string& name, const std::optional<LeaseRow>& current,
                          const std::string& owner, int64_t epoch, int64_t ttlMs, int64_t now);

Status checkFence(const Fence& fence, const std::optional<LeaseRow>& current);

}  // namespace ramp::store
