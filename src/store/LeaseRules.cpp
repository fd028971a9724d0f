#include "store/LeaseRules.h"

#include <fmt/format.h>

#include "core/Clock.h"

namespace ramp::store {

namespace {

std::string at(int64_t ms) { return formatTime(fromUnixMillis(ms)); }

}  // namespace

Status validateLeaseRequest(const std::string& name, const std::string& owner, int64_t ttlMs) {
  if (name.empty()) return invalid("lease name is empty", "lease");
  if (owner.empty()) return invalid("lease owner is empty", "owner");
  if (ttlMs <= 0 || ttlMs > kMaxLeaseTtlMs) {
    return invalid(fmt::format("lease ttl {} ms is out of range (1..{} ms)", ttlMs, kMaxLeaseTtlMs),
                   "ttlMs");
  }
  return ok();
}

Result<Lease> decideAcquire(const std::string& name, const LeaseRow& current,
                            const std::string& owner, int64_t ttlMs, int64_t now) {
  bool expired = current.expiresAt <= now;
  if (!current.owner.empty() && !expired) {
    if (current.owner == owner) return Lease{name, owner, current.epoch, now + ttlMs};
    return conflict(fmt::format("lease '{}' is held by '{}' (epoch {}) until {}", name,
                                current.owner, current.epoch, at(current.expiresAt)),
                    "lease " + name);
  }
  return Lease{name, owner, current.epoch + 1, now + ttlMs};
}

Result<Lease> decideRenew(const std::string& name, const std::optional<LeaseRow>& current,
                          const std::string& owner, int64_t epoch, int64_t ttlMs, int64_t now) {
  if (!current || current->owner.empty()) {
    return conflict(fmt::format("lease '{}' is not held; '{}' (epoch {}) lost it", name, owner, epoch),
                    "lease " + name);
  }
  if (current->owner != owner || current->epoch != epoch) {
    return conflict(fmt::format("lease '{}' is held by '{}' at epoch {}; '{}' (epoch {}) lost it",
                                name, current->owner, current->epoch, owner, epoch),
                    "lease " + name);
  }
  if (current->expiresAt <= now) {
    return conflict(fmt::format("lease '{}' of '{}' (epoch {}) expired at {}; acquire it again", name,
                                owner, epoch, at(current->expiresAt)),
                    "lease " + name);
  }
  return Lease{name, owner, epoch, now + ttlMs};
}

Status checkFence(const Fence& fence, const std::optional<LeaseRow>& current) {
  if (!current || current->owner.empty()) {
    return conflict(fmt::format("write fenced: lease '{}' is not held (current epoch {}, writer's "
                                "epoch {})",
                                fence.lease, current ? current->epoch : 0, fence.epoch),
                    "fence");
  }
  if (current->epoch != fence.epoch) {
    return conflict(fmt::format("write fenced: lease '{}' is at epoch {} (held by '{}'), the "
                                "writer's epoch is {}",
                                fence.lease, current->epoch, current->owner, fence.epoch),
                    "fence");
  }
  return ok();
}

}  // namespace ramp::store
