#include "store/SqlConnectionPool.h"

#include <fmt/format.h>

namespace ramp::store {

SqlConnectionPool::Lease::~Lease() {
  if (conn_) pool_->giveBack(std::move(conn_));
}

SqlConnectionPool::SqlConnectionPool(Opener open, size_t capacity, std::chrono::milliseconds wait, std::string where)
    : open_(std::move(open)), capacity_(capacity == 0 ? 1 : capacity), wait_(wait), where_(std::move(where)) {}

Result<SqlConnectionPool::Lease> SqlConnectionPool::acquire() {
  std::unique_lock lock(mu_);
  if (!returned_.wait_for(lock, wait_, [&] { return !idle_.empty() || opened_ < capacity_; })) {
    return unavailable(fmt::format("all {} read connections of the store stayed busy for {} ms", capacity_,
                                   wait_.count()),
                       where_);
  }
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(conn));
  }
  ++opened_;  // this slot is ours while we open (outside the lock: a connect may take seconds)
  lock.unlock();
  auto conn = open_();
  if (!conn) {
    lock.lock();
    --opened_;
    returned_.notify_one();
    return std::unexpected(conn.error());
  }
  return Lease(*this, std::move(*conn));
}

void SqlConnectionPool::giveBack(std::unique_ptr<SqlConnection> conn) {
  {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(conn));
  }
  returned_.notify_one();
}

size_t SqlConnectionPool::opened() const {
  std::lock_guard lock(mu_);
  return opened_;
}

}  // namespace ramp::store
