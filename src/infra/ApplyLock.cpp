#include "infra/ApplyLock.h"

#include <chrono>

namespace ramp::infra {

Status ApplyLock::acquire() {
  auto l = store_.acquireLease(name_, owner_, ttlMs_);
  if (!l) return std::unexpected(l.error());
  {
    std::lock_guard lock(mu_);
    lease_ = *l;
    held_ = true;
    stopping_ = false;
  }
  keeper_ = std::thread([this] { keep(); });
  return ok();
}

InfraLease ApplyLock::lease() const {
  std::lock_guard lock(mu_);
  return lease_;
}

void ApplyLock::keep() {
  std::unique_lock lock(mu_);
  const auto period = std::chrono::milliseconds(std::max<int64_t>(ttlMs_ / 3, 10));
  // Bounded: ends when release() sets stopping_, or when the lease is lost.
  while (!stopping_) {
    cv_.wait_for(lock, period, [this] { return stopping_; });
    if (stopping_) break;
    InfraLease current = lease_;
    lock.unlock();
    auto renewed = store_.renewLease(current, ttlMs_);
    lock.lock();
    if (renewed) {
      lease_ = *renewed;
    } else if (renewed.error().code == ErrorCode::kConflict) {
      lost_ = true;
      held_ = false;
      break;
    }
    // kUnavailable (store briefly unreachable): try again next period.
  }
}

void ApplyLock::release() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (keeper_.joinable()) keeper_.join();
  std::lock_guard lock(mu_);
  if (held_) {
    (void)store_.releaseLease(lease_);
    held_ = false;
  }
}

}  // namespace ramp::infra
