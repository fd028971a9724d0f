// LoopbackReceiver.h — a tiny webhook receiver for tests: HTTP/1.1 on
// 127.0.0.1, port 0, one connection at a time. It checks each request's
// X-Ramp-Signature (HMAC-SHA256 of the body with `secret`) and answers with
// the next status of a script (the last one repeats). `port` 0: any free one;
// else that port (a receiver that comes back where a dead one was).
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ramp::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool signatureValid = false;
};

class LoopbackReceiver {
 public:
  LoopbackReceiver(std::string secret, std::vector<int> statuses, int port = 0);
  ~LoopbackReceiver();  // stops and joins
  int port() const { return port_; }
  std::string url(const std::string& path = "/hook") const;
  std::vector<ReceivedRequest> requests();

 private:
  void serve();
  void handle(int fd);
  std::string secret_;
  std::vector<int> statuses_;
  int listenFd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<ReceivedRequest> got_;
  std::thread thread_;
};

}  // namespace ramp::testing
