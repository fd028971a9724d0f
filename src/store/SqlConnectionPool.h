// SqlConnectionPool.h — the store's read connections: reads never wait for a
// writer's commit.
//
// SqlStore writes through ONE connection (writes are serialised by its
// mutex: BEGIN IMMEDIATE on SQLite, one appender of the audit chain on
// PostgreSQL anyway), and reads through the connections of this pool, so an
// API read or an engine worker's read does not queue behind another
// worker's fsync'd commit (issue #20: with one shared connection the
// controller bench's API reads waited ~5.6 ms per statement for the mutex
// while each write held it ~1.7 ms).
//
// Contract:
//  - Connections are opened on demand by `open` (SQLite: a query_only
//    connection to the same WAL file; PostgreSQL: a read-only session), at
//    most `capacity` at once, and kept for the next read; a process that
//    reads little opens one.
//  - acquire() hands one connection to one caller at a time (a
//    SqlConnection is not thread-safe). When all `capacity` are in use it
//    waits up to `wait` for one to come back, then fails with kUnavailable
//    naming the pool size; when opening fails it returns that error (the
//    next acquire() tries again).
//  - A Lease returns its connection on destruction; the caller runs
//    ready() before using it (a broken connection is reset there).
//  - Thread-safe: every member may be called from any thread; the pool
//    must outlive its leases.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/Result.h"
#include "store/SqlConnection.h"

namespace ramp::store {

// openStore()'s pool (StoreFactory.cpp): the controller's concurrent
// readers are its 8 engine workers and 16 API handler threads
// (server/ApiServer.h), so 24 read connections (+1 writer) per store; a
// PostgreSQL server must allow that many per controller (its default
// max_connections is 100). A read waits at most 10 s for a free one.
inline constexpr size_t kStoreReadConnections = 24;
inline constexpr std::chrono::milliseconds kStoreReadWait{10'000};

class SqlConnectionPool {
 public:
  using Opener = std::function<Result<std::unique_ptr<SqlConnection>>()>;

  // One connection lent to one caller; gives it back on destruction.
  class Lease {
   public:
    Lease(SqlConnectionPool& pool, std::unique_ptr<SqlConnection> conn) : pool_(&pool), conn_(std::move(conn)) {}
    Lease(Lease&& o) noexcept : pool_(o.pool_), conn_(std::move(o.conn_)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    SqlConnection& operator*() const { return *conn_; }
    SqlConnection* operator->() const { return conn_.get(); }

   private:
    SqlConnectionPool* pool_;
    std::unique_ptr<SqlConnection> conn_;
  };

  // `where` names the store in errors ("store <path or redacted URL>").
  SqlConnectionPool(Opener open, size_t capacity, std::chrono::milliseconds wait, std::string where);
  SqlConnectionPool(const SqlConnectionPool&) = delete;
  SqlConnectionPool& operator=(const SqlConnectionPool&) = delete;

  Result<Lease> acquire();

  size_t capacity() const { return capacity_; }
  // Connections open now (idle or lent); for tests.
  size_t opened() const;

 private:
  void giveBack(std::unique_ptr<SqlConnection> conn);

  const Opener open_;
  const size_t capacity_;
  const std::chrono::milliseconds wait_;
  const std::string where_;
  mutable std::mutex mu_;
  std::condition_variable returned_;                  // a connection came back, or a slot was freed
  std::vector<std::unique_ptr<SqlConnection>> idle_;  // guarded by mu_
  size_t opened_ = 0;                                 // guarded by mu_: idle + lent + being opened
};

}  // namespace ramp::store
