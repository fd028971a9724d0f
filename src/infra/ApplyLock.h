// ApplyLock.h — the lease that makes one apply at a time per environment.
//
// Held as the store lease "infra/<project>/<env>" with a TTL (default 30 s),
// renewed by a keeper thread every TTL/3 while the apply runs. A crashed
// apply (kill -9) simply stops renewing: once the TTL has passed the next
// apply takes the lease over (no force-unlock, ever). acquire() fails with
// kConflict naming the holder and when its lease expires. lost() turns true
// when a renewal is refused (someone took the lease after we missed our
// renewals); the Applier then starts no new call. release() (also on
// destruction) stops the keeper and frees the lease.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "core/Result.h"
#include "infra/InfraStore.h"

namespace ramp::infra {

class ApplyLock {
 public:
  static std::string leaseName(const std::string& project, const std::string& env) {
    return "infra/" + project + "/" + env;
  }

  ApplyLock(InfraStore& store, std::string name, std::string owner, int64_t ttlMs)
      : store_(store), name_(std::move(name)), owner_(std::move(owner)), ttlMs_(ttlMs) {}
  ~ApplyLock() { release(); }
  ApplyLock(const ApplyLock&) = delete;
  ApplyLock& operator=(const ApplyLock&) = delete;

  // Takes the lease and starts the keeper thread.
  Status acquire();
  void release();
  bool lost() const { return lost_.load(); }
  InfraLease lease() const;

 private:
  void keep();

  InfraStore& store_;
  std::string name_;
  std::string owner_;
  int64_t ttlMs_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  InfraLease lease_;
  bool held_ = false;
  bool stopping_ = false;
  std::atomic<bool> lost_{false};
  std::thread keeper_;
};

}  // namespace ramp::infra
