// SyntheticLoad.h — steady traffic against an entry point, for `ramp load`
// and `ramp demo`: the example service has no users, and a canary's judge
// needs requests to compare. Closed loop: each of `clients` threads sends
// one request at a time (keep-alive GETs of `path`; with `mixed`, also
// fresh-connection GETs and non-idempotent POST /echo, as the demo does),
// pausing `pauseMs` between requests, each bounded by a 5 s timeout.
// Counts what was sent, what failed (no answer, or a 5xx) and which release
// answered (the body of GET /version, or the X-Ramp-Version header).
// stop() is idempotent and joins the threads; the destructor stops.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ramp::cli {

class SyntheticLoad {
 public:
  struct Options {
    int clients = 3;
    int pauseMs = 5;
    bool mixed = false;       // keep-alive GETs, fresh-connection GETs and POSTs
    std::string path = "/version";
  };

  SyntheticLoad(std::string url, Options options);
  ~SyntheticLoad();
  SyntheticLoad(const SyntheticLoad&) = delete;
  SyntheticLoad& operator=(const SyntheticLoad&) = delete;

  void start();
  void stop();
  uint64_t sent() const { return sent_; }
  uint64_t failed() const { return failed_; }
  // Answers per release version (only successful answers).
  std::map<std::string, uint64_t> versions();
  void resetVersions();

 private:
  void run(int kind);

  std::string url_;
  Options options_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> sent_{0}, failed_{0};
  std::mutex mu_;
  std::map<std::string, uint64_t> versions_;
  std::vector<std::thread> threads_;
};

}  // namespace ramp::cli
